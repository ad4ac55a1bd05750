"""Reserve policy profiles as rules: small pure functions in one registered tuple, each with its own test.

A wallet runs under one profile. Spend rules look at a proposed spend; receipt rules look at a coin that
arrived. A finding either blocks (the action is refused with the reason) or flags (it is recorded and shown
on the public page). Quorum tiers raise the number of signatures a large spend needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from biplomacy.core.errors import InputError
from biplomacy.core.units import SATS_PER_BTC

PROFILES = ("pakistan-draft", "imf-no-accumulation", "us-eo-no-sale", "bhutan")
DEFAULT_PROFILE = "pakistan-draft"


@dataclass(frozen=True, slots=True)
class PolicyFigures:
    """Figures the rules need, read from the provenance registry by the service (never written here)."""

    tier_btc: tuple[Decimal, ...]  # spends above tier_btc[k] need M + k + 1 signatures (capped at N)
    fx_reserves_usd: Decimal
    cap_share_of_fx: Decimal  # e.g. 0.05: holdings may not pass 5 % of FX reserves
    btc_usd: Decimal  # the one BTC price of the portal (reserve/price.py)
    btc_usd_date: str = ""  # the day of that price, named in the cap's flag


@dataclass(frozen=True, slots=True)
class SpendContext:
    profile: str
    amount_sats: int
    destination_is_reserve: bool
    threshold: int
    signers: int
    approval: str
    figures: PolicyFigures


@dataclass(frozen=True, slots=True)
class ReceiptContext:
    profile: str
    source: str
    sats: int
    holdings_sats: int  # after this receipt
    figures: PolicyFigures


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str  # "block" | "flag"
    message: str


SpendRule = Callable[[SpendContext], list[Finding]]
ReceiptRule = Callable[[ReceiptContext], list[Finding]]


def required_threshold(ctx: SpendContext) -> int:
    """Signatures this spend needs: the wallet's M, raised by one for each amount tier it passes (Pakistan draft)."""
    if ctx.profile != "pakistan-draft":
        return ctx.threshold
    btc = Decimal(ctx.amount_sats) / SATS_PER_BTC
    passed = sum(1 for t in ctx.figures.tier_btc if btc > t)
    return min(ctx.signers, ctx.threshold + passed)


def beyond_the_script(profile: str, threshold: int, signers: int, figures: PolicyFigures) -> list[str]:
    """The profile's signature rules that a wallet whose script takes `threshold` of `signers` cannot enforce.

    A multisig script takes exactly its M signatures: an amount tier asking for more holds only in the app
    (signers who combine M signatures elsewhere can move any amount). Where such a rule must hold on chain, the
    wallet's own M must carry it, so a wallet designed "on chain" is refused while one of these remains.
    """
    if profile != "pakistan-draft":
        return []
    out = []
    for k, tier in enumerate(figures.tier_btc):
        need = min(signers, threshold + k + 1)
        if need > threshold:
            out.append(f"amount tier: a spend above {tier} BTC needs {need} of {signers} signatures, but this "
                       f"wallet's script takes {threshold}; keep such amounts in a {need}-of-{signers} wallet")
    return out


def imf_no_accumulation_receipt(ctx: ReceiptContext) -> list[Finding]:
    """IMF EFF with El Salvador: no voluntary accumulation; purchases and mining are flagged, other sources allowed."""
    if ctx.profile == "imf-no-accumulation" and ctx.source in ("purchase", "mining"):
        return [Finding("imf-no-accumulation", "flag", f"a {ctx.source} receipt is voluntary accumulation, which "
                                                       "the IMF arrangement does not allow the public sector")]
    return []


def us_eo_no_sale(ctx: SpendContext) -> list[Finding]:
    """US EO of 6 Mar 2025: reserve bitcoin shall not be sold; a spend may only move coins to another reserve wallet."""
    if ctx.profile == "us-eo-no-sale" and not ctx.destination_is_reserve:
        return [Finding("us-eo-no-sale", "block", "this reserve may not be sold: the destination must be an address "
                                                  "of another reserve wallet")]
    return []


def bhutan_board_approval(ctx: SpendContext) -> list[Finding]:
    """Bhutan (Druk Holding & Investments): sales out of the reserve need a board approval reference."""
    if ctx.profile == "bhutan" and not ctx.destination_is_reserve and not ctx.approval.strip():
        return [Finding("bhutan", "block", "a sale needs the board's approval: give --approval with the resolution "
                                           "reference")]
    return []


def pakistan_quorum_tier(ctx: SpendContext) -> list[Finding]:
    """Pakistan draft: a large spend needs more signatures than the wallet's M (amount tiers)."""
    need = required_threshold(ctx)
    if ctx.profile == "pakistan-draft" and need > ctx.threshold:
        return [Finding("pakistan-draft", "flag", f"amount tier: this spend needs {need} of {ctx.signers} "
                                                  f"signatures instead of {ctx.threshold}")]
    return []


def fx_cap(figures: PolicyFigures) -> tuple[Decimal, Decimal]:
    """The Pakistan draft's cap on holdings: in USD (a share of FX reserves), and in BTC at the figures' price."""
    usd = figures.fx_reserves_usd * figures.cap_share_of_fx
    return usd, (usd / figures.btc_usd).quantize(Decimal("0.00000001"))


def pakistan_fx_cap(ctx: ReceiptContext) -> list[Finding]:
    """Pakistan draft: holdings above a share of FX reserves are flagged (assumption-labelled cap)."""
    if ctx.profile != "pakistan-draft":
        return []
    value = Decimal(ctx.holdings_sats) / SATS_PER_BTC * ctx.figures.btc_usd
    cap = ctx.figures.fx_reserves_usd * ctx.figures.cap_share_of_fx
    if value > cap:
        priced = f"BTC at USD {ctx.figures.btc_usd:,.0f}" + (f", price of {ctx.figures.btc_usd_date}"
                                                              if ctx.figures.btc_usd_date else "")
        return [Finding("pakistan-draft", "flag", f"holdings worth USD {value:,.0f} ({priced}) pass the cap of USD "
                                                  f"{cap:,.0f} ({ctx.figures.cap_share_of_fx:%} of FX reserves)")]
    return []


SPEND_RULES: tuple[SpendRule, ...] = (us_eo_no_sale, bhutan_board_approval, pakistan_quorum_tier)
RECEIPT_RULES: tuple[ReceiptRule, ...] = (imf_no_accumulation_receipt, pakistan_fx_cap)


def check_profile(name: str) -> str:
    if name not in PROFILES:
        raise InputError(f"policy profile {name!r} is not one of {', '.join(PROFILES)}", field="policy")
    return name


def check_spend(ctx: SpendContext) -> list[Finding]:
    return [f for rule in SPEND_RULES for f in rule(ctx)]


def check_receipt(ctx: ReceiptContext) -> list[Finding]:
    return [f for rule in RECEIPT_RULES for f in rule(ctx)]
