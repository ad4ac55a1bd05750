"""The planner's LP by Benders decomposition on the installed MW, for scenarios where the surplus binds.

Where the surplus binds in many hours, HiGHS's simplex on the whole LP is slow (docs/adr/0008: the installed-MW
columns M_z have an entry in every hour's heat row), while the operating LP with M and A fixed is cheap. So:

- the master holds the installed MW M_z and the AI MW A_z with their own rows (cap, connection limits, AI firm load)
  and theta, a lower model of the operating cost: one cut per operating LP solved;
- the operating LP (hourly columns and g_t; ramp and surplus rows) has bounds that are affine in M (the heat row
  m_zt <= derate_zt x M_z becomes a column bound); it is solved by HiGHS's dual simplex, warm-started from the last
  basis (only bounds change between solves);
- a cut is the operating LP's dual objective at its optimal duals, written as an affine function of M: a valid lower
  bound on the operating cost for every M (LP duality), exact at the M it was taken at;
- the next M is the level method's (Lemarechal, Nemirovskii and Nesterov 1995): the point nearest the best so far
  (L1 distance scaled by the zones' limits, an LP) where the cut model is at most a level between the lower bound
  and the best cost. This damps the jumps of plain Kelley cutting planes.

Every point tried is a feasible plan (the master's rows hold, and the operating LP is solved to optimality), and the
master's optimum is a lower bound on the LP's, so the result is the best plan tried together with a certificate:
it stops when (best - lower bound) / |best| <= `gap`. docs/adr/0008 has the measurements.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from biplomacy.core.errors import InputError
from biplomacy.energy.model.planner import LpModel, Solve, SolverSettings
from biplomacy.energy.model.planner import solve as planner_solve

# energy plan --method: HiGHS's dual simplex on the whole LP, this module, or (auto) this module where a surplus row can
# bind and the simplex where none can (there the simplex starts next to the optimum: docs/adr/0008)
METHODS = ("auto", "simplex", "benders")
LEVEL = 0.3  # the level's share of the way from the lower bound to the best cost (0.3: the literature's usual)
MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class BendersResult:
    x: np.ndarray  # the LP's columns (LpModel order) at the best plan found
    objective: float  # the LP's objective there (an exact feasible plan's cost)
    lower_bound: float  # no plan costs less (the master's optimum)
    iterations: int
    seconds: float

    @property
    def gap(self) -> float:
        return (self.objective - self.lower_bound) / max(1.0, abs(self.objective))


class _Split:
    """The LpModel's rows split into the master's (no hourly column), the heat rows (one hourly column and one M:
    column bounds of the operating LP) and the operating LP's rows (their M terms shift the row bounds)."""

    def __init__(self, model: LpModel) -> None:
        Z = len(model.zones)
        nrow = model.num_row
        rows = np.repeat(np.arange(nrow), np.diff(model.starts))
        col, val = model.index.astype(np.int64), model.value
        is_m, is_x = col < Z, col >= 2 * Z
        n_x = np.bincount(rows[is_x], minlength=nrow)
        n_m = np.bincount(rows[is_m], minlength=nrow)
        n_a = np.bincount(rows[(col >= Z) & ~is_x], minlength=nrow)
        master, heat = n_x == 0, (n_x == 1) & (n_m == 1) & (n_a == 0)
        sub = ~master & ~heat
        if np.any(n_a[sub]) or np.any(model.cost[Z:2 * Z]):
            raise ValueError("the AI columns must appear only in the master's rows, at no cost")
        self.Z, self.nx = Z, model.num_col - 2 * Z
        self.cost_master = model.cost[:2 * Z]
        self.col_lower, self.col_upper = model.col_lower[:2 * Z], model.col_upper[:2 * Z]
        keep = master[rows]
        where = np.cumsum(master) - 1
        self.m_rows, self.m_cols, self.m_vals = where[rows[keep]], col[keep], val[keep]
        self.m_lower, self.m_upper = model.row_lower[master], model.row_upper[master]
        # heat rows lo <= a x + b M_z <= hi as bounds on x: const + slope x M_z, on the side x has none of its own
        hx, hm = heat[rows] & is_x, heat[rows] & is_m
        xc, xa = col[hx] - 2 * Z, val[hx]  # rows come sorted, one entry of each kind per heat row
        mz, mb = col[hm], val[hm]
        lo, hi = model.row_lower[heat], model.row_upper[heat]
        low_c, up_c = np.where(xa > 0, lo, hi) / xa, np.where(xa > 0, hi, lo) / xa
        own_lo, own_up = model.col_lower[2 * Z:], model.col_upper[2 * Z:]
        self.lo_const, self.up_const = own_lo.copy(), own_up.copy()
        self.lo_slope, self.up_slope = np.zeros(self.nx), np.zeros(self.nx)
        self.zone_of = np.zeros(self.nx, np.int64)
        self.zone_of[xc] = mz
        for const, slope, own, bound in ((self.lo_const, self.lo_slope, own_lo, low_c),
                                         (self.up_const, self.up_slope, own_up, up_c)):
            finite = np.isfinite(bound)
            if np.any(np.isfinite(own[xc[finite]])):
                raise ValueError("a heat row bounds a column on a side it already has a bound")
            const[xc[finite]], slope[xc[finite]] = bound[finite], -mb[finite] / xa[finite]
        # the operating LP's rows, over the hourly columns; their M entries move their bounds
        where = np.cumsum(sub) - 1
        self.nrow = int(sub.sum())
        sx, sm = sub[rows] & is_x, sub[rows] & is_m
        r, c = where[rows[sx]], col[sx] - 2 * Z
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=self.nrow))]).astype(np.int32)
        self.index, self.value = c.astype(np.int32), val[sx]  # row-wise already: rows come sorted
        self.cost = model.cost[2 * Z:]
        self.r_lower, self.r_upper = model.row_lower[sub], model.row_upper[sub]
        self.shift_row, self.shift_zone, self.shift_val = where[rows[sm]], col[sm], val[sm]

    def bounds(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        at = M[self.zone_of]
        shift = np.bincount(self.shift_row, weights=self.shift_val * M[self.shift_zone], minlength=self.nrow)
        return (self.lo_const + self.lo_slope * at, self.up_const + self.up_slope * at,
                self.r_lower - shift, self.r_upper - shift)

    def cut(self, col_dual: np.ndarray, row_dual: np.ndarray) -> tuple[float, np.ndarray]:
        """The dual objective at these duals as intercept + slope @ M (HiGHS: a positive dual is the lower bound's).
        Duals on an infinite bound are dropped: within the solver's tolerance, they are zero."""
        lower = col_dual > 0
        const = np.where(lower, self.lo_const, self.up_const)
        slope = np.where(lower, self.lo_slope, self.up_slope)
        d = np.where(np.isfinite(const), col_dual, 0.0)
        intercept = float(d @ np.where(np.isfinite(const), const, 0.0))
        g = np.bincount(self.zone_of, weights=d * slope, minlength=self.Z)
        bound = np.where(row_dual > 0, self.r_lower, self.r_upper)
        y = np.where(np.isfinite(bound), row_dual, 0.0)
        intercept += float(y @ np.where(np.isfinite(bound), bound, 0.0))
        g -= np.bincount(self.shift_zone, weights=y[self.shift_row] * self.shift_val, minlength=self.Z)
        return intercept, g


def _pass(h: Any, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, r: np.ndarray, c: np.ndarray,
          v: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    import highspy

    order = np.argsort(r, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=len(row_lower)))]).astype(np.int32)
    h.passModel(len(cost), len(row_lower), len(r), int(highspy.MatrixFormat.kRowwise.value),
                int(highspy.ObjSense.kMinimize.value), 0.0, cost, lower, upper, row_lower, row_upper, starts[:-1],
                c[order].astype(np.int32), v[order], np.zeros(len(cost), dtype=np.int32))


def _master(sp: _Split, cuts: list[tuple[float, np.ndarray]], level: float | None = None,
            center: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Columns M, A, theta (and, projecting, p, q with M = center + p - q). Without a level: min cost + theta over
    the cuts. With one: min the limit-scaled L1 distance to `center` where cost + theta <= level."""
    import highspy

    Z, n = sp.Z, 2 * sp.Z + 1
    r, c, v = [sp.m_rows], [sp.m_cols], [sp.m_vals]
    lo, hi = [sp.m_lower], [sp.m_upper]
    zs = np.arange(Z)

    def add(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
        r.append(rows + sum(len(b) for b in lo))
        c.append(cols)
        v.append(vals)
        lo.append(low)
        hi.append(high)

    for intercept, g in cuts:  # theta - g @ M >= intercept
        add(np.zeros(Z + 1, np.int64), np.append(zs, 2 * Z), np.append(-g, 1.0), np.array([intercept]),
            np.array([np.inf]))
    cost = np.append(sp.cost_master, 1.0)
    lower, upper = np.append(sp.col_lower, -np.inf), np.append(sp.col_upper, np.inf)
    if level is not None and center is not None:
        add(np.zeros(2 * Z + 1, np.int64), np.arange(2 * Z + 1), cost, np.array([-np.inf]), np.array([level]))
        # M_z - p_z + q_z = center_z
        add(np.repeat(zs, 3), np.stack([zs, n + zs, n + Z + zs], axis=1).ravel(), np.tile([1.0, -1.0, 1.0], Z),
            center[:Z], center[:Z])
        weight = 1.0 / np.maximum(sp.col_upper[:Z], 1.0)
        cost = np.concatenate([np.zeros(n), weight, weight])
        lower, upper = np.concatenate([lower, np.zeros(2 * Z)]), np.concatenate([upper, np.full(2 * Z, np.inf)])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    _pass(h, cost, lower, upper, np.concatenate(r), np.concatenate(c), np.concatenate(v), np.concatenate(lo),
          np.concatenate(hi))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise InputError(f"the planner's Benders master stopped without an optimum "
                         f"({h.modelStatusToString(h.getModelStatus())})")
    return np.asarray(h.getSolution().col_value)[:n], float(h.getInfo().objective_function_value)


def solve(model: LpModel, settings: SolverSettings | None = None, gap: float = 5e-7) -> BendersResult:
    """The LP's optimum to `gap` (relative), a feasible plan at every step; past settings.time_limit_s an
    InputError that says it stopped without an optimum (as planner.solve does)."""
    import highspy

    t0 = time.perf_counter()
    settings = settings or SolverSettings()
    limit = settings.time_limit_s
    sp = _Split(model)
    Z, T = sp.Z, model.hours
    # a first point: the master as if every hour where mining pays ran at the derated capacity (no surplus limit)
    cost_m = sp.cost[:Z * T].reshape(Z, T) * model.sign
    point, _ = _master(sp, [(0.0, (np.minimum(cost_m, 0.0) * model.derate).sum(axis=1))])
    h: Any = highspy.Highs()  # (highspy's stubs lack changeRowsBounds)
    for name, value in (SolverSettings(dual_pricing=settings.dual_pricing).highs_options()).items():
        h.setOptionValue(name, value)
    lo, up, rlo, rup = sp.bounds(point[:Z])
    _pass(h, sp.cost, lo, up, np.repeat(np.arange(sp.nrow), np.diff(sp.starts)), sp.index, sp.value, rlo, rup)
    cols, rows = np.arange(sp.nx, dtype=np.int32), np.arange(sp.nrow, dtype=np.int32)
    cuts: list[tuple[float, np.ndarray]] = []
    best, best_point, best_x, lower_bound = np.inf, point, np.zeros(sp.nx), -np.inf
    for iteration in range(1, MAX_ITERATIONS + 1):
        if limit is not None:
            left = limit - (time.perf_counter() - t0)
            if left <= 0:
                break
            h.setOptionValue("time_limit", h.getRunTime() + left)  # HiGHS's clock runs on across run() calls
        if iteration > 1:  # only bounds change: HiGHS keeps the basis and the dual simplex starts from it
            lo, up, rlo, rup = sp.bounds(point[:Z])
            h.changeColsBounds(sp.nx, cols, lo, up)
            h.changeRowsBounds(sp.nrow, rows, rlo, rup)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
                break
            raise InputError(f"the planner's operating LP stopped without an optimum "
                             f"({h.modelStatusToString(h.getModelStatus())})")
        solution = h.getSolution()
        value = float(sp.cost_master @ point[:2 * Z]) + float(h.getInfo().objective_function_value)
        if value < best:
            best, best_point, best_x = value, point, np.asarray(solution.col_value)
        cuts.append(sp.cut(np.asarray(solution.col_dual), np.asarray(solution.row_dual)))
        _, lower_bound = _master(sp, cuts)
        if best - lower_bound <= gap * max(1.0, abs(best)):
            x = np.concatenate([best_point[:2 * Z], best_x])
            return BendersResult(x, float(model.cost @ x), lower_bound, iteration, time.perf_counter() - t0)
        point, _ = _master(sp, cuts, lower_bound + LEVEL * (best - lower_bound), best_point)
    reached = (f"gap {(best - lower_bound) / max(1.0, abs(best)):.1e} after {len(cuts)} operating LPs" if cuts
               else "the first operating LP not solved")
    raise InputError(f"the planner stopped without an optimum (Benders: {reached})")


def chosen(method: str, model: LpModel) -> str:
    """The method `method` stands for on this LP: 'auto' is Benders where the surplus can bind in some hour."""
    if method not in METHODS:
        raise InputError(f"{method!r} is not one of {', '.join(METHODS)}", field="method")
    if method == "auto":
        return "benders" if len(model.surplus_hours) else "simplex"
    return method


def solve_by(how: str) -> Solve:
    """The solve function of a chosen method ('simplex' or 'benders', as `chosen` returns), in planner.solve's shape."""
    return planner_solve if how == "simplex" else solve_plan


def solve_plan(model: LpModel, settings: SolverSettings | None = None) -> tuple[np.ndarray, float, float]:
    """planner.solve's shape: (column values, objective, seconds)."""
    r = solve(model, settings)
    return r.x, r.objective, r.seconds
