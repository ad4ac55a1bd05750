"""Use case: check a stablecoin issuer's reserve attestation file against the registry's reserve rules."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from biplomacy.errors import InputError
from biplomacy.provenance import load_registry
from biplomacy.supervision.stablecoin import Limits, check, parse_attestation

KEYS = ("supervision.stablecoin.backing_ratio_min", "supervision.stablecoin.eligible_classes",
        "supervision.stablecoin.tbill_max_maturity_days", "supervision.stablecoin.repo_max_maturity_days",
        "supervision.stablecoin.liquidity_share_min")


def limits() -> Limits:
    reg = load_registry()
    return Limits(reg.value(KEYS[0]), frozenset(reg.get(KEYS[1]).value.split(",")), int(reg.value(KEYS[2])),
                  int(reg.value(KEYS[3])), Decimal(reg.get(KEYS[4]).value))


def check_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"{path}: no such file", field="FILE")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})", field="FILE") from None
    result = check(parse_attestation(doc, str(path)), limits())
    result["sources"] = load_registry().cited(KEYS)
    return result
