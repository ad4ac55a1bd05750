"""The frozen records the energy use cases return and the CLI, the portal and the files render.

Each record's JSON is its fields by name (core.jsonable), in the order they are declared here, so a key of
summary.json, a stored plan, `--json` or /api/v1/energy/* is spelled once: as the field that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from biplomacy.core.jsonable import to_jsonable
from biplomacy.core.records import OMITTED_WHEN_NONE, Record
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.plan_inputs import PlanEconomics
from biplomacy.energy.model.planner import PlanResult
from biplomacy.energy.model.risk import Band, CostSpreads, Fleet, Spread
from biplomacy.energy.model.scenario import Scenario, SupplyCost
from biplomacy.energy.model.strain import Strain
from biplomacy.energy.model.tariffs import TariffVerdict

Cited = Mapping[str, Any]  # a registry fact as Registry.cited gives it: key, value, unit, date, source or assumption


def _read(kind: type[Any], doc: Mapping[str, Any], **given: Any) -> Any:
    """A record of `kind` from stored JSON: `given` values, else the field by name; a field a plan stored by an
    older version did not have reads as None (shown as "not computed")."""
    return kind(**{f.name: given[f.name] if f.name in given else doc.get(f.name) for f in fields(kind)})


# --- a plan -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ZoneAllocation(Record):
    """What a plan installs in one zone, and the MWh it mines there over the plan's hours."""

    zone: str
    mining_mw: float
    ai_mw: float
    mining_mwh: float


@dataclass(frozen=True)
class MeritOrderCost(Record):
    """The plan's energy priced along the merit order (each hour's added load at the plants that serve it)."""

    hours_margin_moved_by_added_load: int
    mining_energy_cost_pkr_per_year: float
    mining_energy_cost_pkr_kwh: float | None  # None when the plan mines nothing
    ai_energy_cost_pkr_per_year: float


@dataclass(frozen=True)
class Headline(Record):
    """The plan's risk-adjusted headline and how it was had: the Monte Carlo of the plan's fleet at the first tariff
    option (it switches off on days the hashprice does not pay the tariff; self-dilution only while it runs)."""

    basis: str
    tariff: str
    tariff_usd_mwh: float
    paths: int
    years: float
    seed: int
    btc_per_year_p5: float
    btc_per_year_p50: float
    btc_per_year_p95: float
    share_of_days_mining: float
    npv_usd_p50: float
    probability_of_loss: float
    static_basis: str


@dataclass(frozen=True)
class CapexSummary(Record):
    """The fleet's machines: what they cost and the annuity the planner charged for them."""

    capex_usd: float
    rate: float
    life_years: float
    annuity_factor: float
    annuity_usd_per_year: float
    annuity_usd_per_mwh: float | None  # over the plan's MWh a year (static basis)
    usd_per_th: float
    j_per_th: float


@dataclass(frozen=True)
class AlternativePlan(Record):
    """The other sizing's plan, solved beside this one (static basis): what installing only what pays (or the whole
    cap) would give."""

    sizing: str
    mining_mw_installed: float
    mining_mwh_per_year: float
    btc_per_year_static: float
    lp_objective_usd_per_year: float


@dataclass(frozen=True)
class PlanSummary(Record):
    """A plan's figures (summary.json): installed MW, BTC a year, the tariff verdicts, grid strain, sources.

    Every figure says its basis: "static" figures take the scenario's difficulty, fees and price for the whole
    horizon (no growth, no halving) and the plan's hours whenever that hashprice pays the first tariff;
    "risk-adjusted" ones are the Monte Carlo's over the paths. The headline is risk-adjusted
    (`btc_per_year_p50` with P5 and P95 beside it); `btc_per_year_static` (= `expected_btc_per_year`) is labelled
    as such. Figures a plan stored by an older version lacks are None.
    """

    scenario: str
    objective: str
    hours: int
    mining_mw_installed: float
    ai_mw_installed: float
    zones: tuple[ZoneAllocation, ...]
    mining_mwh_per_year: float
    expected_btc_per_year: float
    expected_btc_per_year_after_self_dilution: float
    btc_price_usd: float
    difficulty: float
    net_value_at_merit_order_usd_per_year: float | None
    lp_objective_usd_per_year: float | None
    subsidy_pkr_per_year: dict[str, float]  # tariff option -> PKR a year
    merit_order: MeritOrderCost | None
    tariffs: tuple[TariffVerdict, ...]
    strain: Strain
    solve_seconds: float
    assumptions: tuple[str, ...]
    sources: tuple[Cited, ...]
    sizing: str | None = None
    btc_per_year_p50: float | None = None
    btc_per_year_p5: float | None = None
    btc_per_year_p95: float | None = None
    btc_per_year_static: float | None = None
    headline: Headline | None = None
    capex: CapexSummary | None = None
    alternative: AlternativePlan | None = None
    cost_of_policy_gap_usd_per_year: float | None = None
    strain_risk_adjusted: Strain | None = None
    supply_cost: SupplyCost | None = None
    # "simplex": HiGHS's dual simplex, an optimal vertex; "benders": a plan within 5e-7 (relative) of a certified
    # lower bound (energy plan --method, docs/energy-planner.md)
    solve_method: str | None = None

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PlanSummary:
        """Read a summary as stored, by this version or an older one."""
        merit = doc.get("merit_order")

        def opt(kind: type[Any], name: str) -> Any:
            value = doc.get(name)
            return _read(kind, value) if isinstance(value, Mapping) else None

        summary: PlanSummary = _read(
            cls, doc, zones=tuple(_read(ZoneAllocation, z) for z in doc["zones"]),
            lp_objective_usd_per_year=doc.get("lp_objective_usd_per_year", doc.get("net_value_usd_per_year")),
            subsidy_pkr_per_year=dict(doc["subsidy_pkr_per_year"]),
            merit_order=_read(MeritOrderCost, merit) if merit is not None else None,
            tariffs=tuple(_read(TariffVerdict, t, levies=tuple(t["levies"]) if t.get("levies") is not None else None)
                          for t in doc["tariffs"]),
            strain=_read(Strain, doc["strain"]),
            assumptions=tuple(doc["assumptions"]), sources=tuple(doc["sources"]),
            headline=opt(Headline, "headline"), capex=opt(CapexSummary, "capex"),
            alternative=opt(AlternativePlan, "alternative"), strain_risk_adjusted=opt(Strain, "strain_risk_adjusted"),
            supply_cost=opt(SupplyCost, "supply_cost"))
        return summary


@dataclass(frozen=True)
class ChartData(Record):
    """What the portal needs to redraw a plan's charts: total mining MW per hour, MWh per zone and month."""

    hours: tuple[str, ...]
    mining_mw: tuple[float, ...]
    monthly_mwh: dict[str, tuple[float, ...]]  # zone -> MWh in January .. December

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ChartData:
        return cls(tuple(doc["hours"]), tuple(doc["mining_mw"]),
                   {z: tuple(v) for z, v in doc["monthly_mwh"].items()})


@dataclass(frozen=True)
class SolvedPlan:
    """A plan just solved: the scenario and the LP's hourly result (for the files), its summary and chart data, and
    what the risk model keeps of it (its fleet's daily profile and the tariffs' daily costs)."""

    scenario: Scenario
    result: PlanResult
    summary: PlanSummary
    chart_data: ChartData
    economics: PlanEconomics


@dataclass(frozen=True)
class PlanEntry(Record):
    """A stored plan as the list of plans shows it: without its summary."""

    id: int
    name: str
    scenario: str
    objective: str
    created_at: datetime
    adopted_at: datetime | None = None  # None: a draft (a what-if) until someone adopts it

    @property
    def status(self) -> str:
        return "draft" if self.adopted_at is None else "adopted"


@dataclass(frozen=True)
class StoredPlan(Record):
    """A plan kept in the database, its summary read as `summary`.

    `stored_summary` is the summary's JSON as it was stored (with the files written and the chart data): the
    API publishes it unchanged, so a plan stored by an older version keeps the keys it was stored with.
    """

    id: int
    name: str
    scenario: str
    objective: str
    created_at: datetime
    created_by: str
    inputs_sha256: str
    summary: PlanSummary
    stored_summary: Mapping[str, Any]
    adopted_at: datetime | None = None  # None: a draft; the public pages show the adopted plan
    adopted_by: str | None = None

    @property
    def status(self) -> str:
        return "draft" if self.adopted_at is None else "adopted"

    @property
    def chart_data(self) -> ChartData | None:
        """None for a plan stored before plans kept their chart data."""
        kept = self.stored_summary.get("chart_data")
        return ChartData.from_json(kept) if kept is not None else None

    @property
    def entry(self) -> PlanEntry:
        return PlanEntry(self.id, self.name, self.scenario, self.objective, self.created_at, self.adopted_at)

    def to_json(self) -> dict[str, Any]:
        """The plan with its summary as stored, less the chart data (what /api/v1/energy/plans lists)."""
        head = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("summary", "stored_summary")}
        head["status"] = self.status
        summary = {k: v for k, v in self.stored_summary.items() if k != "chart_data"}
        doc: dict[str, Any] = to_jsonable(head | {"summary": summary})
        return doc


@dataclass(frozen=True)
class PlanRef(Record):
    id: int
    name: str
    status: str = "draft"  # draft | adopted


@dataclass(frozen=True)
class ComparedFigure(Record):
    """One figure of two plans side by side (None where a plan does not have it), in words with its unit, and
    `difference`: B less A where both are numbers."""

    figure: str  # the figure's key in the plans' JSON
    a: Any
    b: Any
    label: str = ""
    unit: str = ""
    difference: float | None = None


@dataclass(frozen=True)
class PlanComparison(Record):
    a: PlanRef
    b: PlanRef
    rows: tuple[ComparedFigure, ...]


# --- risk ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskReport(Record):
    """The Monte Carlo of a fleet: spreads of BTC, revenue, NPV and energy cost; P(loss); the fan chart's bands.

    `chart` is the fan chart file when one was written (left out of the JSON otherwise); `tariff` the tariff
    option simulated (None for a what-if energy price).
    """

    scenario: str
    paths: int
    days: int
    years: float
    seed: int
    price_shock: float
    btc_mined: Spread
    revenue_usd: Spread
    npv_usd: Spread
    energy_cost_usd: Spread
    probability_of_loss: float
    share_of_days_mining: float
    fleet: Fleet
    network: NetworkAssumptions
    bands: tuple[Band, ...]
    assumptions: tuple[str, ...]
    sources: tuple[Cited, ...]
    chart: Path | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    tariff: str | None = None
    btc_per_year: Spread | None = None  # BTC mined over the horizon / its years
    # the tariff's subsidy and capacity contribution a year (PKR), over the paths
    costs: CostSpreads | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    stored_plan: int | None = None  # the stored plan whose fleet was simulated (None: planned on the spot)

    @property
    def title(self) -> str:
        return f"{self.scenario}: {self.paths:,} paths x {self.days:,} days, seed {self.seed}"


# --- economics ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpectedBtcInputs(Record):
    hashrate_hs: float
    difficulty: float
    days: float
    fees_btc_per_block: float
    start_height: int | None


@dataclass(frozen=True)
class ExpectedBtc(Record):
    """Expected BTC of a hashrate at a fixed difficulty; split at the halving when a start height is given (the
    three *_halving figures are left out of the JSON without one)."""

    hashes_per_difficulty: str
    hashes_per_difficulty_value: int
    inputs: ExpectedBtcInputs
    subsidy_btc: float
    fees_btc_per_block: float
    halving_height: int
    expected_btc: float
    blocks: float
    blocks_before_halving: float | None = field(metadata=OMITTED_WHEN_NONE)
    blocks_after_halving: float | None = field(metadata=OMITTED_WHEN_NONE)
    subsidy_btc_after_halving: float | None = field(metadata=OMITTED_WHEN_NONE)
    network_share: float
    sources: tuple[Cited, ...]


@dataclass(frozen=True)
class AsicEconomics(Record):
    """One ASIC model's hashprice, break-even power price, heat derating, daily margin and payback."""

    asic: str
    j_per_th: float
    hashrate_th_s: float
    difficulty: float
    btc_price_usd: float
    fees_btc_per_block: float
    power_price_usd_kwh: float
    pue: float
    ambient_c: float | None
    ambient_limit_c: float | None
    derating: float
    hashprice_usd_ph_day: float
    hashprice_btc_ph_day: float
    break_even_usd_kwh: float
    capex_usd: float
    revenue_usd_per_day: float
    energy_cost_usd_per_day: float
    margin_usd_per_day: float
    payback_days: float | None  # None: the margin is zero or less
    sources: tuple[Cited, ...]
