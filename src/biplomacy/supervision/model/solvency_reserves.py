"""Liabilities against on-chain reserves: per-asset solvency ratios from a published root and reserve holdings.

Holdings are plain values (asset, address, balance in the same unit as the liabilities, and an optional
BIP-322 message and signature). Whoever calls supplies the signature check as a function, so this
module stays free of any Bitcoin library and of the chain.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from biplomacy.core.errors import InputError, Issue
from biplomacy.core.ports import ChainTx

SignatureCheck = Callable[[str, str, str], str | None]
"""(address, message, signature) -> None when the signature proves control, else the reason it does not."""


@dataclass(frozen=True, slots=True)
class Holding:
    asset: str
    address: str
    balance: int
    message: str = ""
    signature: str = ""


@dataclass(frozen=True, slots=True)
class AssetCoverage:
    """One asset's liabilities against the reserves held for it, in the asset's smallest unit."""

    liabilities: int
    reserves: int
    proven_reserves: int  # held at addresses whose BIP-322 signature proves control
    ratio: Decimal | None  # reserves / liabilities, 6 places rounded down; None when nothing is owed
    covered: bool


@dataclass(frozen=True, slots=True)
class HoldingProof:
    """Whether a holding's address is proven: proven, invalid (with the reason), unsigned or unchecked."""

    asset: str
    address: str
    balance: int
    ownership: str
    reason: str | None


def read_holdings(text: str, *, source: str = "reserves", need_balance: bool = True) -> list[Holding]:
    """Read holdings from JSON ({"reserves": [...]} or a bare list) or CSV (asset,address,balance[,...]).

    With `need_balance=False` (balances will come from the chain) the balance may be left out.
    """
    stripped = text.lstrip()
    issues: list[Issue] = []
    rows: Any
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        rows = doc.get("reserves") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(f"{source}: expected a list of holdings under \"reserves\"", field="reserves")
        base = "reserves"
    else:
        reader = csv.DictReader(io.StringIO(text))
        wanted = ("asset", "address", "balance") if need_balance else ("asset", "address")
        missing = [c for c in wanted if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{source}: missing column(s) {', '.join(missing)}", field=missing[0])
        rows = list(reader)
        base = "row"
    out: list[Holding] = []
    for i, r in enumerate(rows):
        where = f"{base}[{i}]" if base == "reserves" else f"row {i + 2}"
        asset, address, raw = str(r.get("asset") or "").strip().upper(), str(r.get("address") or "").strip(), \
            r.get("balance")
        if not asset or not address:
            issues.append(Issue("reserves.missing", where, "asset and address are required"))
            continue
        text_bal = str(raw).strip() if raw is not None and not isinstance(raw, bool) else ""
        if not need_balance and not text_bal:
            text_bal = "0"
        if not (text_bal.isascii() and text_bal.isdigit()):
            issues.append(Issue("reserves.balance", f"{where}.balance",
                                f"{raw!r} is not a non-negative integer in the asset's smallest unit"))
            continue
        out.append(Holding(asset, address, int(text_bal), str(r.get("message") or ""),
                           str(r.get("signature") or "")))
    if issues:
        raise InputError.from_issues(issues, source)
    seen: set[tuple[str, str]] = set()
    for h in out:
        if (h.asset, h.address) in seen:
            issues.append(Issue("reserves.duplicate", h.address, f"address listed twice for {h.asset}"))
        seen.add((h.asset, h.address))
    if issues:
        raise InputError.from_issues(issues, source)
    return out


def cover(totals: dict[str, int], holdings: list[Holding],
          check: SignatureCheck | None = None) -> tuple[dict[str, AssetCoverage], list[HoldingProof]]:
    """Coverage per asset (in asset order) and, per holding, whether its address is proven."""
    proofs: list[HoldingProof] = []
    reserves: dict[str, int] = {}
    proven: dict[str, int] = {}
    for h in holdings:
        reserves[h.asset] = reserves.get(h.asset, 0) + h.balance
        reason: str | None
        if not h.signature:
            status, reason = "unsigned", "no BIP-322 signature given"
        elif check is None:
            status, reason = "unchecked", "no BIP-322 verifier is installed"
        else:
            failure = check(h.address, h.message, h.signature)
            status, reason = ("proven", None) if failure is None else ("invalid", failure)
        if status == "proven":
            proven[h.asset] = proven.get(h.asset, 0) + h.balance
        proofs.append(HoldingProof(h.asset, h.address, h.balance, status, reason))
    rows = {}
    for asset in sorted(set(totals) | set(reserves)):
        owed, held = totals.get(asset, 0), reserves.get(asset, 0)
        ratio = None if owed == 0 else (Decimal(held) / Decimal(owed)).quantize(Decimal("0.000001"), ROUND_DOWN)
        rows[asset] = AssetCoverage(owed, held, proven.get(asset, 0), ratio, held >= owed)
    return rows, proofs


def address_balance(address: str, history: Iterable[ChainTx], at_height: int | None = None) -> int:
    """Sats an address held at `at_height` (default: now, confirmed only): its outputs not spent by then."""
    txs = [t for t in history if t.height is not None and (at_height is None or t.height <= at_height)]
    spent = {s for t in txs for s in t.spends}
    return sum(o.value for t in txs for o in t.outputs if o.address == address and (t.txid, o.vout) not in spent)
