"""Use cases of stablecoin reserves: check an issuer's attestation file against the registry's reserve rules,
and record it against the issuer's licence so its verdict and breaches show in the register and the dashboard."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from biplomacy.core.errors import InputError
from biplomacy.core.files import read_json
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.store.db import Store
from biplomacy.supervision.model.licensing import LICENSED, Activity, State
from biplomacy.supervision.model.stablecoin import Limits, assess, parse_attestation
from biplomacy.supervision.results import AttestationVerdict, RecordedAttestation

KEYS = ("supervision.stablecoin.backing_ratio_min", "supervision.stablecoin.eligible_classes",
        "supervision.stablecoin.tbill_max_maturity_days", "supervision.stablecoin.repo_max_maturity_days",
        "supervision.stablecoin.liquidity_share_min")
RECORDABLE = LICENSED | {State.SUSPENDED}  # a suspended issuer still owes attestations


def limits() -> Limits:
    reg = load_registry()
    return Limits(reg.value(KEYS[0]), frozenset(reg.get(KEYS[1]).value.split(",")), int(reg.value(KEYS[2])),
                  int(reg.value(KEYS[3])), Decimal(reg.get(KEYS[4]).value))


def check_document(doc: Any, source: str) -> AttestationVerdict:
    """The rules' verdict on one attestation document, with the limits' sources."""
    verdict = assess(parse_attestation(doc, source), limits())
    return AttestationVerdict(**{f.name: getattr(verdict, f.name) for f in fields(verdict)},
                              sources=tuple(load_registry().cited(KEYS)))


def check_file(path: Path) -> AttestationVerdict:
    return check_document(read_json(path, "attestation"), str(path))


def record_attestation(store: Store, actor: Actor, licence: str, path: Path,
                       *, now: datetime | None = None) -> RecordedAttestation:
    """Check an issuer's attestation file and keep it with its verdict against the issuer's licence."""
    authorize(actor, "stablecoin.review")
    return record_attestation_document(store, actor, licence, read_json(path, "attestation"), str(path), now=now)


def record_attestation_document(store: Store, actor: Actor, licence: str, doc: Any, source: str = "attestation",
                                *, now: datetime | None = None) -> RecordedAttestation:
    """Check an issuer's attestation document and keep it with its verdict against the issuer's licence.

    The licence must be licensed (or suspended) for stablecoin issuance; a malformed attestation or a
    wrong licence is an InputError and nothing is stored.
    """
    from biplomacy.house.audit import record
    from biplomacy.supervision.tables import LicenceRow, StablecoinAttestationRow

    authorize(actor, "stablecoin.review")
    verdict = check_document(doc, source)
    kept = {k: v for k, v in verdict.to_json().items() if k != "sources"}  # the verdict as stored and published
    at = now or datetime.now(UTC)
    with store.transaction() as session:
        lic = session.scalars(select(LicenceRow).where(LicenceRow.reference == licence.strip().upper())).first()
        if lic is None:
            raise InputError(f"licence: no licence {licence!r}", field="licence")
        if Activity.STABLECOIN_ISSUANCE.value not in json.loads(lic.activities):
            raise InputError(f"licence: {lic.reference} is not licensed for stablecoin issuance", field="licence")
        if State(lic.state) not in RECORDABLE:
            raise InputError(f"licence: {lic.reference} is {lic.state}; only licensed or suspended issuers file "
                             "attestations", field="licence")
        session.add(StablecoinAttestationRow(licence_id=lic.id, token=verdict.token[:40], as_of=verdict.as_of[:40],
                                             recorded_at=at, recorded_by=actor.name,
                                             document=json.dumps(doc, sort_keys=True), result=json.dumps(kept),
                                             compliant=verdict.compliant))
        record(session, actor=actor.name, action="stablecoin.attestation", subject=lic.reference,
               payload={"token": verdict.token, "as_of": verdict.as_of, "compliant": verdict.compliant,
                        "breaches": [b.rule for b in verdict.breaches]})
        reference = lic.reference
    return RecordedAttestation(reference, at, verdict)
