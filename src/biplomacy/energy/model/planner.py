"""The zone planner: where and how much mining and AI load to place, hour by hour, as an LP solved by HiGHS.

Build / solve / write back are separate steps (each testable alone):
- `build` turns a Scenario into plain arrays (costs, bounds, a row-wise sparse matrix) - no solver involved;
- `solve` hands them to HiGHS in one `passModel` call and returns the column values;
- `write_back` turns the column values into a PlanResult of named, plain records.

Variables: installed mining MW per zone M_z, AI MW per zone A_z, hourly mining load m_zt, and g_t, the AI load
served from non-surplus (dispatchable) generation. Constraints: sum(M + A) <= cap; M_z + A_z <= connection
limit; sum A = the AI firm load (zones that allow AI only); m_zt <= derate_zt * M_z (heat); |m_zt - m_z,t-1| <=
ramp_z; sum_z m_zt + uptime * sum A - g_t <= surplus_t. Objectives (docs/energy-planner.md):
- "net-value" (the issue's "net value to the country"): BTC at the scenario's price minus energy at the hour's
  marginal cost, minus the machines' capex as an annuity ([capex] rate and life: capital recovery factor x the
  USD of the TH/s one MW of a zone powers, per installed MW), minus the cost of non-surplus generation for AI;
- "min-grid-cost": the grid's view: each mining MWh is worth the first tariff option, never the BTC, so
  mining runs only where the tariff covers the hour's marginal cost; non-surplus generation is penalised.

The LP HiGHS sees ("auto" formulation, docs/adr/0008) is the same LP written so that the dual simplex starts
next to the optimum: where mining pays and the surplus cannot bind, the column is the unused capacity
u_zt = derate_zt * M_z - m_zt instead of m_zt (an exact change of variable), and the surplus row of an hour
is left out when it cannot bind (surplus minus the AI load >= cap minus the AI load >= sum_z m_zt). The
"direct" formulation is the LP above, column for column; both have the same optimum (tests, bench).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from biplomacy.core.errors import InfeasibleError, InputError
from biplomacy.energy.model.economics import derating_fraction
from biplomacy.energy.model.feasibility import check_feasible
from biplomacy.energy.model.scenario import Scenario
from biplomacy.energy.model.zone_groups import ZoneGroups, each_alone, group_zones

OBJECTIVES = ("net-value", "min-grid-cost")
FORMULATIONS = ("auto", "direct")
SIZINGS = ("pays", "policy")  # install what pays, or the whole cap (the policy's 2,000 MW) whatever it pays
HASHES_PER_DIFFICULTY = 2.0**32
DIURNAL_SWING_C = 6.0  # energy.scenario.diurnal_swing_c (assumption): hourly ambient = monthly mean +/- this


@dataclass(frozen=True)
class SolverSettings:
    """How HiGHS solves the planner's LP. The defaults were chosen by measurement (docs/adr/0008,
    bench/RESULTS-energy-plan.md): dual simplex with Devex pricing and no presolve."""

    solver: str = "simplex"  # HiGHS `solver`: "simplex" (dual) or "ipm" (interior point, then crossover)
    dual_pricing: str = "devex"  # dual simplex edge weights: "devex", "steepest-edge" or "choose" (HiGHS picks)
    presolve: bool = False  # HiGHS presolve; it finds almost nothing to remove in the "auto" formulation
    time_limit_s: float | None = None  # None: no limit; past it the solve stops without an optimum

    def __post_init__(self) -> None:
        if self.solver not in ("simplex", "ipm"):
            raise InputError(f"solver: {self.solver!r} is not 'simplex' or 'ipm'", field="solver")
        if self.dual_pricing not in _PRICING:
            raise InputError(f"dual_pricing: {self.dual_pricing!r} is not one of {', '.join(_PRICING)}",
                             field="dual_pricing")

    def highs_options(self) -> dict[str, Any]:
        """The HiGHS options these settings stand for (the bench's bare solve uses the same). One thread: HiGHS's
        parallel dual simplex was slower here (ADR 0008), and its thread pool is one per process."""
        options = {"output_flag": False, "threads": 1, "solver": self.solver,
                   "presolve": "on" if self.presolve else "off",
                   "simplex_dual_edge_weight_strategy": _PRICING[self.dual_pricing]}
        if self.time_limit_s is not None:
            options["time_limit"] = float(self.time_limit_s)
        return options


_PRICING = {"choose": -1, "devex": 1, "steepest-edge": 2}


@dataclass(frozen=True)
class LpModel:
    """The LP as plain arrays (minimise cost @ x).

    Columns: M_z, A_z (Z each), then one column x_zt per zone and hour (zone-major), then g_t for the hours in
    `surplus_hours`. The hourly mining load is m_zt = sign_zt * x_zt + offset_zt * M_z: sign 1 and offset 0
    where x_zt is m_zt itself, sign -1 and offset derate_zt where x_zt is the unused capacity u_zt."""

    zones: tuple[str, ...]
    hours: int
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    surplus_mw: np.ndarray
    marginal_cost_pkr_kwh: np.ndarray
    btc_per_mwh: np.ndarray  # per zone, at the scenario's difficulty and fees
    derate: np.ndarray  # zones x hours
    sign: np.ndarray  # zones x hours
    offset: np.ndarray  # zones x hours
    surplus_hours: np.ndarray  # the hours whose surplus row can bind (each has a row and a g column)
    groups: ZoneGroups  # the scenario's zones as the LP's zones (energy/model/zone_groups.py)
    ramp_mw: np.ndarray  # per LP zone: the ramp limit, MW an hour

    @property
    def num_col(self) -> int:
        return len(self.cost)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)

    def mining_mw(self, x: np.ndarray) -> np.ndarray:
        """Hourly mining load (zones x hours) from a column vector, inside [0, derate x installed]."""
        Z, T = len(self.zones), self.hours
        installed = np.clip(x[:Z], 0.0, None)[:, None]
        m = self.sign * x[2 * Z:2 * Z + Z * T].reshape(Z, T) + self.offset * installed
        return np.clip(m, 0.0, self.derate * installed)


@dataclass(frozen=True)
class PlanResult:
    zones: tuple[str, ...]
    hours: tuple[str, ...]
    objective: str
    mining_mw_installed: np.ndarray  # per zone
    ai_mw: np.ndarray  # per zone
    mining_mw: np.ndarray  # zones x hours
    ai_from_non_surplus_mw: np.ndarray  # hours
    surplus_mw: np.ndarray
    marginal_cost_pkr_kwh: np.ndarray
    btc_per_mwh: np.ndarray
    derate: np.ndarray  # zones x hours: the share of installed MW the heat leaves usable
    objective_value: float
    solve_seconds: float
    sizing: str = "pays"
    capex_usd_per_mw_year: np.ndarray | None = None  # per zone: the annuity the objective charged (net-value)
    method: str = "simplex"  # how the LP was solved: "simplex" (a vertex) or "benders" (within 5e-7 of a bound)

    @property
    def mining_mwh(self) -> float:
        return float(self.mining_mw.sum())

    def expected_btc(self) -> float:
        """BTC over the horizon at the scenario's difficulty (no growth, no self-dilution)."""
        return float((self.mining_mw.sum(axis=1) * self.btc_per_mwh).sum())


def _month_hour(hours: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([int(h[5:7]) for h in hours]) - 1, np.array([int(h[11:13]) for h in hours])


def _ambient(monthly: tuple[float, ...], month: np.ndarray, hour: np.ndarray) -> np.ndarray:
    return np.asarray(monthly)[month] + DIURNAL_SWING_C * np.cos(2 * np.pi * (hour - 15) / 24.0)


def hourly_ambient_c(monthly: tuple[float, ...], hours: tuple[str, ...]) -> np.ndarray:
    return _ambient(monthly, *_month_hour(hours))


def derate_matrix(s: Scenario) -> np.ndarray:
    """Zones x hours: economics.derating_fraction of each hour's ambient (computed once per distinct value)."""
    month, hour = _month_hour(s.grid.hours)
    limit = s.fleet_ambient_limit_c
    out = np.empty((len(s.zones), len(s.grid.hours)))
    for i, z in enumerate(s.zones):
        distinct, where = np.unique(_ambient(z.ambient_monthly_c, month, hour), return_inverse=True)
        out[i] = np.array([derating_fraction(float(a), limit) for a in distinct])[where.ravel()]
    return out


def capex_usd_per_mw(s: Scenario, pue: float) -> float:
    """USD of machines one MW at the meter of a zone powers: TH/s per MW = 10^6 / (J/TH x PUE), at USD per TH/s."""
    return 1e6 / (s.fleet_j_per_th * pue) * s.fleet_usd_per_th


def capex_annuity_usd_per_mw_year(s: Scenario) -> np.ndarray:
    """Per zone: the capex of one installed MW paid back as an annuity ([capex] rate over life), USD a year."""
    return np.array([capex_usd_per_mw(s, z.pue) for z in s.zones]) * s.capex.annuity_factor


def btc_per_mwh(s: Scenario, pue: float) -> float:
    """BTC one MWh of electricity mines at the scenario's difficulty: 3600 s x H/s per MW / (D x 2^32) x reward."""
    hashes_per_s_per_mw = 1e6 / (s.fleet_j_per_th * pue) * 1e12
    reward = s.network.subsidy_btc + s.network.fees_btc_per_block
    return 3600.0 * hashes_per_s_per_mw / (s.network.difficulty * HASHES_PER_DIFFICULTY) * reward


class _Rows:
    """Row families gathered as (row, col, value) triplets, then one row-wise sparse matrix."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.count = 0

    def add(self, r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.r.append(r + self.count)
        self.c.append(c)
        self.v.append(v)
        self.lower.append(lo)
        self.upper.append(hi)
        self.count += len(lo)

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, c, v = np.concatenate(self.r), np.concatenate(self.c), np.concatenate(self.v)
        order = np.argsort(r, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=self.count))])
        return starts.astype(np.int32), c[order].astype(np.int32), v[order]


def build(s: Scenario, objective: str = "net-value", formulation: str = "auto", sizing: str = "pays") -> LpModel:
    if objective not in OBJECTIVES:
        raise InputError(f"{objective!r} is not one of {', '.join(OBJECTIVES)}", field="objective")
    if formulation not in FORMULATIONS:
        raise InputError(f"formulation: {formulation!r} is not one of {', '.join(FORMULATIONS)}",
                         field="formulation")
    if sizing not in SIZINGS:
        raise InputError(f"{sizing!r} is not one of {', '.join(SIZINGS)}", field="sizing")
    check_feasible(s)  # explain the obvious conflicts in words before HiGHS sees them
    room_total = sum(z.connection_limit_mw for z in s.zones)
    if sizing == "policy" and room_total < s.cap_mw:
        raise InfeasibleError(f"the policy plan installs the whole cap {s.cap_mw:,.0f} MW, but the zones' connection "
                              f"limits add up to {room_total:,.0f} MW; raise a zone's connection_limit_mw or plan "
                              "with --sizing pays", field="sizing")
    derate_all = derate_matrix(s)
    # the "auto" LP solves zones it cannot tell apart as one zone (exact: zone_groups.py); the direct LP does not
    groups = group_zones(s, derate_all) if formulation == "auto" else each_alone(s)
    derate = derate_all[np.unique(groups.zone_of, return_index=True)[1]]
    s = dataclasses.replace(s, zones=groups.zones) if groups.merged else s  # from here on, the LP's zones
    Z, T = len(s.zones), len(s.grid.hours)
    surplus = s.surplus_mw
    mc = s.grid.marginal_cost_pkr_kwh(extra_mw=s.cap_mw)  # the plant that serves the whole allocation
    usd_per_mwh = mc * 1000.0 / s.usd_pkr
    btc = np.array([btc_per_mwh(s, z.pue) for z in s.zones])
    worst_usd_mwh = max(s.grid.fuel_cost_pkr_kwh.values()) * 1000.0 / s.usd_pkr
    if objective == "net-value":
        value = btc[:, None] * s.network.btc_price_usd  # USD per MWh by zone
        cost_m = -(value - usd_per_mwh[None, :])
    else:
        tariff_usd_mwh = s.tariffs[0].pkr_per_kwh * 1000.0 / s.usd_pkr
        cost_m = -(tariff_usd_mwh - np.repeat(usd_per_mwh[None, :], Z, axis=0))
    firm = s.ai.firm_mw
    # sum_z A_z = firm (a row below), so the AI's share of each surplus row is the constant uptime x firm
    room = surplus - s.ai.uptime * firm
    if formulation == "direct":
        hours_rows = np.arange(T)
        unused = np.zeros((Z, T), dtype=bool)
    else:  # sum_z m_zt <= sum_z derate_zt M_z <= sum_z M_z <= cap - firm: a row with more room cannot bind
        can_bind = room < s.cap_mw - firm
        hours_rows = np.flatnonzero(can_bind)
        unused = (cost_m < 0) & ~can_bind[None, :]  # mining pays and nothing but capacity limits it
    sign = np.where(unused, -1.0, 1.0)
    offset = np.where(unused, derate, 0.0)
    H = len(hours_rows)
    iM, iA, ix, ig = 0, Z, 2 * Z, 2 * Z + Z * T
    n = ig + H
    cost = np.zeros(n)
    cost[ix:ig] = (cost_m * sign).ravel()
    cost[iM:iM + Z] = (cost_m * offset).sum(axis=1)
    cost[ig:] = worst_usd_mwh * (1.0 if objective == "net-value" else 10.0)
    if objective == "net-value":  # the machines, paid back as an annuity over the plan's share of a year
        cost[iM:iM + Z] += capex_annuity_usd_per_mw_year(s) * T / 8760.0
    col_lower = np.zeros(n)
    col_upper = np.full(n, np.inf)
    for z, zone in enumerate(s.zones):
        col_upper[iM + z] = zone.connection_limit_mw
        col_upper[iA + z] = zone.connection_limit_mw if zone.ai_allowed else 0.0
        col_lower[iA + z] = s.ai_pinned_mw(zone.name)  # [[ai_centre]] rows fix AI in their zone
    rows = _Rows()
    zs = np.arange(Z)
    # cap: at most the cap, or all of it for the policy plan
    rows.add(np.zeros(2 * Z, int), np.arange(2 * Z), np.ones(2 * Z),
             np.array([s.cap_mw if sizing == "policy" else -np.inf]), np.array([s.cap_mw]))
    # connection limits
    rows.add(np.concatenate([zs, zs]), np.concatenate([iM + zs, iA + zs]), np.ones(2 * Z),
             np.full(Z, -np.inf), np.array([z.connection_limit_mw for z in s.zones]))
    # AI firm load
    rows.add(np.zeros(Z, int), iA + zs, np.ones(Z), np.array([firm]), np.array([firm]))
    # heat-derated installed capacity, m_zt <= derate_zt * M_z: x - derate M <= 0 where x = m, and
    # derate M - x >= 0 (m >= 0) where x = u (whose own bound u >= 0 is then m <= derate M)
    k = np.arange(Z * T)
    u = unused.ravel()
    rows.add(np.concatenate([k, k]), np.concatenate([ix + k, iM + k // T]),
             np.concatenate([sign.ravel(), np.where(u, 1.0, -1.0) * derate.ravel()]),
             np.where(u, 0.0, -np.inf), np.where(u, np.inf, 0.0))
    # ramps: -ramp_z <= m_zt - m_z,t-1 <= ramp_z, i.e. sign x_t - sign x_t-1 + (offset_t - offset_t-1) M
    zgrid, tgrid = np.meshgrid(zs, np.arange(1, T), indexing="ij")
    zz, tt = zgrid.ravel(), tgrid.ravel()
    kr = np.arange(len(zz))
    ramp = np.array([z.ramp_mw_per_h for z in s.zones])[zz]
    step = offset[zz, tt] - offset[zz, tt - 1]
    on = step != 0
    rows.add(np.concatenate([kr, kr, kr[on]]), np.concatenate([ix + zz * T + tt, ix + zz * T + tt - 1, iM + zz[on]]),
             np.concatenate([sign[zz, tt], -sign[zz, tt - 1], step[on]]), -ramp, ramp)
    # surplus, where it can bind: sum_z m_zt - g_t <= surplus_t - uptime * firm
    j = np.repeat(np.arange(H), Z)
    zc, tc = np.tile(zs, H), np.repeat(hours_rows, Z)
    on = offset[zc, tc] != 0
    rows.add(np.concatenate([j, j[on], np.arange(H)]), np.concatenate([ix + zc * T + tc, iM + zc[on], ig + np.arange(H)]),
             np.concatenate([sign[zc, tc], offset[zc, tc][on], -np.ones(H)]), np.full(H, -np.inf), room[hours_rows])
    starts, index, values = rows.matrix()
    return LpModel(tuple(z.name for z in s.zones), T, cost, col_lower, col_upper, np.concatenate(rows.lower),
                   np.concatenate(rows.upper), starts, index, values, surplus, mc, btc, derate, sign, offset,
                   hours_rows, groups, np.array([z.ramp_mw_per_h for z in s.zones]))


def highs_for(model: LpModel, settings: SolverSettings | None = None) -> Any:
    """A highspy.Highs holding the model (one passModel call) with the settings' options, ready to run()."""
    import highspy

    h = highspy.Highs()
    for name, value in (settings or SolverSettings()).highs_options().items():
        h.setOptionValue(name, value)
    # the array form of passModel copies each numpy array once (filling a HighsLp's attributes took 4x longer);
    # it takes the row starts without the final one, and an integrality array (all continuous)
    passed = h.passModel(model.num_col, model.num_row, len(model.index), int(highspy.MatrixFormat.kRowwise.value),
                         int(highspy.ObjSense.kMinimize.value), 0.0, model.cost, model.col_lower, model.col_upper,
                         model.row_lower, model.row_upper, model.starts[:-1], model.index, model.value,
                         np.zeros(model.num_col, dtype=np.int32))
    if passed == highspy.HighsStatus.kError:
        raise InputError("HiGHS refused the planner's LP (passModel returned an error)")
    return h


def solve(model: LpModel, settings: SolverSettings | None = None) -> tuple[np.ndarray, float, float]:
    """Solve with HiGHS; return (column values, objective, seconds in run())."""
    import highspy

    h = highs_for(model, settings)
    t0 = time.perf_counter()
    ran = h.run()
    seconds = time.perf_counter() - t0
    if ran == highspy.HighsStatus.kError:
        raise InputError("HiGHS refused to solve the plan (run() returned an error)")
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("the plan is infeasible (HiGHS): the AI firm load (row family 'AI firm load') cannot "
                              "be placed within the cap ('cap') and the zones' connection limits ('connection "
                              "limits') together; lower [ai].firm_mw or raise cap_mw or a zone's connection_limit_mw")
    if status != highspy.HighsModelStatus.kOptimal:
        raise InputError(f"the planner stopped without an optimum ({h.modelStatusToString(status)})")
    return np.asarray(h.getSolution().col_value), float(h.getInfo().objective_function_value), seconds


Solve = Callable[[LpModel, SolverSettings | None], tuple[np.ndarray, float, float]]


def solve_within(s: Scenario, model: LpModel, sizing: str, time_limit: float | None,
                 by: Solve | None = None) -> tuple[np.ndarray, float, float]:
    """The requested plan's solve (`by`: planner.solve, or planner_benders.solve_plan); past `time_limit` an error
    that says how large the LP was, how many hours the surplus can bind in (what makes it slow), and what an analyst
    can change."""
    by = by or solve
    if time_limit is None:
        return by(model, None)
    try:
        return by(model, SolverSettings(time_limit_s=time_limit))
    except InputError as exc:
        if "without an optimum" not in str(exc):
            raise
        raise InputError(
            f"no optimum within {time_limit:g} s: {len(s.zones)} zones x {model.hours:,} h"
            + (f" ({len(model.zones)} to the LP, which merges zones it cannot tell apart)"
               if len(model.zones) < len(s.zones) else "")
            + f", {model.num_col:,} columns "
            f"and {model.num_row:,} rows, the surplus can bind in {len(model.surplus_hours):,} hours (sizing "
            f"{sizing}); allow more time or plan fewer zones or hours"
            + (", or plan at sizing 'pays' (the policy's whole cap is the harder LP)" if sizing == "policy" else "")
            + (", or solve with --method benders (faster where the surplus binds)"
               if by is solve and len(model.surplus_hours) else "")
            + " (docs/energy.md, 'Speed')", field="time_limit") from None


def write_back(s: Scenario, model: LpModel, x: np.ndarray, objective: str, obj_value: float,
               seconds: float, sizing: str = "pays", method: str = "simplex") -> PlanResult:
    """The column values as a plan of the scenario's zones (an LP zone of several split by their shares)."""
    Z, T = len(model.zones), model.hours
    non_surplus = np.zeros(T)
    non_surplus[model.surplus_hours] = np.clip(x[2 * Z + Z * T:], 0.0, None)
    g = model.groups
    return PlanResult(tuple(z.name for z in s.zones), s.grid.hours, objective, g.split(np.clip(x[:Z], 0, None)),
                      g.split(np.clip(x[Z:2 * Z], 0, None)), g.split(model.mining_mw(x)), non_surplus,
                      model.surplus_mw, model.marginal_cost_pkr_kwh, model.btc_per_mwh[g.zone_of],
                      model.derate[g.zone_of], -obj_value, seconds, sizing,
                      capex_annuity_usd_per_mw_year(s) if objective == "net-value" else None, method)


def plan(s: Scenario, objective: str = "net-value", settings: SolverSettings | None = None,
         sizing: str = "pays") -> PlanResult:
    """Build, solve and write back in one call."""
    model = build(s, objective, sizing=sizing)
    x, obj, seconds = solve(model, settings)
    return write_back(s, model, x, objective, obj, seconds, sizing)
