"""TRP-like discovery: the licensed VASP of the register that an LEI names.

In the Travel Rule Protocol a beneficiary VASP is addressed by its LEI (ISO 17442) and the originator
checks it against a directory before sending personal data. Here the directory is the supervisor's own
register: an LEI must be well formed, belong to an entity of the register, that entity must be licensed
now (approved, with or without conditions) and, to receive or send transfers, hold an activity that moves
virtual assets for clients. Every refusal says which of these failed.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError
from biplomacy.core.lei import lei_problem
from biplomacy.supervision.model.licensing import LICENSED, Activity
from biplomacy.supervision.tables import LicenceRow

# Activities that carry out virtual-asset transfers for clients, to which FATF R.16 (the travel rule)
# applies: the VASP activities (i) exchange between VAs and fiat, (ii) exchange between VAs, (iii) transfer
# of VAs and (iv) safekeeping and/or administration of VAs of the FATF Recommendations' Glossary entry
# "virtual asset service provider" (as amended October 2018, read with INR.15 of June 2019). Advice,
# portfolio management, lending and issuance alone do not move a client's assets to another VASP.
TRANSFER_ACTIVITIES = frozenset({Activity.EXCHANGE, Activity.BROKER_DEALER, Activity.CUSTODY,
                                 Activity.TRANSFER_SETTLEMENT})


def _entity(session: Session, lei: object, field: str, who: str) -> LicenceRow:
    """The register's entity with this LEI (its licensed licence if it has several), or an InputError."""
    if not isinstance(lei, str) or not lei.strip():
        raise InputError(f"{who} LEI: give the 20-character LEI of a VASP in the register", field=field)
    lei = lei.strip()
    if problem := lei_problem(lei):
        raise InputError(f"{who} LEI: {problem}", field=field)
    rows = session.scalars(select(LicenceRow).where(LicenceRow.lei == lei).order_by(LicenceRow.id)).all()
    if not rows:
        raise InputError(f"{who} LEI {lei}: no entity of the register has this LEI", field=field)
    licensed = [r for r in rows if r.state in {s.value for s in LICENSED}]
    return licensed[-1] if licensed else rows[-1]


def licensed_entity(session: Session, lei: object, field: str, who: str) -> LicenceRow:
    """The licensed entity with this LEI, or an InputError naming why it is not (unknown, not licensed)."""
    row = _entity(session, lei, field, who)
    if row.state not in {s.value for s in LICENSED}:
        raise InputError(f"{who} LEI {row.lei} ({row.legal_name}, {row.reference}) is not licensed "
                         f"(state: {row.state})", field=field)
    return row


def transfer_vasp(session: Session, lei: object, field: str, who: str) -> LicenceRow:
    """A licensed entity whose activities allow virtual-asset transfers, or an InputError naming why not."""
    row = licensed_entity(session, lei, field, who)
    activities = json.loads(row.activities)
    if not TRANSFER_ACTIVITIES & set(activities):
        allowed = ", ".join(sorted(a.value for a in TRANSFER_ACTIVITIES))
        raise InputError(f"{who} LEI {row.lei} ({row.legal_name}) is licensed for {', '.join(activities)} only; "
                         f"none allows virtual-asset transfers ({allowed})", field=field)
    return row


def entity_on_register(session: Session, lei: object, field: str, who: str) -> LicenceRow:
    """The entity with this LEI whatever its state (to read what was addressed to it), or an InputError."""
    return _entity(session, lei, field, who)


def leis_of(session: Session, references: set[str]) -> dict[str, str | None]:
    """The LEI of each register reference (None where the entity gave none)."""
    rows = session.execute(select(LicenceRow.reference, LicenceRow.lei).where(LicenceRow.reference.in_(references)))
    return {ref: lei for ref, lei in rows}


def references_of(session: Session, lei: str | None) -> list[str]:
    """Every register reference the entity with this LEI has held (a re-licensed entity has several)."""
    return list(session.scalars(select(LicenceRow.reference).where(LicenceRow.lei == lei)))
