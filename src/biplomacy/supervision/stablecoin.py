"""Use cases of stablecoin reserves: check an issuer's attestation file against the registry's reserve rules,
and record it against the issuer's licence so its verdict and breaches show in the register and the dashboard."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.store.db import Store
from biplomacy.supervision.model.licensing import LICENSED, Activity, State
from biplomacy.supervision.model.stablecoin import Limits, check, parse_attestation

KEYS = ("supervision.stablecoin.backing_ratio_min", "supervision.stablecoin.eligible_classes",
        "supervision.stablecoin.tbill_max_maturity_days", "supervision.stablecoin.repo_max_maturity_days",
        "supervision.stablecoin.liquidity_share_min")
RECORDABLE = LICENSED | {State.SUSPENDED}  # a suspended issuer still owes attestations


def limits() -> Limits:
    reg = load_registry()
    return Limits(reg.value(KEYS[0]), frozenset(reg.get(KEYS[1]).value.split(",")), int(reg.value(KEYS[2])),
                  int(reg.value(KEYS[3])), Decimal(reg.get(KEYS[4]).value))


def _read(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"{path}: no such file", field="FILE")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})", field="FILE") from None


def check_document(doc: Any, source: str) -> dict[str, Any]:
    """The rules' verdict on one attestation document, with the limits' sources."""
    result = check(parse_attestation(doc, source), limits())
    result["sources"] = load_registry().cited(KEYS)
    return result


def check_file(path: Path) -> dict[str, Any]:
    return check_document(_read(path), str(path))


def record_attestation(store: Store, actor: Actor, licence: str, path: Path,
                       *, now: datetime | None = None) -> dict[str, Any]:
    """Check an issuer's attestation file and keep it with its verdict against the issuer's licence."""
    authorize(actor, "stablecoin.review")
    return record_attestation_document(store, actor, licence, _read(path), str(path), now=now)


def record_attestation_document(store: Store, actor: Actor, licence: str, doc: Any, source: str = "attestation",
                                *, now: datetime | None = None) -> dict[str, Any]:
    """Check an issuer's attestation document and keep it with its verdict against the issuer's licence.

    The licence must be licensed (or suspended) for stablecoin issuance; a malformed attestation or a
    wrong licence is an InputError and nothing is stored.
    """
    from biplomacy.house.audit import record
    from biplomacy.supervision.tables import LicenceRow, StablecoinAttestationRow

    authorize(actor, "stablecoin.review")
    result = check_document(doc, source)
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
        kept = {k: v for k, v in result.items() if k != "sources"}
        session.add(StablecoinAttestationRow(licence_id=lic.id, token=result["token"][:40], as_of=result["as_of"][:40],
                                             recorded_at=at, recorded_by=actor.name,
                                             document=json.dumps(doc, sort_keys=True), result=json.dumps(kept),
                                             compliant=bool(result["compliant"])))
        record(session, actor=actor.name, action="stablecoin.attestation", subject=lic.reference,
               payload={"token": result["token"], "as_of": result["as_of"], "compliant": result["compliant"],
                        "breaches": [b["rule"] for b in result["breaches"]]})
        reference = lic.reference
    return {"licence": reference, "recorded_at": at.isoformat(), **result}
