"""Use case: check a travel-rule file (IVMS101 payload, optionally with transfer data) against the configured rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from biplomacy.aml.model.travel_rule import ThresholdRule, check_transfer
from biplomacy.aml.results import Problem, TravelRuleCheck
from biplomacy.core.files import read_json
from biplomacy.core.provenance import load_registry
from biplomacy.reserve.price import btc_price


def default_rule(unhosted_action: str = "flag") -> ThresholdRule:
    """The FATF threshold and USD rates from the registry (PKR per USD; BTC at the portal's one cited price)."""
    reg = load_registry()
    pkr_per_usd = reg.value("energy.pk.pkr_per_usd")
    btc_usd = btc_price().usd
    return ThresholdRule(reg.value("supervision.aml.travel_rule_threshold_usd"),
                         {"PKR": Decimal(1) / pkr_per_usd, "BTC": btc_usd, "USDT": Decimal(1), "USDC": Decimal(1)},
                         unhosted_action)


def validate_file(path: Path) -> TravelRuleCheck:
    rule = default_rule()
    r = check_transfer(read_json(path, "path"), rule)
    return TravelRuleCheck(r.valid, tuple(Problem(i.path, i.message) for i in r.problems), r.transfer,
                           r.above_threshold, r.amount_usd, tuple(r.flags), rule.threshold,
                           tuple(load_registry().cited(["supervision.aml.travel_rule_threshold_usd"])))
