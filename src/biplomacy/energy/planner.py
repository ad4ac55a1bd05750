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
  marginal cost, minus the cost of non-surplus generation for AI. The machines' capex is the miners' and is
  left to the risk model (payback, NPV);
- "min-grid-cost": the grid's view: each mining MWh is worth the first tariff option, never the BTC, so
  mining runs only where the tariff covers the hour's marginal cost; non-surplus generation is penalised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from biplomacy.energy.economics import derating_fraction
from biplomacy.energy.feasibility import check_feasible
from biplomacy.energy.scenario import Scenario
from biplomacy.errors import InfeasibleError, InputError

OBJECTIVES = ("net-value", "min-grid-cost")
HASHES_PER_DIFFICULTY = 2.0**32
DIURNAL_SWING_C = 6.0  # energy.scenario.diurnal_swing_c (assumption): hourly ambient = monthly mean +/- this


@dataclass(frozen=True)
class LpModel:
    """The LP as plain arrays (minimise cost @ x)."""

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

    @property
    def num_col(self) -> int:
        return len(self.cost)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)


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

    @property
    def mining_mwh(self) -> float:
        return float(self.mining_mw.sum())

    def expected_btc(self) -> float:
        """BTC over the horizon at the scenario's difficulty (no growth, no self-dilution)."""
        return float((self.mining_mw.sum(axis=1) * self.btc_per_mwh).sum())


def hourly_ambient_c(monthly: tuple[float, ...], hours: tuple[str, ...]) -> np.ndarray:
    month = np.array([int(h[5:7]) for h in hours]) - 1
    hour = np.array([int(h[11:13]) for h in hours])
    return np.asarray(monthly)[month] + DIURNAL_SWING_C * np.cos(2 * np.pi * (hour - 15) / 24.0)


def btc_per_mwh(s: Scenario, pue: float) -> float:
    """BTC one MWh of electricity mines at the scenario's difficulty: 3600 s x H/s per MW / (D x 2^32) x reward."""
    hashes_per_s_per_mw = 1e6 / (s.fleet_j_per_th * pue) * 1e12
    reward = s.network.subsidy_btc + s.network.fees_btc_per_block
    return 3600.0 * hashes_per_s_per_mw / (s.network.difficulty * HASHES_PER_DIFFICULTY) * reward


def build(s: Scenario, objective: str = "net-value") -> LpModel:
    if objective not in OBJECTIVES:
        raise InputError(f"--objective: {objective!r} is not one of {', '.join(OBJECTIVES)}", field="--objective")
    check_feasible(s)  # explain the obvious conflicts in words before HiGHS sees them
    Z, T = len(s.zones), len(s.grid.hours)
    surplus = s.surplus_mw
    mc = s.grid.marginal_cost_pkr_kwh(extra_mw=s.cap_mw)  # the plant that serves the whole allocation
    usd_per_mwh = mc * 1000.0 / s.usd_pkr
    btc = np.array([btc_per_mwh(s, z.pue) for z in s.zones])
    limit = s.fleet_ambient_limit_c
    derate = np.vstack([
        np.vectorize(lambda a: derating_fraction(float(a), limit))(hourly_ambient_c(z.ambient_monthly_c, s.grid.hours))
        for z in s.zones])
    iM, iA, im, ig = 0, Z, 2 * Z, 2 * Z + Z * T
    n = ig + T
    cost = np.zeros(n)
    worst_usd_mwh = max(s.grid.fuel_cost_pkr_kwh.values()) * 1000.0 / s.usd_pkr
    if objective == "net-value":
        value = btc[:, None] * s.network.btc_price_usd  # USD per MWh by zone
        cost[im:ig] = -(value - usd_per_mwh[None, :]).ravel()
    else:
        tariff_usd_mwh = s.tariffs[0].pkr_per_kwh * 1000.0 / s.usd_pkr
        cost[im:ig] = -(tariff_usd_mwh - np.repeat(usd_per_mwh[None, :], Z, axis=0)).ravel()
    cost[ig:] = worst_usd_mwh * (1.0 if objective == "net-value" else 10.0)
    col_lower = np.zeros(n)
    col_upper = np.full(n, np.inf)
    for z, zone in enumerate(s.zones):
        col_upper[iM + z] = zone.connection_limit_mw
        col_upper[iA + z] = zone.connection_limit_mw if zone.ai_allowed else 0.0
        col_lower[iA + z] = s.ai_pinned_mw(zone.name)  # [[ai_centre]] rows fix AI in their zone
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (row, col, val) triplets per family
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    r0 = 0

    def family(r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        nonlocal r0
        rows.append((r + r0, c, v))
        lower.append(lo)
        upper.append(hi)
        r0 += len(lo)

    zs = np.arange(Z)
    # cap
    family(np.zeros(2 * Z, int), np.arange(2 * Z), np.ones(2 * Z), np.array([-np.inf]), np.array([s.cap_mw]))
    # connection limits
    family(np.concatenate([zs, zs]), np.concatenate([iM + zs, iA + zs]), np.ones(2 * Z),
           np.full(Z, -np.inf), np.array([z.connection_limit_mw for z in s.zones]))
    # AI firm load
    family(np.zeros(Z, int), iA + zs, np.ones(Z), np.array([s.ai.firm_mw]), np.array([s.ai.firm_mw]))
    # heat-derated installed capacity: m_zt - derate_zt * M_z <= 0
    k = np.arange(Z * T)
    family(np.concatenate([k, k]), np.concatenate([im + k, iM + k // T]),
           np.concatenate([np.ones(Z * T), -derate.ravel()]), np.full(Z * T, -np.inf), np.zeros(Z * T))
    # ramps: -ramp_z <= m_zt - m_z,t-1 <= ramp_z
    zgrid, tgrid = np.meshgrid(zs, np.arange(1, T), indexing="ij")
    zz, tt = zgrid.ravel(), tgrid.ravel()
    kr = np.arange(len(zz))
    ramp = np.array([z.ramp_mw_per_h for z in s.zones])[zz]
    family(np.concatenate([kr, kr]), np.concatenate([im + zz * T + tt, im + zz * T + tt - 1]),
           np.concatenate([np.ones(len(kr)), -np.ones(len(kr))]), -ramp, ramp)
    # surplus: sum_z m_zt + uptime * sum A - g_t <= surplus_t
    t_all = np.arange(T)
    family(np.concatenate([np.tile(t_all, Z), np.repeat(t_all, Z), t_all]),
           np.concatenate([im + np.repeat(zs, T) * T + np.tile(t_all, Z), np.tile(iA + zs, T), ig + t_all]),
           np.concatenate([np.ones(Z * T), np.full(Z * T, s.ai.uptime), -np.ones(T)]),
           np.full(T, -np.inf), surplus)
    r = np.concatenate([f[0] for f in rows])
    c = np.concatenate([f[1] for f in rows])
    v = np.concatenate([f[2] for f in rows])
    order = np.argsort(r, kind="stable")
    counts = np.bincount(r, minlength=r0)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return LpModel(tuple(z.name for z in s.zones), T, cost, col_lower, col_upper, np.concatenate(lower),
                   np.concatenate(upper), starts.astype(np.int32), c[order].astype(np.int32), v[order],
                   surplus, mc, btc, derate)


def solve(model: LpModel, *, threads: int = 1) -> tuple[np.ndarray, float, float]:
    """Solve with HiGHS; return (column values, objective, seconds in run())."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.num_col, model.num_row
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.cost, model.col_lower, model.col_upper
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = model.starts, model.index, model.value
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = model.num_col, model.num_row
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("the plan is infeasible (HiGHS): the AI firm load (row family 'AI firm load') cannot "
                              "be placed within the cap ('cap') and the zones' connection limits ('connection "
                              "limits') together; lower [ai].firm_mw or raise cap_mw or a zone's connection_limit_mw")
    if status != highspy.HighsModelStatus.kOptimal:
        raise InputError(f"the planner stopped without an optimum ({h.modelStatusToString(status)})")
    return np.asarray(h.getSolution().col_value), float(h.getInfo().objective_function_value), seconds


def write_back(s: Scenario, model: LpModel, x: np.ndarray, objective: str, obj_value: float,
               seconds: float) -> PlanResult:
    Z, T = len(model.zones), model.hours
    m = np.clip(x[2 * Z:2 * Z + Z * T].reshape(Z, T), 0.0, None)
    return PlanResult(model.zones, s.grid.hours, objective, np.clip(x[:Z], 0, None), np.clip(x[Z:2 * Z], 0, None),
                      m, np.clip(x[2 * Z + Z * T:], 0, None), model.surplus_mw, model.marginal_cost_pkr_kwh,
                      model.btc_per_mwh, model.derate, -obj_value, seconds)


def plan(s: Scenario, objective: str = "net-value") -> PlanResult:
    """Build, solve and write back in one call."""
    model = build(s, objective)
    x, obj, seconds = solve(model)
    return write_back(s, model, x, objective, obj, seconds)
