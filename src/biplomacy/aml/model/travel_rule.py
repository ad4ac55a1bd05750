"""The travel rule (FATF R.16): validate a transfer's IVMS101 data, apply the USD/EUR 1,000 threshold, flag
unhosted-wallet transfers per the configured rule.

A file holds an IdentityPayload bare, or inside an envelope: {"ivms101" | "identityPayload": {...},
"transfer": {"amount": "1500.00", "currency": "USD" | "asset": "BTC", "unhosted": false}}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from biplomacy.aml.model.ivms101 import validate_identity_payload
from biplomacy.core.errors import Issue

ENVELOPE_KEYS = ("ivms101", "identityPayload", "IdentityPayload", "identity")
ASSET_DECIMALS = {"BTC": 8, "ETH": 18, "USDT": 6, "USDC": 6}


@dataclass(frozen=True)
class ThresholdRule:
    """FATF R.16: USD/EUR 1,000 (supervision.aml.travel_rule_threshold_usd). `usd_per_unit` converts other
    currencies and assets to USD (e.g. PKR at 1/281, BTC at the cited price)."""

    threshold: Decimal
    usd_per_unit: dict[str, Decimal]
    unhosted_action: str = "flag"  # flag | block


@dataclass
class TravelRuleResult:
    valid: bool
    problems: list[Issue]
    transfer: dict[str, Any] | None = None
    above_threshold: bool | None = None
    amount_usd: Decimal | None = None
    flags: list[str] = field(default_factory=list)


def split_envelope(doc: Any) -> tuple[Any, dict[str, Any] | None, str]:
    """(identity payload, transfer data or None, path prefix of the payload)."""
    if isinstance(doc, dict):
        for key in ENVELOPE_KEYS:
            if key in doc:
                transfer = doc.get("transfer")
                return doc[key], transfer if isinstance(transfer, dict) else None, key + "."
    return doc, None, ""


def _amount(transfer: dict[str, Any], issues: list[Issue]) -> tuple[Decimal | None, str | None]:
    unit = transfer.get("currency") or transfer.get("asset")
    if not isinstance(unit, str) or not unit:
        issues.append(Issue("transfer.unit", "transfer.currency", "give a currency (ISO 4217) or an asset (e.g. BTC)"))
        return None, None
    unit = unit.upper()
    if "currency" in transfer and pycountry.currencies.get(alpha_3=unit) is None:
        issues.append(Issue("transfer.currency", "transfer.currency", f"{unit!r} is not an ISO 4217 currency code"))
    raw = transfer.get("amount")
    if isinstance(raw, float) or isinstance(raw, bool):
        issues.append(Issue("transfer.amount", "transfer.amount", "give the amount as a decimal string, not a float"))
        return None, unit
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        issues.append(Issue("transfer.amount", "transfer.amount", f"{raw!r} is not a decimal amount"))
        return None, unit
    if not amount.is_finite() or amount <= 0:
        issues.append(Issue("transfer.amount", "transfer.amount", f"{raw!r} must be a positive amount"))
        return None, unit
    places = ASSET_DECIMALS.get(unit, 2)
    if -amount.as_tuple().exponent > places:  # type: ignore[operator]
        issues.append(Issue("transfer.amount", "transfer.amount", f"{raw} {unit} has more than {places} decimal places"))
    return amount, unit


def check_transfer(doc: Any, rule: ThresholdRule) -> TravelRuleResult:
    payload, transfer, prefix = split_envelope(doc)
    if not prefix and isinstance(doc, dict) and "transfer" in doc:
        # transfer data beside a bare payload: an envelope whose payload key is missing or misspelt. Refused,
        # never read as a bare payload with its transfer (and so the FATF R.16 threshold) ignored.
        return TravelRuleResult(False, [Issue("travel.envelope", "ivms101", "an envelope with 'transfer' holds "
                                              "the IVMS101 IdentityPayload under 'ivms101' (or 'identityPayload'); "
                                              f"it has none (keys: {', '.join(sorted(map(str, doc))[:8])})")])
    problems = [Issue(i.code, prefix + i.path if i.path != "$" else (prefix.rstrip(".") or "$"), i.message)
                for i in validate_identity_payload(payload)]
    result = TravelRuleResult(not problems, problems, transfer)
    if transfer is None:
        return result
    amount, unit = _amount(transfer, problems)
    if amount is not None and unit is not None:
        if unit in ("USD", "EUR"):
            result.amount_usd = amount if unit == "USD" else None
            result.above_threshold = amount >= rule.threshold
        elif unit in rule.usd_per_unit:
            result.amount_usd = (amount * rule.usd_per_unit[unit]).quantize(Decimal("0.01"))
            result.above_threshold = result.amount_usd >= rule.threshold
        else:
            problems.append(Issue("transfer.rate", "transfer", f"no USD rate for {unit}; add one to the rates file"))
    if transfer.get("unhosted") is True:
        result.flags.append(f"unhosted wallet: {rule.unhosted_action} (configured rule)")
    result.valid = not problems
    return result


def missing_data_flag(transfer: dict[str, Any], rule: ThresholdRule) -> TravelRuleResult:
    """A transfer that came with no IVMS101 data at all: flagged when at or above the threshold."""
    probe = check_transfer({"ivms101": {}, "transfer": transfer}, rule)
    if probe.above_threshold:
        probe.flags.append(f"no IVMS101 data for a transfer at or above {rule.threshold} USD/EUR (FATF R.16)")
    return probe
