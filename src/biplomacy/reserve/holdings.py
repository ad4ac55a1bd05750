"""Holdings: the ledger by wallet and source, valued in USD and PKR, its history, and BTC price imports."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from sqlalchemy import ColumnElement, select

from biplomacy.core.errors import InputError, Issue
from biplomacy.core.networks import REHEARSAL, is_rehearsal
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house import audit
from biplomacy.reserve import lineage
from biplomacy.reserve.model import ledger, policy
from biplomacy.reserve.price import btc_price, policy_figures
from biplomacy.reserve.results import (
    HistoryPoint,
    HoldingsReport,
    LedgerEntry,
    PricesImported,
    SourceHolding,
    WalletHolding,
)
from biplomacy.reserve.tables import LedgerEntryRow, PriceRow, WalletRow
from biplomacy.store.db import Store

SNAPSHOT = "btc-prices-2025.csv"
KINDS = ("reserve", "rehearsal")


def _kind_filter(kind: str | None) -> list[ColumnElement[bool]]:
    """Which wallets a report covers: the reserve (Bitcoin's main chain), the rehearsal wallets, or (None) all."""
    if kind is None:
        return []
    if kind not in KINDS:
        raise InputError(f"{kind!r} is not one of {', '.join(KINDS)}", field="wallets")
    return [WalletRow.network == "bitcoin"] if kind == "reserve" else [WalletRow.network != "bitcoin"]


def holdings(store: Store, wallet: str | None = None, public: bool = True, kind: str | None = None) -> HoldingsReport:
    """Every receipt, totals by wallet and source, valuation, and a history series (public: no hidden addresses).

    `kind` "reserve" covers the wallets on Bitcoin's main chain only, "rehearsal" the others. A report that
    covers any rehearsal wallet is marked "rehearsal" and is not valued: its coins are not national holdings.
    """
    one = btc_price(store)
    price, rate, price_date, sources = one.usd, one.pkr_per_usd, one.date, list(one.sources)
    with store.read() as session:
        q = select(LedgerEntryRow, WalletRow).join(WalletRow, WalletRow.id == LedgerEntryRow.wallet_id)
        if wallet:
            q = q.where(WalletRow.name == wallet)
        rows = session.execute(q.where(*_kind_filter(kind)).order_by(LedgerEntryRow.first_seen, LedgerEntryRow.id)).all()
        wallets = {w.name: w for w in session.scalars(select(WalletRow).where(*_kind_filter(kind))
                                                      .order_by(WalletRow.name))}
        entries = []
        by_wallet: dict[str, int] = {name: 0 for name in wallets if not wallet or name == wallet}
        by_source: dict[str, int] = {}
        events: list[tuple[str, int]] = []
        figures = policy_figures(store)
        carried = lineage.carried_sources(session)  # a sweep's or refresh's output counts under the moved sources
        for e, w in rows:
            show = not public or w.public_addresses
            live = e.status in ledger.LIVE
            findings = policy.check_receipt(policy.ReceiptContext(w.policy, e.source, e.sats, 0, figures)) \
                if live else []
            entries.append(LedgerEntry(w.name, e.txid, e.vout, e.address if show else None, e.sats,
                                       ledger.btc_amount(e.sats), e.source, e.zone, e.cost_basis_usd, e.status,
                                       e.block_height, e.first_seen, w.policy,
                                       tuple(f"{f.rule}: {f.message}" for f in findings)))
            # A receipt counts from its block's time (a first sync of an old wallet must not put history today).
            events.append(((e.block_time or e.first_seen).date().isoformat(), e.sats))
            if not live:
                events.append((e.updated_at.date().isoformat(), -e.sats))
            else:
                by_wallet[w.name] = by_wallet.get(w.name, 0) + e.sats
                for source, sats in lineage.sources_of(e, carried).items():
                    by_source[source] = by_source.get(source, 0) + sats
        per_day: dict[str, int] = {}
        for day, sats in events:
            per_day[day] = per_day.get(day, 0) + sats
        history, running = [], 0
        for day in sorted(per_day):
            running += per_day[day]
            history.append(HistoryPoint(day, running, ledger.btc_amount(running)))
        held = [WalletHolding(n, ledger.btc_amount(s), s, wallets[n].policy, wallets[n].threshold,
                              len(wallets[n].signers.split(",")), wallets[n].public_addresses)
                for n, s in by_wallet.items()]
        rehearsal = kind == "rehearsal" or any(is_rehearsal(wallets[n].network) for n in by_wallet)
    total = sum(by_wallet.values())
    value = ledger.valuation(total, price, rate)
    return HoldingsReport(
        total, ledger.btc_amount(total), None if rehearsal else value.usd, None if rehearsal else value.pkr, price,
        rate, price_date, tuple(held),
        tuple(SourceHolding(k, ledger.btc_amount(v), v) for k, v in sorted(by_source.items())),
        tuple(x for x in entries if x.status == "vanished"), tuple(x for x in entries if x.flags),
        tuple(history), tuple(entries), sources, mark=REHEARSAL if rehearsal else "reserve")


MAX_BTC_PRICE = Decimal(10) ** 12  # per BTC, in USD or PKR: far above any price seen; fits NUMERIC(24, 8)


def _parse_prices(text: str, where: str) -> list[tuple[date, str, Decimal, str]]:
    reader = csv.DictReader(io.StringIO(text))
    need = {"day", "currency", "btc_price", "source"}
    if not reader.fieldnames or not need <= set(reader.fieldnames):
        raise InputError(f"{where}: header must have {', '.join(sorted(need))}", field="file")
    rows, issues = [], []
    for n, r in enumerate(reader, start=2):
        path = f"{where}:{n}"
        try:
            day = date.fromisoformat((r["day"] or "").strip())
        except ValueError:
            issues.append(Issue("prices.day", path, f"day {r['day']!r} is not YYYY-MM-DD"))
            continue
        cur = (r["currency"] or "").strip().upper()
        if cur not in ("USD", "PKR"):
            issues.append(Issue("prices.currency", path, f"currency {cur!r} must be USD or PKR"))
            continue
        try:
            price = Decimal((r["btc_price"] or "").strip())
        except InvalidOperation:
            issues.append(Issue("prices.price", path, f"btc_price {r['btc_price']!r} is not a decimal number"))
            continue
        if not price.is_finite() or price <= 0:
            issues.append(Issue("prices.price", path, "btc_price must be positive"))
            continue
        if price >= MAX_BTC_PRICE or price != round(price, 8):  # NUMERIC(24, 8); 1e30 overflowed on PostgreSQL
            issues.append(Issue("prices.price", path, f"btc_price {r['btc_price']!r} must be under {MAX_BTC_PRICE:,} "
                                                      "with at most 8 decimals"))
            continue
        if not (r["source"] or "").strip():
            issues.append(Issue("prices.source", path, "every price needs its source"))
            continue
        rows.append((day, cur, price, r["source"].strip()[:300]))
    if issues:
        raise InputError.from_issues(issues, where)
    return rows


def import_prices(store: Store, actor: Actor, file: Path | None) -> PricesImported:
    """Import a prices CSV (default: the cited snapshot shipped in data/prices); all rows or none."""
    authorize(actor, "reserve.ledger.write")
    if file is None:
        text, where = (resources.files("biplomacy") / "data" / "prices" / SNAPSHOT).read_text("utf-8"), SNAPSHOT
    else:
        if not file.is_file():
            raise InputError(f"{file}: no such file", field="file")
        try:
            text, where = file.read_text("utf-8"), str(file)
        except UnicodeDecodeError:
            raise InputError(f"{file}: not UTF-8 text", field="file") from None
    rows = _parse_prices(text, where)
    with store.transaction() as session:
        for day, cur, price, source in rows:
            row = session.scalars(select(PriceRow).where(PriceRow.day == day, PriceRow.currency == cur)).first()
            if row is None:
                session.add(PriceRow(day=day, currency=cur, btc_price=price, source=source))
            else:
                row.btc_price, row.source = price, source
        audit.record(session, actor=actor.name, action="reserve.prices.import", subject=where,
                     payload={"rows": len(rows)})
    return PricesImported(len(rows), where)
