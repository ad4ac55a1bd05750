"""Use case: erase travel-rule personal data whose retention has ended (FATF R.11: at least five years).

Each message's IVMS101 payload (names, dates of birth, addresses) is deleted once the message is older than
the retention period; the message itself (parties, amount, decision) stays, with the payload's SHA-256, so a
payload produced later (from the VASP's own records) can still be matched against it. One transaction with
its audit entry, which names the messages, never their content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from biplomacy.aml.tables import TravelRuleMessageRow, TravelRulePersonalDataRow
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.house.audit import record
from biplomacy.store.db import Store

RETENTION_FACT = "supervision.aml.record_retention_years"


@dataclass(frozen=True, slots=True)
class Erased:
    as_of: datetime
    keep_years: int
    erased: tuple[int, ...]

    def to_json(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "keep_years": self.keep_years, "erased": list(self.erased),
                "count": len(self.erased)}


def minimum_years() -> int:
    return int(load_registry().value(RETENTION_FACT))


def erase_expired(store: Store, actor: Actor, *, as_of: datetime | None = None, keep_years: int | None = None) -> Erased:
    """Delete the personal data of every message sent more than `keep_years` (default: the FATF minimum)
    before `as_of` (default: now). A shorter period than the minimum is refused."""
    authorize(actor, "travelrule.erase")
    floor = minimum_years()
    years = floor if keep_years is None else keep_years
    if years < floor:
        raise InputError(f"records must be kept at least {floor} years (FATF R.11); {years} is shorter",
                         field="keep_years")
    now = as_of or datetime.now(UTC)
    if now.tzinfo is None:
        raise InputError("give the date with a UTC offset", field="as_of")
    try:
        cutoff = now.replace(year=now.year - years)
    except ValueError:  # 29 February
        cutoff = now.replace(year=now.year - years, day=28)
    with store.transaction() as s:
        rows = s.execute(select(TravelRulePersonalDataRow, TravelRuleMessageRow)
                         .join(TravelRuleMessageRow, TravelRuleMessageRow.id == TravelRulePersonalDataRow.message_id)
                         .where(TravelRuleMessageRow.sent_at < cutoff)).all()
        ids = tuple(sorted(m.id for _, m in rows))
        for data, message in rows:
            s.delete(data)
            message.personal_data_erased_at = now
        if ids:
            record(s, actor=actor.name, action="travelrule.erase", subject="travel-rule personal data",
                   payload={"messages": list(ids), "sent_before": cutoff.isoformat(), "keep_years": years})
    return Erased(now, years, ids)
