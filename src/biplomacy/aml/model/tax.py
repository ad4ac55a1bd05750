"""The tax base of virtual-asset trading: realised gains by FIFO lots per account and asset, and turnover.

Trades file columns: tx_id, timestamp (ISO 8601 with offset), vasp, account, asset, side (buy or sell),
quantity (units of the asset), price (fiat per unit), and optional fee (fiat, paid on that trade). Buys open
lots at price plus fee per unit; sells close the oldest lots first (FIFO) and realise proceeds less fee less
the lots' cost. Losses offset gains of the same account only (per-account netting); a sale of more than the
account holds has no known cost for the rest, which is taken at zero cost (the conservative reading) and
reported as uncovered. Taxable turnover is the gross value (quantity x price) of every trade.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation

from biplomacy.core.errors import InputError, Issue

COLUMNS = ("tx_id", "timestamp", "vasp", "account", "asset", "side", "quantity", "price")
CENT = Decimal("0.01")
MAX_ISSUES = 50


@dataclass(frozen=True)
class Trade:
    tx_id: str
    at: datetime
    vasp: str
    account: str
    asset: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal


@dataclass(frozen=True)
class Shares:
    """Tax rates as shares of the base (0..1)."""

    capital_gains: Decimal
    turnover: Decimal


@dataclass(frozen=True)
class Rates(Shares):
    """The rates to apply, and the currency prices are in."""

    currency: str


@dataclass(frozen=True)
class TaxBase:
    """One VASP's tax base and tax (or all VASPs' together), in the rates' currency; quantities in units of the
    assets. Money is rounded to the cent where tax is figured, uncovered quantities are exact."""

    realised_gains: Decimal
    realised_losses: Decimal
    taxable_gains: Decimal
    taxable_turnover: Decimal
    tax_on_gains: Decimal
    tax_on_turnover: Decimal
    tax_total: Decimal
    uncovered_quantity: Decimal


@dataclass(frozen=True)
class TaxBaseReport:
    currency: str
    trades: int
    accounts: int
    by_vasp: dict[str, TaxBase]  # in VASP name order
    total: TaxBase | None  # None when there are no trades
    rates: Shares


def _dec(text: str, path: str, issues: list[Issue], positive: bool) -> Decimal:
    try:
        d = Decimal(text.strip())
        if not d.is_finite() or d < 0 or (positive and d == 0):
            raise InvalidOperation
        return d
    except (InvalidOperation, AttributeError):
        issues.append(Issue("tax.number", path, f"{text!r} is not a {'positive' if positive else 'non-negative'} number"))
        return Decimal(0)


def parse_trades(columns: Mapping[str, Sequence[str]], source: str) -> list[Trade]:
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise InputError(f"{source}: missing columns {missing} (expected {', '.join(COLUMNS)}[, fee])", field="columns")
    trades: list[Trade] = []
    issues: list[Issue] = []
    for i in range(len(columns["tx_id"])):
        if len(issues) >= MAX_ISSUES:
            break
        row = f"{source}: row {i + 2}"
        try:
            at = datetime.fromisoformat(columns["timestamp"][i].strip().replace("Z", "+00:00"))
            if at.tzinfo is None:
                raise ValueError("no UTC offset")
        except ValueError as exc:
            issues.append(Issue("tax.timestamp", f"{row}, timestamp", f"{columns['timestamp'][i]!r}: {exc}"))
            continue
        side = columns["side"][i].strip().lower()
        if side not in ("buy", "sell"):
            issues.append(Issue("tax.side", f"{row}, side", f"{columns['side'][i]!r} is not buy or sell"))
        for k in ("tx_id", "vasp", "account", "asset"):
            if not columns[k][i].strip():
                issues.append(Issue("tax.empty", f"{row}, {k}", "is empty"))
        qty = _dec(columns["quantity"][i], f"{row}, quantity", issues, positive=True)
        price = _dec(columns["price"][i], f"{row}, price", issues, positive=False)
        fee = _dec(columns["fee"][i] or "0", f"{row}, fee", issues, positive=False) if "fee" in columns else Decimal(0)
        trades.append(Trade(columns["tx_id"][i].strip(), at, columns["vasp"][i].strip(), columns["account"][i].strip(),
                            columns["asset"][i].strip(), side, qty, price, fee))
    if issues:
        raise InputError.from_issues(issues, source)
    return trades


def _zero() -> dict[str, Decimal]:
    return {k: Decimal(0) for k in ("gains", "losses", "turnover", "uncovered_quantity")}


def realised(trades: Sequence[Trade]) -> dict[tuple[str, str], dict[str, Decimal]]:
    """Per (vasp, account): realised gains, losses (positive figure), turnover, uncovered quantity (FIFO)."""
    lots: dict[tuple[str, str, str], deque[list[Decimal]]] = defaultdict(deque)  # [qty, unit cost]
    acc: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(_zero)
    for t in sorted(trades, key=lambda t: (t.at, t.tx_id)):
        a = acc[(t.vasp, t.account)]
        a["turnover"] += t.quantity * t.price
        book = lots[(t.vasp, t.account, t.asset)]
        if t.side == "buy":
            book.append([t.quantity, (t.quantity * t.price + t.fee) / t.quantity])
            continue
        left, cost = t.quantity, Decimal(0)
        while left > 0 and book:
            lot = book[0]
            take = min(left, lot[0])
            cost += take * lot[1]
            lot[0] -= take
            left -= take
            if lot[0] == 0:
                book.popleft()
        a["uncovered_quantity"] += left
        gain = t.quantity * t.price - t.fee - cost
        a["gains" if gain >= 0 else "losses"] += abs(gain)
    return dict(acc)


def tax_base(trades: Sequence[Trade], rates: Rates) -> TaxBaseReport:
    """By VASP and in total: gains, losses, net taxable gains (per-account netting), turnover and tax."""
    per = realised(trades)
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"gains": Decimal(0), "losses": Decimal(0),
                                                               "taxable": Decimal(0), "turnover": Decimal(0),
                                                               "uncovered": Decimal(0)})
    for (vasp, _account), a in per.items():
        v = sums[vasp]
        v["gains"] += a["gains"]
        v["losses"] += a["losses"]
        v["taxable"] += max(Decimal(0), a["gains"] - a["losses"])
        v["turnover"] += a["turnover"]
        v["uncovered"] += a["uncovered_quantity"]
    by_vasp = {}
    for vasp in sorted(sums):
        v = sums[vasp]
        on_gains = (v["taxable"] * rates.capital_gains).quantize(CENT)
        on_turnover = (v["turnover"] * rates.turnover).quantize(CENT)
        by_vasp[vasp] = TaxBase(v["gains"].quantize(CENT), v["losses"].quantize(CENT), v["taxable"].quantize(CENT),
                                v["turnover"].quantize(CENT), on_gains, on_turnover, on_gains + on_turnover,
                                v["uncovered"])
    total = None
    if by_vasp:
        total = TaxBase(*(sum((getattr(by_vasp[v], f.name) for v in sums), Decimal(0)) for f in fields(TaxBase)))
    return TaxBaseReport(rates.currency, len(trades), len(per), by_vasp, total,
                         Shares(rates.capital_gains, rates.turnover))
