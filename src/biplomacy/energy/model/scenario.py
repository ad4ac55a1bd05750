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


@dataclass(frozen=True)
class Tariff:
    name: str
    pkr_per_kwh: float


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

    def ai_pinned_mw(self, zone: str) -> float:
        """Firm AI MW that [[ai_centre]] rows place in this zone (0 when AI is placed freely)."""
        return sum(c.firm_mw for c in self.ai_centres if c.zone == zone)

    @property
    def fleet_j_per_th(self) -> float:
        """Share-weighted efficiency of the fleet."""
        return sum(a.j_per_th * a.share for a in self.fleet)

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
                    usd_pkr, grid, keys, centres)


def _num(d: Mapping[str, Any], key: str, where: str, issues: list[Issue], lo: float | None = None,
         hi: float | None = None) -> float:
    raw = d.get(key) if isinstance(d, Mapping) else None
    path = f"{where}.{key}" if where.endswith(("]", "ai", "zone", "asic", "tariff")) else f"{where}: {key}"
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
        out.append(Tariff(str(r.get("name", f"tariff{i}")), _num(r, "pkr_per_kwh", w, issues, lo=0.0)))
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
