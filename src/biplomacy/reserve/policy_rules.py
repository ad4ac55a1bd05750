"""Use case: the reserve's policy profiles as rules another program can read, and receipts checked against them.

Peers reads the profiles through here to put them in an exchange bundle, and to run another country's dated
receipts (El Salvador's purchases, say) through one of this program's profiles in a what-if. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from biplomacy.core.provenance import load_registry
from biplomacy.reserve.model import policy
from biplomacy.reserve.model.policy_figures import KEYS as FIGURE_KEYS
from biplomacy.reserve.price import PRICE_FACT, policy_figures

PROFILES = policy.PROFILES


def _doc(rule: Any) -> str:
    return " ".join((rule.__doc__ or "").split())


def profiles_as_rules() -> dict[str, Any]:
    """Every profile with the rules that act under it (spend or receipt rules, with what each does), and the
    sourced figures the rules use."""
    rules = [(r, "spend") for r in policy.SPEND_RULES] + [(r, "receipt") for r in policy.RECEIPT_RULES]
    profiles = []
    for name in policy.PROFILES:
        # A rule acts under the profiles its docstring's profile name matches (each rule tests ctx.profile itself).
        acting = [{"rule": r.__name__, "applies_to": kind, "description": _doc(r)}
                  for r, kind in rules if _acts_under(r.__name__, name)]
        profiles.append({"name": name, "rules": acting})
    reg = load_registry()
    figures = [{"key": k, "value": reg.get(k).value, "unit": reg.get(k).unit, "date": reg.get(k).date,
                "source": reg.get(k).cite()} for k in figure_keys()]
    return {"profiles": profiles, "figures": figures}


_RULE_PROFILE = {"imf_no_accumulation_receipt": "imf-no-accumulation", "us_eo_no_sale": "us-eo-no-sale",
                 "bhutan_board_approval": "bhutan", "pakistan_quorum_tier": "pakistan-draft",
                 "pakistan_fx_cap": "pakistan-draft"}


def _acts_under(rule: str, profile: str) -> bool:
    return _RULE_PROFILE.get(rule) == profile


def receipt_findings(profile: str, source: str, sats: int, holdings_sats: int,
                     btc_usd: Decimal | None = None, price_date: str = "") -> list[dict[str, str]]:
    """The findings (rule, severity, message) a receipt of `sats` from `source` raises under `profile`, with the
    holdings after it; `btc_usd` (of `price_date`) replaces the cited one price in the cap test when given."""
    policy.check_profile(profile)
    figures = policy_figures()
    if btc_usd is not None:
        figures = replace(figures, btc_usd=btc_usd, btc_usd_date=price_date)
    ctx = policy.ReceiptContext(profile, source, sats, holdings_sats, figures)
    return [{"rule": f.rule, "severity": f.severity, "message": f.message} for f in policy.check_receipt(ctx)]


def figure_keys() -> tuple[str, ...]:
    """The registry keys behind the figures the rules use (for a report's sources); the cap's BTC price is the
    cited one price unless prices were imported (reserve/price.py)."""
    return (*FIGURE_KEYS, PRICE_FACT)

