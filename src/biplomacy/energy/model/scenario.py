"""An energy scenario: the grid's hourly profile, zones, ASIC fleet, AI data centres, cap, tariffs, network.

A scenario is a folder with scenario.toml and grid.csv. Shipped ones live in biplomacy/data/scenarios/;
`load_scenario` takes a shipped name or a path. Every problem in a folder is reported at once, naming the
file, row and field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from biplomacy.core.errors import InputError, Issue, NotFound
from biplomacy.energy.model.grid_csv import Grid, read_grid
from biplomacy.energy.model.network import NetworkAssumptions


@dataclass(frozen=True)
class Zone:
    name: str
    province: str
    connection_limit_mw: float
    ramp_mw_per_h: float
    pue: float
    cooling: str
    ambient_monthly_c: tuple[float, ...]  # 12 monthly mean temperatures, Jan..Dec
    ai_allowed: bool


@dataclass(frozen=True)
class Asic:
    model: str
    j_per_th: float
    price_usd_per_th: float
    ambient_limit_c: float
    share: float


@dataclass(frozen=True)
class AiCentres:
    firm_mw: float
    uptime: float


@dataclass(frozen=True)
class AiCentre:
    """One AI data centre pinned to a zone ([[ai_centre]]); the alternative to a free [ai] total."""

    name: str
    zone: str
    firm_mw: float
    uptime: float


LEVIES = ("gst", "debt_service_surcharge", "fixed_charge")


@dataclass(frozen=True)
class Tariff:
    """A tariff option: its rate, and what the miner pays on top of it (`levies`, a subset of LEVIES)."""

    name: str
    pkr_per_kwh: float
    levies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capex:
    """How the planner charges the fleet's capex: an annuity at `rate` over `life_years` ([capex])."""

    rate: float = 0.12
    life_years: float = 5.0

    @property
    def annuity_factor(self) -> float:
        """Capital recovery factor r / (1 - (1 + r)^-n): the share of capex paid each year."""
        if self.rate == 0:
            return 1.0 / self.life_years
        return self.rate / (1.0 - (1.0 + self.rate) ** -self.life_years)


@dataclass(frozen=True)
class SupplyCost:
    """What a kWh delivered to a zone costs beyond the marginal plant's fuel, and the benchmarks ([supply_cost])."""

    transmission_loss_share: float = 0.0
    variable_om_pkr_kwh: float = 0.0
    network_system_pkr_kwh: float = 0.0
    debt_service_surcharge_pkr_kwh: float = 0.0
    fixed_charge_pkr_kw_month: float = 0.0
    gst_share: float = 0.0
    capacity_pkr_kwh: float = 0.0
    average_cost_pkr_kwh: float = 0.0
    cost_of_service_pkr_kwh: float = 0.0


@dataclass(frozen=True)
class RiskDefaults:
    """The Monte Carlo behind a plan's risk-adjusted headline ([risk]); `energy risk` starts from the same."""

    paths: int = 10_000
    years: float = 5.0
    seed: int = 1


@dataclass(frozen=True)
class Scenario:
    name: str
    folder: Path
    cap_mw: float
    reserve_margin_share: float
    zones: tuple[Zone, ...]
    fleet: tuple[Asic, ...]
    ai: AiCentres
    tariffs: tuple[Tariff, ...]
    network: NetworkAssumptions
    usd_pkr: float
    grid: Grid
    source_keys: tuple[str, ...]
    ai_centres: tuple[AiCentre, ...] = ()  # when given, each centre's firm MW sits in its zone
    capex: Capex = Capex()
    supply_cost: SupplyCost = SupplyCost()
    risk: RiskDefaults = RiskDefaults()

    def ai_pinned_mw(self, zone: str) -> float:
        """Firm AI MW that [[ai_centre]] rows place in this zone (0 when AI is placed freely)."""
        return sum(c.firm_mw for c in self.ai_centres if c.zone == zone)

    @property
    def fleet_j_per_th(self) -> float:
        """Share-weighted efficiency of the fleet."""
        return sum(a.j_per_th * a.share for a in self.fleet)

    @property
    def fleet_usd_per_th(self) -> float:
        """Share-weighted price of the fleet per TH/s."""
        return sum(a.price_usd_per_th * a.share for a in self.fleet)

    @property
    def fleet_ambient_limit_c(self) -> float:
        return min(a.ambient_limit_c for a in self.fleet)

    @property
    def surplus_mw(self) -> np.ndarray:
        """Surplus available to new load: available minus demand minus the reserve margin, floored at 0."""
        avail = self.grid.available_total_mw
        return np.maximum(avail - self.grid.demand_mw - self.reserve_margin_share * self.grid.demand_mw, 0.0)

    def zone(self, name: str) -> Zone:
        for z in self.zones:
            if z.name == name:
                return z
        raise NotFound(f"zone {name!r} is not in scenario {self.name} ({', '.join(z.name for z in self.zones)})",
                       field="zone")


def shipped_root() -> Path:
    return Path(str(resources.files("biplomacy") / "data" / "scenarios"))


def shipped_names() -> list[str]:
    root = shipped_root()
    return sorted(p.name for p in root.iterdir() if (p / "scenario.toml").is_file()) if root.is_dir() else []


def resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if (p / "scenario.toml").is_file():
        return p
    shipped = shipped_root() / str(name_or_path)
    if (shipped / "scenario.toml").is_file():
        return shipped
    raise NotFound(f"{name_or_path!r} is neither a shipped scenario ({', '.join(shipped_names())}) "
                   "nor a folder with scenario.toml", field="scenario")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario folder (or a shipped scenario by name)."""
    folder = resolve(name_or_path)
    where = f"{folder / 'scenario.toml'}"
    try:
        doc = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: malformed TOML ({exc})", field="scenario.toml") from None
    issues: list[Issue] = []
    grid = None
    try:
        grid = read_grid(folder / str(doc.get("grid_csv", "grid.csv")), doc.get("sources", {}))
    except InputError as exc:
        issues.extend(exc.issues or [Issue("grid", str(folder / "grid.csv"), str(exc))])
    try:
        network = NetworkAssumptions.from_mapping(doc.get("network", {}), where)
    except InputError as exc:
        issues.extend(exc.issues or [Issue("network", where, str(exc))])
        network = None
    zones = tuple(_zones(doc.get("zone", []), where, issues))
    fleet = tuple(_fleet(doc.get("asic", []), where, issues))
    tariffs = tuple(_tariffs(doc.get("tariff", []), where, issues))
    centres = tuple(_ai_centres(doc.get("ai_centre", []), where, issues, {z.name: z for z in zones}))
    if centres and "ai" in doc:
        issues.append(Issue("ai.both", f"{where}: ai", "give either [ai] (placed freely) or [[ai_centre]] rows, not both"))
    if centres:
        firm = sum(c.firm_mw for c in centres)
        ai = AiCentres(firm, sum(c.firm_mw * c.uptime for c in centres) / firm if firm > 0 else 1.0)
    else:
        ai_doc = doc.get("ai", {})
        ai = AiCentres(_num(ai_doc, "firm_mw", f"{where}: ai", issues, lo=0.0),
                       _num(ai_doc, "uptime", f"{where}: ai", issues, lo=0.0, hi=1.0))
    capex = _capex(doc.get("capex", {}), where, issues)
    supply = _supply_cost(doc.get("supply_cost", {}), where, issues)
    risk = _risk_defaults(doc.get("risk", {}), where, issues)
    cap = _num(doc, "cap_mw", where, issues, lo=0.0)
    margin = _num(doc, "reserve_margin_share", where, issues, lo=0.0, hi=1.0)
    usd_pkr = _num(doc, "usd_pkr", where, issues, lo=1e-9)
    if grid is not None and folder.resolve().parent == shipped_root().resolve() and len(grid.hours) not in (8760, 8784):
        issues.append(Issue("grid.not_a_year", str(folder / "grid.csv"),
                            f"a shipped scenario needs a whole year of hours (8,760 or 8,784), got {len(grid.hours):,}"))
    if not issues:
        if ai.firm_mw > cap:
            issues.append(Issue("cap.below_ai", f"{where}: cap_mw",
                                f"the cap {cap:g} MW is below the AI data centres' firm load {ai.firm_mw:g} MW"))
        ai_room = sum(z.connection_limit_mw for z in zones if z.ai_allowed)
        if ai.firm_mw > ai_room:
            issues.append(Issue("ai.no_room", f"{where}: ai.firm_mw",
                                f"AI firm load {ai.firm_mw:g} MW exceeds the connection limits of the zones that allow AI "
                                f"({ai_room:g} MW)"))
        if abs(sum(a.share for a in fleet) - 1.0) > 1e-6:
            issues.append(Issue("asic.share", f"{where}: asic", "the fleet's shares must add up to 1"))
    if issues:
        raise InputError.from_issues(issues, f"scenario {folder}")
    assert grid is not None and network is not None
    keys = tuple(str(k) for k in doc.get("source_keys", []))
    return Scenario(str(doc.get("name", folder.name)), folder, cap, margin, zones, fleet, ai, tariffs, network,
                    usd_pkr, grid, keys, centres, capex, supply, risk)


def _num(d: Mapping[str, Any], key: str, where: str, issues: list[Issue], lo: float | None = None,
         hi: float | None = None) -> float:
    raw = d.get(key) if isinstance(d, Mapping) else None
    path = f"{where}.{key}" if where.endswith(("]", "ai", "zone", "asic", "tariff", "capex", "supply_cost", "risk")) \
        else f"{where}: {key}"
    if raw is None:
        issues.append(Issue("missing", path, "missing"))
        return 0.0
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != raw:
        issues.append(Issue("type", path, f"expected a number, got {raw!r}"))
        return 0.0
    value = float(raw)
    if lo is not None and value < lo:
        issues.append(Issue("range", path, f"{value:g} is below {lo:g}"))
    if hi is not None and value > hi:
        issues.append(Issue("range", path, f"{value:g} is above {hi:g}"))
    return value


def _zones(rows: Any, where: str, issues: list[Issue]) -> list[Zone]:
    out, seen = [], set()
    for i, r in enumerate(rows):
        w = f"{where}: zone[{i}]"
        name = str(r.get("name", ""))
        if not name:
            issues.append(Issue("missing", f"{w}.name", "missing"))
        if name in seen:
            issues.append(Issue("duplicate", f"{w}.name", f"zone {name!r} is defined twice"))
        seen.add(name)
        temps = r.get("ambient_monthly_c", [])
        if not isinstance(temps, list) or len(temps) != 12 or not all(isinstance(t, (int, float)) for t in temps):
            issues.append(Issue("ambient", f"{w}.ambient_monthly_c", "expected 12 monthly temperatures (degC)"))
            temps = [25.0] * 12
        pue = _num(r, "pue", w, issues, lo=1.0, hi=3.0)
        out.append(Zone(name, str(r.get("province", "")), _num(r, "connection_limit_mw", w, issues, lo=0.0),
                        _num(r, "ramp_mw_per_h", w, issues, lo=0.0), pue, str(r.get("cooling", "air")),
                        tuple(float(t) for t in temps), bool(r.get("ai_allowed", True))))
    if not out:
        issues.append(Issue("missing", f"{where}: zone", "a scenario needs at least one [[zone]]"))
    return out


def _fleet(rows: Any, where: str, issues: list[Issue]) -> list[Asic]:
    out = []
    for i, r in enumerate(rows):
        w = f"{where}: asic[{i}]"
        j = _num(r, "j_per_th", w, issues)
        if j <= 0:
            issues.append(Issue("range", f"{w}.j_per_th", f"J/TH must be positive, got {j:g}"))
        out.append(Asic(str(r.get("model", f"asic{i}")), j, _num(r, "price_usd_per_th", w, issues, lo=0.0),
                        _num(r, "ambient_limit_c", w, issues), _num(r, "share", w, issues, lo=0.0, hi=1.0)))
    if not out:
        issues.append(Issue("missing", f"{where}: asic", "a scenario needs at least one [[asic]]"))
    return out


def _tariffs(rows: Any, where: str, issues: list[Issue]) -> list[Tariff]:
    out = []
    for i, r in enumerate(rows):
        w = f"{where}: tariff[{i}]"
        levies = r.get("levies", []) if isinstance(r, Mapping) else []
        if not isinstance(levies, list) or not all(isinstance(x, str) and x in LEVIES for x in levies):
            issues.append(Issue("tariff.levies", f"{w}.levies", f"expected a list of {', '.join(LEVIES)}, got {levies!r}"))
            levies = []
        out.append(Tariff(str(r.get("name", f"tariff{i}")), _num(r, "pkr_per_kwh", w, issues, lo=0.0),
                          tuple(dict.fromkeys(levies))))
    if not out:
        issues.append(Issue("missing", f"{where}: tariff", "a scenario needs at least one [[tariff]] option"))
    return out


def _ai_centres(rows: Any, where: str, issues: list[Issue], zones: Mapping[str, Zone]) -> list[AiCentre]:
    out: list[AiCentre] = []
    for i, r in enumerate(rows):
        w = f"{where}: ai_centre[{i}]"
        name, zone = str(r.get("name", f"ai_centre{i}")), str(r.get("zone", ""))
        firm = _num(r, "firm_mw", w, issues, lo=0.0)
        uptime = _num(r, "uptime", w, issues, lo=0.0, hi=1.0)
        if zone not in zones:
            issues.append(Issue("unknown_zone", f"{w}.zone", f"AI centre {name!r} names zone {zone!r}, which is not a "
                                f"[[zone]] ({', '.join(zones) or 'none defined'})"))
        elif not zones[zone].ai_allowed:
            issues.append(Issue("zone_no_ai", f"{w}.zone", f"zone {zone!r} has ai_allowed = false"))
        out.append(AiCentre(name, zone, firm, uptime))
    for zone, z in zones.items():
        pinned = sum(c.firm_mw for c in out if c.zone == zone)
        if pinned > z.connection_limit_mw:
            issues.append(Issue("ai.over_limit", f"{where}: ai_centre",
                                f"AI firm load {pinned:g} MW exceeds zone {zone}'s connection limit "
                                f"{z.connection_limit_mw:g} MW"))
    return out


def _table(doc: Any, name: str, where: str, issues: list[Issue]) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        issues.append(Issue("type", f"{where}: {name}", f"expected a [{name}] table"))
        return {}
    return doc


def _optional(d: Mapping[str, Any], key: str, default: float, where: str, issues: list[Issue], *,
              lo: float | None = None, hi: float | None = None) -> float:
    return _num(d, key, where, issues, lo=lo, hi=hi) if key in d else default


def _capex(doc: Any, where: str, issues: list[Issue]) -> Capex:
    """[capex]: the annuity's rate and life; the defaults are the registry's discount rate and a 5-year life."""
    d, w = _table(doc, "capex", where, issues), f"{where}: capex"
    life = _optional(d, "life_years", Capex.life_years, w, issues, lo=0.5, hi=50.0)
    return Capex(_optional(d, "rate", Capex.rate, w, issues, lo=0.0, hi=1.0), life)


def _supply_cost(doc: Any, where: str, issues: list[Issue]) -> SupplyCost:
    """[supply_cost]: every field a non-negative number (shares below 1); a missing field counts as zero."""
    d, w = _table(doc, "supply_cost", where, issues), f"{where}: supply_cost"
    values = {}
    for f in SupplyCost.__dataclass_fields__:
        share = f.endswith("_share")
        values[f] = _optional(d, f, 0.0, w, issues, lo=0.0, hi=0.99 if share else None)
    unknown = sorted(set(d) - set(values))
    if unknown:
        issues.append(Issue("supply_cost.unknown", w, f"unknown fields {unknown}; known: {', '.join(values)}"))
    return SupplyCost(**values)


def _risk_defaults(doc: Any, where: str, issues: list[Issue]) -> RiskDefaults:
    d, w = _table(doc, "risk", where, issues), f"{where}: risk"
    paths = _optional(d, "paths", RiskDefaults.paths, w, issues, lo=100, hi=1_000_000)
    seed = _optional(d, "seed", RiskDefaults.seed, w, issues, lo=0, hi=2**62)
    for name, v in (("paths", paths), ("seed", seed)):
        if v != int(v):
            issues.append(Issue("type", f"{w}.{name}", f"expected a whole number, got {v:g}"))
    return RiskDefaults(int(paths), _optional(d, "years", RiskDefaults.years, w, issues, lo=0.1, hi=20.0), int(seed))
