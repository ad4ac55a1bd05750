"""Use case: estimate the tax base (realised gains by FIFO, taxable turnover) of a trades file, with assumptions."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from biplomacy.aml.model.tax import Rates, parse_trades, tax_base
from biplomacy.aml.results import TaxEstimate
from biplomacy.aml.scan import read_columns
from biplomacy.core.errors import InputError
from biplomacy.core.provenance import load_registry

KEYS = ("supervision.tax.capital_gains_rate", "supervision.tax.turnover_rate")
ASSUMPTIONS = (
    "realised gains: FIFO lots per VASP, account and asset; fees raise a buy's cost and cut a sale's proceeds",
    "losses offset gains of the same account only; an account's net loss carries nothing",
    "a sale of more than the account holds in the file is taken at zero cost for the rest (uncovered_quantity)",
    "taxable turnover: gross value (quantity x price) of every buy and sell",
    "prices are in the stated currency per unit at the time of the trade, as the file gives them",
)


def _rate(doc: dict[str, Any], key: str, default: Decimal, where: str) -> Decimal:
    if key not in doc:
        return default
    try:
        r = Decimal(str(doc[key]))
    except InvalidOperation:
        raise InputError(f"{where}: {key} {doc[key]!r} is not a number", field=key) from None
    if not (r.is_finite() and 0 <= r <= 1):
        raise InputError(f"{where}: {key} must be a share between 0 and 1 (got {doc[key]!r})", field=key)
    return r


def rates_from(path: Path | None) -> tuple[Rates, list[str]]:
    reg = load_registry()
    doc: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise InputError(f"{path}: no such file", field="rates")
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid TOML ({exc})", field="rates") from None
        unknown = set(doc) - {"capital_gains_rate", "turnover_rate", "currency"}
        if unknown:
            raise InputError(f"{path}: unknown keys {sorted(unknown)} (capital_gains_rate, turnover_rate, currency)",
                             field="rates")
    where = str(path or "defaults")
    rates = Rates(_rate(doc, "capital_gains_rate", reg.value(KEYS[0]), where),
                  _rate(doc, "turnover_rate", reg.value(KEYS[1]), where), str(doc.get("currency", "PKR")))
    notes = [f"{k.split('.')[-1]}: from {path}" if k.split(".")[-1] in doc
             else f"{k.split('.')[-1]} = {reg.get(k).value} (assumption: {reg.get(k).assumption})" for k in KEYS]
    return rates, notes


def estimate_file(transactions: Path, rates_file: Path | None = None) -> TaxEstimate:
    rates, notes = rates_from(rates_file)
    trades = parse_trades(read_columns(transactions), str(transactions))
    base = tax_base(trades, rates)
    return TaxEstimate(**{f.name: getattr(base, f.name) for f in fields(base)}, assumptions=(*ASSUMPTIONS, *notes),
                       sources=tuple(load_registry().cited(KEYS)))
