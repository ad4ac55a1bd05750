"""Country programs side by side: Pakistan, El Salvador, Bhutan and the United States, every cell cited.

A cell is a figure from the provenance registry (value, unit, date, source), an estimate (a figure that on-chain
trackers attribute, labelled as such), a statement restating registry facts (which it cites), or "not
published" where no sourced figure exists. Figures are read from the registry, never typed here; a statement's
text may only restate the facts it cites (tests/peers check every number in it against them).

Only national figures appear: this installation's own ledger and plans are demo or rehearsal figures (or
analysis), and are never drawn beside a country's published ones (they are on the reserve and energy pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from biplomacy.core.errors import InputError
from biplomacy.core.provenance import Registry

COUNTRIES: dict[str, str] = {"PK": "Pakistan", "SV": "El Salvador", "BT": "Bhutan", "US": "United States"}

# (key, label): the rows of the comparison, in the order a delegation reads them.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("reserve_btc", "Strategic reserve (BTC)"),
    ("reserve_sources", "How the reserve is funded"),
    ("reserve_sale", "May the reserve be sold?"),
    ("mining_mw", "State mining (MW)"),
    ("mining_energy", "Mining energy source"),
    ("regulator", "Regulator and licensing"),
    ("imf", "IMF conditions"),
    ("transparency", "Public transparency"),
)

NOT_PUBLISHED = "not published"


@dataclass(frozen=True, slots=True)
class Cited:
    """A registry fact as a cell cites it: its key, value, unit, date and source line."""

    key: str
    value: str
    unit: str
    date: str
    source: str


@dataclass(frozen=True, slots=True)
class Cell:
    """One country's answer on one dimension.

    kind: "figure" (value/unit/date from the registry), "estimate" (a registry figure that trackers attribute,
    not an official one), "statement" (text from registry labels), "not published".
    """

    kind: str
    text: str
    value: str | None = None
    unit: str | None = None
    date: str | None = None
    cites: tuple[Cited, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    countries: tuple[str, ...]
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)  # dimension -> country code -> cell

    def cited_keys(self) -> list[str]:
        return list(dict.fromkeys(c.key for row in self.cells.values() for cell in row.values() for c in cell.cites))


def parse_countries(text: str | None) -> tuple[str, ...]:
    """"PK,SV" -> ("PK", "SV"); None or "" -> all four. An unknown code is refused, naming the known ones."""
    if not text:
        return tuple(COUNTRIES)
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in COUNTRIES]
    if unknown or not codes:
        known = ", ".join(f"{k} ({v})" for k, v in COUNTRIES.items())
        raise InputError(f"countries: unknown country code {', '.join(unknown) or repr(text)}; known: {known}",
                         field="countries")
    return tuple(dict.fromkeys(codes))


def _cite(reg: Registry, key: str) -> Cited:
    f = reg.get(key)
    return Cited(f.key, f.value, f.unit, f.date, f.cite())


def _figure(reg: Registry, key: str, *more: str, note: str = "", kind: str = "figure") -> Cell:
    c = _cite(reg, key)
    label = " (estimate)" if kind == "estimate" else ""
    return Cell(kind, f"{_grouped(c.value)} {c.unit}{label} ({c.date})", c.value, c.unit, c.date,
                (c, *(_cite(reg, k) for k in more)), note)


def _statement(reg: Registry, text: str, *keys: str) -> Cell:
    cites = tuple(_cite(reg, k) for k in keys)
    return Cell("statement", text, date=cites[0].date, cites=cites)


def _label(reg: Registry, key: str) -> str:
    return reg.get(key).label


def _none(note: str = "") -> Cell:
    return Cell("not published", NOT_PUBLISHED, note=note or "no sourced figure in Biplomacy's registry")


def _grouped(value: str) -> str:
    d = Decimal(value)
    return f"{d:,}" if d == d.to_integral_value() else str(d)


def _pakistan(reg: Registry) -> dict[str, Cell]:
    sbr = "house.pk.strategic_bitcoin_reserve"
    alloc = "house.pk.mining_ai_allocation_mw"
    return {
        "reserve_btc": _statement(reg, f"{_label(reg, sbr)}; no size published", sbr),
        "reserve_sources": _none(),
        "reserve_sale": _none(),
        "mining_mw": _figure(reg, alloc, note="electricity for mining and AI data centres, not state mining alone"),
        "mining_energy": _statement(reg, "surplus generation (esp. winter) in designated zones", alloc),
        "regulator": _statement(reg, f"{_label(reg, 'house.pk.regulator')}; penalties up to PKR 100 m or 5 % of "
                                     "turnover (Virtual Assets Ordinance 2025)", "house.pk.regulator",
                                "house.pk.penalty_max_pkr", "house.pk.penalty_max_turnover_share"),
        "imf": _statement(reg, f"USD 7 bn Extended Fund Facility to 2027; "
                               f"{_label(reg, 'house.imf.position_on_miner_tariffs').removeprefix('IMF position: ')}",
                          "house.imf.pakistan_eff_usd", "house.imf.position_on_miner_tariffs"),
        "transparency": _none("no public tracker of the announced reserve is reported"),
    }


def _el_salvador(reg: Registry) -> dict[str, Cell]:
    return {
        "reserve_btc": _figure(reg, "peers.sv.reserve_btc", "peers.sv.reserve_usd", "peers.sv.imf_stock_unchanged",
                               note="the Bitcoin Office's figure; the IMF's staff report of 15 Jul 2025 says the "
                                    "public sector's stock was unchanged since programme approval (wallet "
                                    "consolidation): both shown"),
        "reserve_sources": _statement(reg, "the Office says it adds 1 BTC a day and bought 1,090 BTC on 18 Nov 2025; "
                                           "474 BTC mined with geothermal power at LaGeo by May 2024",
                                      "peers.sv.daily_addition_btc", "peers.sv.reserve_btc", "peers.sv.lageo_mined_btc"),
        "reserve_sale": _none(),
        "mining_mw": _figure(reg, "peers.sv.lageo_mining_mw", "peers.sv.volcano_energy_mw",
                             note="LaGeo; a 241 MW Volcano Energy park is planned"),
        "mining_energy": _statement(reg, "geothermal (LaGeo)", "peers.sv.lageo_mining_mw"),
        "regulator": _none(),
        "imf": _statement(reg, "USD 1.4 bn Extended Fund Facility (approved 26 Feb 2025); public sector may not "
                               "voluntarily accumulate BTC (purchases, mining); holdings by other means allowed",
                          "peers.sv.imf_eff_usd", "peers.sv.imf_stock_unchanged"),
        "transparency": _statement(reg, "public tracker of the holdings (the Bitcoin Office's dashboard)",
                                   "peers.sv.reserve_btc"),
    }


def _bhutan(reg: Registry) -> dict[str, Cell]:
    return {
        "reserve_btc": _figure(reg, "peers.bt.holdings_oct_2025_btc", "peers.bt.holdings_peak_btc",
                               note="13,029 BTC when Arkham first attributed the wallets (16 Sep 2024); their peak, "
                                    "over 13,000 BTC, was on 29 Oct 2024", kind="estimate"),
        "reserve_sources": _statement(reg, "state hydro mining (Druk Holding & Investments)",
                                      "peers.bt.hydro_mining_mw_start"),
        "reserve_sale": _statement(reg, "not published as a rule; holdings fell from over 13,000 BTC (29 Oct 2024) to "
                                        "6,262 BTC by 20 Oct 2025 (on-chain trackers)",
                                   "peers.bt.holdings_peak_btc", "peers.bt.holdings_oct_2025_btc"),
        "mining_mw": _figure(reg, "peers.bt.hydro_mining_mw_start", "peers.bt.hydro_mining_mw_target",
                             note="600 MW is Bitdeer's plan (Apr 2024), not a DHI figure"),
        "mining_energy": _statement(reg, "hydro", "peers.bt.hydro_mining_mw_start"),
        "regulator": _none(),
        "imf": _none(),
        "transparency": _statement(reg, "no official tracker; holdings followed by on-chain trackers (Arkham)",
                                   "peers.bt.holdings_oct_2025_btc"),
    }


def _united_states(reg: Registry) -> dict[str, Cell]:
    eo = "peers.us.sbr_executive_order"
    return {
        "reserve_btc": _figure(reg, "peers.us.holdings_estimate_btc", kind="estimate",
                               note="on-chain trackers across agencies; the Marshals Service alone reported "
                                    "28,988.356 BTC on 15 Jul 2025"),
        "reserve_sources": _statement(reg, "forfeited BTC (Executive Order, 6 Mar 2025)", eo),
        "reserve_sale": _statement(reg, "no: \"shall not be sold\" (Executive Order, 6 Mar 2025)", eo),
        "mining_mw": _none(),
        "mining_energy": _none(),
        "regulator": _none(),
        "imf": _none(),
        "transparency": _none(),
    }


def compare(reg: Registry, countries: Sequence[str] | None = None) -> Comparison:
    """The comparison for `countries` (codes; None: all four): national, published figures only."""
    codes = tuple(countries) if countries is not None else tuple(COUNTRIES)
    unknown = [c for c in codes if c not in COUNTRIES]
    if unknown or not codes:
        raise InputError(f"unknown country code {', '.join(unknown) or '(none given)'}; known: "
                         f"{', '.join(COUNTRIES)}", field="countries")
    columns = {"PK": lambda: _pakistan(reg), "SV": lambda: _el_salvador(reg),
               "BT": lambda: _bhutan(reg), "US": lambda: _united_states(reg)}
    by_country = {c: columns[c]() for c in codes}
    cells = {dim: {c: by_country[c][dim] for c in codes} for dim, _ in DIMENSIONS}
    return Comparison(codes, cells)
