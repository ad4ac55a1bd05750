"""Stablecoin reserve checks: an issuer's attestation against 1:1 backing, eligible assets, maturity and liquidity.

The attestation is JSON: issuer, token, as_of, currency, supply (by chain: chain, outstanding) and reserves (by
asset: class in cash, tbill, repo, mmf, other; amount; maturity_days for tbill and repo). Each rule is a plain
function (attestation, limits) -> breaches, registered once in RULES; the limits come from the provenance
registry (GENIUS Act / MiCA figures, and one labelled assumption for the liquidity share).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from biplomacy.core.errors import InputError, Issue
from biplomacy.core.jsonable import to_jsonable

CLASSES = ("cash", "tbill", "repo", "mmf", "other")
RESERVE_DECIMALS = 2  # reserves are money: cents
SUPPLY_DECIMALS = 18  # tokens: at most 18 decimals (ERC-20's usual largest)


@dataclass(frozen=True)
class Reserve:
    asset_class: str
    amount: Decimal
    maturity_days: int | None
    description: str


@dataclass(frozen=True)
class Attestation:
    issuer: str
    token: str
    as_of: str
    currency: str
    supply: dict[str, Decimal]  # chain -> outstanding
    reserves: list[Reserve]

    @property
    def outstanding(self) -> Decimal:
        return sum(self.supply.values(), Decimal(0))


@dataclass(frozen=True)
class Limits:
    backing_ratio_min: Decimal
    eligible_classes: frozenset[str]
    tbill_max_maturity_days: int
    repo_max_maturity_days: int
    liquidity_share_min: Decimal


@dataclass(frozen=True)
class Breach:
    rule: str
    message: str


def _amount(value: object, path: str, decimals: int, issues: list[Issue]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        issues.append(Issue("stablecoin.amount", path, "must be a number (a string keeps it exact)"))
        return Decimal(0)
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        issues.append(Issue("stablecoin.amount", path, f"{value!r} is not a number"))
        return Decimal(0)
    if not d.is_finite() or d < 0:
        issues.append(Issue("stablecoin.amount", path, f"{value!r} must be a non-negative number"))
        return Decimal(0)
    if d > MAX_AMOUNT:  # 1e308 once overflowed the ratio's arithmetic (an HTTP 500); 1e400 was stored as given
        issues.append(Issue("stablecoin.range", path, f"{value!r} is beyond {MAX_AMOUNT:,} (no issuer is that large)"))
        return Decimal(0)
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and -exp > decimals:
        issues.append(Issue("stablecoin.precision", path, f"{value!r} has more than {decimals} decimals"))
    return d


# Bounds at the edges (#20): the largest stablecoin outstanding is about 1.5e11 (USDT, 2025); 1e15 leaves
# ample room and keeps every ratio inside Decimal's default 28-digit context. An attestation is dated after
# the first fiat-backed stablecoin (Tether, 2014) and before 2100.
MAX_AMOUNT = Decimal(10) ** 15
EARLIEST, LATEST = date(2014, 1, 1), date(2100, 12, 31)


def _as_of(text: str, issues: list[Issue]) -> None:
    if not text:
        return
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        issues.append(Issue("stablecoin.date", "as_of", f"{text!r} is not a date (YYYY-MM-DD)"))
        return
    if not EARLIEST <= day <= LATEST:
        issues.append(Issue("stablecoin.date", "as_of", f"{text!r} is outside {EARLIEST} to {LATEST}"))


def _text(doc: Mapping[str, Any], key: str, path: str, issues: list[Issue]) -> str:
    v = doc.get(key)
    if not isinstance(v, str) or not v.strip():
        issues.append(Issue("stablecoin.missing", f"{path}{key}", "is missing or empty"))
        return ""
    return v.strip()


def parse_attestation(doc: object, source: str) -> Attestation:
    """Validate an attestation document field by field; every problem names its path."""
    if not isinstance(doc, dict):
        raise InputError(f"{source}: expected a JSON object", field="$")
    issues: list[Issue] = []
    head = {k: _text(doc, k, "", issues) for k in ("issuer", "token", "as_of", "currency")}
    _as_of(head["as_of"], issues)
    supply: dict[str, Decimal] = {}
    rows = doc.get("supply")
    if not isinstance(rows, list) or not rows:
        issues.append(Issue("stablecoin.missing", "supply", "must be a non-empty list of {chain, outstanding}"))
        rows = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            issues.append(Issue("stablecoin.shape", f"supply[{i}]", "must be an object"))
            continue
        chain = _text(row, "chain", f"supply[{i}].", issues)
        if chain in supply:
            issues.append(Issue("stablecoin.duplicate", f"supply[{i}].chain", f"{chain!r} listed twice"))
        supply[chain] = _amount(row.get("outstanding"), f"supply[{i}].outstanding", SUPPLY_DECIMALS, issues)
    reserves: list[Reserve] = []
    rows = doc.get("reserves")
    if not isinstance(rows, list):
        issues.append(Issue("stablecoin.missing", "reserves", "must be a list of {class, amount[, maturity_days]}"))
        rows = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            issues.append(Issue("stablecoin.shape", f"reserves[{i}]", "must be an object"))
            continue
        cls = row.get("class")
        if cls not in CLASSES:
            issues.append(Issue("stablecoin.class", f"reserves[{i}].class", f"{cls!r} is not one of {', '.join(CLASSES)}"))
        amount = _amount(row.get("amount"), f"reserves[{i}].amount", RESERVE_DECIMALS, issues)
        mat = row.get("maturity_days")
        if cls in ("tbill", "repo") and (isinstance(mat, bool) or not isinstance(mat, int) or mat < 0):
            issues.append(Issue("stablecoin.maturity", f"reserves[{i}].maturity_days",
                                f"a {cls} needs its remaining maturity in whole days (got {mat!r})"))
            mat = None
        reserves.append(Reserve(str(cls), amount, mat if isinstance(mat, int) else None,
                                str(row.get("description", ""))))
    if issues:
        raise InputError.from_issues(issues, source)
    return Attestation(head["issuer"], head["token"], head["as_of"], head["currency"], supply, reserves)


def _eligible(att: Attestation, lim: Limits) -> Decimal:
    return sum((r.amount for r in att.reserves if r.asset_class in lim.eligible_classes), Decimal(0))


def backing_ratio(att: Attestation, lim: Limits) -> Decimal | None:
    """Eligible reserves over outstanding supply (None when nothing is outstanding)."""
    return None if att.outstanding == 0 else _eligible(att, lim) / att.outstanding


def one_to_one_backing(att: Attestation, lim: Limits) -> list[Breach]:
    """Eligible reserves must at least equal the tokens outstanding on every chain together."""
    ratio = backing_ratio(att, lim)
    if ratio is None or ratio >= lim.backing_ratio_min:
        return []
    short = att.outstanding * lim.backing_ratio_min - _eligible(att, lim)
    return [Breach("one_to_one_backing", f"eligible reserves cover {ratio:.4%} of {att.outstanding:,.2f} "
                                         f"{att.token} outstanding; short by {short:,.2f} {att.currency}")]


def eligible_assets(att: Attestation, lim: Limits) -> list[Breach]:
    """Every reserve asset must be of an eligible class (cash, short T-bills, overnight repo, MMF)."""
    return [Breach("eligible_assets", f"reserves[{i}]: {r.amount:,.2f} {att.currency} of class {r.asset_class} "
                                      f"({r.description or 'no description'}) is not an eligible reserve asset")
            for i, r in enumerate(att.reserves) if r.asset_class not in lim.eligible_classes]


def maturity(att: Attestation, lim: Limits) -> list[Breach]:
    """T-bills at most 93 days to maturity, repos overnight."""
    out = []
    for i, r in enumerate(att.reserves):
        cap = {"tbill": lim.tbill_max_maturity_days, "repo": lim.repo_max_maturity_days}.get(r.asset_class)
        if cap is not None and r.maturity_days is not None and r.maturity_days > cap:
            out.append(Breach("maturity", f"reserves[{i}]: {r.asset_class} maturing in {r.maturity_days} days "
                                          f"(at most {cap})"))
    return out


def liquid(r: Reserve) -> bool:
    return r.asset_class == "cash" or (r.asset_class in ("tbill", "repo") and (r.maturity_days or 0) <= 1)


def liquidity_share(att: Attestation, lim: Limits) -> list[Breach]:
    """Cash and overnight assets must be at least the configured share of all reserves (run-risk buffer)."""
    total = sum((r.amount for r in att.reserves), Decimal(0))
    if total == 0:
        return [Breach("liquidity_share", "no reserves reported")] if att.outstanding > 0 else []
    share = sum((r.amount for r in att.reserves if liquid(r)), Decimal(0)) / total
    if share >= lim.liquidity_share_min:
        return []
    return [Breach("liquidity_share", f"cash and overnight assets are {share:.2%} of reserves "
                                      f"(at least {lim.liquidity_share_min:.0%})")]


RULES: tuple[tuple[str, Callable[[Attestation, Limits], list[Breach]]], ...] = (
    ("one_to_one_backing", one_to_one_backing),
    ("eligible_assets", eligible_assets),
    ("maturity", maturity),
    ("liquidity_share", liquidity_share),
)


@dataclass(frozen=True)
class Verdict:
    """The reserve rules' verdict on one attestation, with the figures it rests on (amounts in its currency)."""

    issuer: str
    token: str
    as_of: str  # the attestation's own date, as the issuer wrote it
    currency: str
    compliant: bool
    breaches: tuple[Breach, ...]
    backing_ratio: Decimal | None  # eligible reserves / outstanding, 6 places; None when nothing is outstanding
    outstanding: Decimal  # tokens outstanding on every chain together
    outstanding_by_chain: dict[str, Decimal]
    reserves_total: Decimal
    liquid_share: Decimal | None  # cash and overnight assets / all reserves, 4 places; None without reserves
    rules: tuple[str, ...]  # the rules checked, in order


def assess(att: Attestation, lim: Limits) -> Verdict:
    """Run every rule of RULES on the attestation."""
    breaches = tuple(b for _n, rule in RULES for b in rule(att, lim))
    ratio = backing_ratio(att, lim)
    total = sum((r.amount for r in att.reserves), Decimal(0))
    liquid_total = sum((r.amount for r in att.reserves if liquid(r)), Decimal(0))
    return Verdict(att.issuer, att.token, att.as_of, att.currency, not breaches, breaches,
                   None if ratio is None else ratio.quantize(Decimal("0.000001")), att.outstanding,
                   dict(att.supply), total,
                   None if total == 0 else (liquid_total / total).quantize(Decimal("0.0001")),
                   tuple(n for n, _ in RULES))


def check(att: Attestation, lim: Limits) -> dict[str, Any]:
    """The verdict as it is stored with a recorded attestation and published: JSON values, Decimals as strings."""
    result: dict[str, Any] = to_jsonable(assess(att, lim))
    return result
