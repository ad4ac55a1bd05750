"""The planner's LP by Benders decomposition on the installed MW, for scenarios where the surplus binds.

Where the surplus binds in many hours, HiGHS's simplex on the whole LP is slow (docs/adr/0008: the installed-MW
columns M_z have an entry in every hour's heat row), while the operating LP with M and A fixed is cheap. So:

- the master holds the installed MW M_z and the AI MW A_z with their own rows (cap, connection limits, AI firm load)
  and theta, a lower model of the operating cost;
- the operating LP (hourly columns and g_t; ramp and surplus rows) has bounds that are affine in M (the heat row
  m_zt <= derate_zt x M_z becomes a column bound); it is solved by HiGHS's dual simplex, warm-started from the last
  basis (only bounds change between solves), or, the first time and after a large move of M, from its weeks solved
  one by one (planner_weeks.py);
- each operating LP gives two kinds of cut, both valid lower bounds on the operating cost for every M and exact at
  the M they were taken at:
  - Benders' own: the operating LP's dual objective at its optimal duals, an affine function of M;
  - a Lagrangian cut: the surplus rows priced at their duals y, the rest falls apart into one dispatch LP per zone,
    phi_z(M_z; y), convex in the zone's own M_z alone. zone_dispatch.py solves each exactly at many M_z (a grid over
    the zone's limit and points around the current M_z) and hands back tangents, so the master sees how each zone's
    operating cost bends with its own MW, not just a plane: theta >= y.room + sum_z eta_z, eta_z >= each tangent;
- the next M is the master's optimum (Kelley's cutting planes). With plain Benders cuts this needed 42 operating
  LPs at 10 zones and 205 at 30, even with the level method's damping; with the Lagrangian cuts it needs 5 to 10 at
  10 to 100 zones (docs/adr/0008).

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
from biplomacy.energy.model.planner_weeks import WEEK, Weeks, pass_rows, set_basis

# energy plan --method: HiGHS's dual simplex on the whole LP, this module, or (auto) this module where a surplus row can
# bind and the simplex where none can (there the simplex starts next to the optimum: docs/adr/0008)
METHODS = ("auto", "simplex", "benders")
MAX_ITERATIONS = 1000
GRID = 8  # the Lagrangian tangents: at 0, 1/8, ..., 8/8 of each zone's limit, and at
NEAR = (0.5, 1.0)  # the current MW -/+ these shares of the zone's ramp (phi_z bends where M_z crosses a ramp multiple)
RESTART_MOVE = 0.2  # past this L1 move of M (a share of the zones' limits), restart the operating LP from its weeks


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
        self.row = r  # each entry's row
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


class _Lagrangian:
    """The Lagrangian cuts: the operating LP's surplus rows priced at multipliers y, each zone's dispatch apart."""

    def __init__(self, sp: _Split, model: LpModel) -> None:
        Z, T = sp.Z, model.hours
        rows = sp.row
        is_g = sp.index >= Z * T  # g_t appears in its hour's surplus row only
        self.surplus = np.zeros(sp.nrow, bool)
        self.surplus[rows[is_g]] = True
        on = self.surplus[rows]
        zone = sp.index[~on] // T  # every other row (a ramp) lies within one zone: what makes the zones fall apart
        first = np.full(sp.nrow, Z)
        np.minimum.at(first, rows[~on], zone)
        if np.any(zone != first[rows[~on]]) or np.any(zone >= Z):
            raise ValueError("a row of the operating LP other than a surplus row spans zones or holds a g column")
        self.rows, self.cols, self.vals = rows[on], sp.index[on], sp.value[on]
        # y may not make g_t pay (its reduced cost cost_g + y_t must stay >= 0), nor take the wrong sign
        self.g_cost = np.zeros(sp.nrow)
        self.g_cost[rows[is_g]] = sp.cost[sp.index[is_g]]
        self.sp, self.model, self.Z, self.T = sp, model, Z, T
        self.upper = sp.col_upper[:Z]

    def cut(self, row_dual: np.ndarray, at: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """(constant, linear term in M, tangent intercepts and slopes, points x zones): the operating cost is at least
        constant + linear @ M + sum_z max_j (intercept_jz + slope_jz M_z) for every M."""
        from biplomacy.energy.model.zone_dispatch import cuts

        sp, model, Z, T = self.sp, self.model, self.Z, self.T
        y = np.where(self.surplus, row_dual, 0.0)
        y = np.where(np.isfinite(sp.r_upper), np.minimum(y, 0.0), np.maximum(y, 0.0))  # an upper row's y is <= 0
        y = np.where(self.g_cost > 0, np.maximum(y, -self.g_cost), y)
        priced = sp.cost - np.bincount(self.cols, weights=self.vals * y[self.rows], minlength=sp.nx)
        bound = np.where(y < 0, sp.r_upper, sp.r_lower)
        constant = float((y * np.where(y != 0, bound, 0.0)).sum())
        on = self.surplus[sp.shift_row]  # M terms of surplus rows move their bounds: -y x shift
        linear = -np.bincount(sp.shift_zone[on], weights=y[sp.shift_row[on]] * sp.shift_val[on],
                              minlength=Z).astype(float)
        # each zone in its own load m = sign x + offset M: the cost a = priced x sign, and the change of variable leaves
        # -M sum priced x sign x offset
        priced_x = priced[:Z * T].reshape(Z, T)
        a = np.ascontiguousarray(priced_x * model.sign)
        linear -= (priced_x * model.sign * model.offset).sum(axis=1)
        ramp = model.ramp_mw
        points = [at] + [self.upper * i / GRID for i in range(GRID + 1)]
        points += [np.clip(at + side * f * ramp, 0.0, self.upper) for side in (-1.0, 1.0) for f in NEAR]
        intercepts, slopes = cuts(a, np.ascontiguousarray(model.derate), ramp.astype(float), np.array(points))
        return constant, linear, intercepts, slopes


def _master(sp: _Split, cuts: list[tuple[float, np.ndarray]],
            lagrangian: list[tuple[float, np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, float]:
    """min cost @ (M, A) + theta over the master's rows and the cuts; columns M, A, theta, then eta (cut x zone)."""
    import highspy

    Z, K = sp.Z, len(lagrangian)
    theta = 2 * Z
    r, c, v = [sp.m_rows], [sp.m_cols], [sp.m_vals]
    lo, hi = [sp.m_lower], [sp.m_upper]
    zs = np.arange(Z)

    def add(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, low: np.ndarray) -> None:
        r.append(rows + sum(len(b) for b in lo))
        c.append(cols)
        v.append(vals)
        lo.append(low)
        hi.append(np.full(len(low), np.inf))

    for intercept, g in cuts:  # theta - g @ M >= intercept
        add(np.zeros(Z + 1, np.int64), np.append(zs, theta), np.append(-g, 1.0), np.array([intercept]))
    for k, (constant, linear, intercepts, slopes) in enumerate(lagrangian):
        eta = theta + 1 + k * Z + zs
        # theta - sum_z eta_z - linear @ M >= constant
        add(np.zeros(2 * Z + 1, np.int64), np.concatenate([[theta], eta, zs]),
            np.concatenate([[1.0], -np.ones(Z), -linear]), np.array([constant]))
        P = len(intercepts)  # eta_z - slope_jz M_z >= intercept_jz
        row = np.repeat(np.arange(P * Z), 2)
        add(row, np.stack([np.tile(eta, P), np.tile(zs, P)], axis=1).ravel(),
            np.stack([np.ones(P * Z), -slopes.ravel()], axis=1).ravel(), intercepts.ravel())
    n = theta + 1 + K * Z
    cost = np.concatenate([sp.cost_master, [1.0], np.zeros(K * Z)])
    lower = np.concatenate([sp.col_lower, np.full(1 + K * Z, -np.inf)])
    upper = np.concatenate([sp.col_upper, np.full(1 + K * Z, np.inf)])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    pass_rows(h, cost, lower, upper, np.concatenate(r), np.concatenate(c), np.concatenate(v), np.concatenate(lo),
              np.concatenate(hi))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise InputError(f"the planner's Benders master stopped without an optimum "
                         f"({h.modelStatusToString(h.getModelStatus())})")
    return np.asarray(h.getSolution().col_value)[:n], float(h.getInfo().objective_function_value)


def _weeks(sp: _Split, model: LpModel, options: dict[str, Any]) -> Weeks | None:
    """The operating LP cut into weeks (planner_weeks.py), where the horizon is longer than two of them."""
    if model.hours <= 2 * WEEK:
        return None
    hour_of_col = np.concatenate([np.tile(np.arange(model.hours), sp.Z), model.surplus_hours])
    return Weeks(hour_of_col, sp.starts, sp.index, sp.value, sp.cost, options)


def solve(model: LpModel, settings: SolverSettings | None = None, gap: float = 5e-7) -> BendersResult:
    """The LP's optimum to `gap` (relative), a feasible plan at every step; past settings.time_limit_s an
    InputError that says it stopped without an optimum (as planner.solve does)."""
    import highspy

    t0 = time.perf_counter()
    settings = settings or SolverSettings()
    limit = settings.time_limit_s
    sp = _Split(model)
    Z = sp.Z
    lagrange = _Lagrangian(sp, model)
    # a first point: the master with the surplus priced at nothing (each zone's dispatch without the surplus limit)
    cuts: list[tuple[float, np.ndarray]] = []
    lagrangian = [lagrange.cut(np.zeros(sp.nrow), np.asarray(sp.col_upper[:Z], float))]
    point, lower_bound = _master(sp, cuts, lagrangian)
    options = SolverSettings(dual_pricing=settings.dual_pricing).highs_options()
    h: Any = highspy.Highs()  # (highspy's stubs lack changeRowsBounds)
    for name, value in options.items():
        h.setOptionValue(name, value)
    lo, up, rlo, rup = sp.bounds(point[:Z])
    pass_rows(h, sp.cost, lo, up, sp.row, sp.index, sp.value, rlo, rup)
    weeks = _weeks(sp, model, options)
    cols, rows = np.arange(sp.nx, dtype=np.int32), np.arange(sp.nrow, dtype=np.int32)
    best, best_point, best_x, last = np.inf, point, np.zeros(sp.nx), None
    for iteration in range(1, MAX_ITERATIONS + 1):
        if limit is not None:
            left = limit - (time.perf_counter() - t0)
            if left <= 0:
                break
            h.setOptionValue("time_limit", h.getRunTime() + left)  # HiGHS's clock runs on across run() calls
        if last is not None:  # only bounds change: HiGHS keeps the basis and the dual simplex starts from it
            lo, up, rlo, rup = sp.bounds(point[:Z])
            h.changeColsBounds(sp.nx, cols, lo, up)
            h.changeRowsBounds(sp.nrow, rows, rlo, rup)
        moved = np.inf if last is None else np.abs(point[:Z] - last).sum() / max(1.0, sp.col_upper[:Z].sum())
        if weeks is not None and moved > RESTART_MOVE:
            set_basis(h, *weeks.basis(lo, up, rlo, rup))  # a refused basis leaves HiGHS's own: slower, not wrong
        last = point[:Z].copy()
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
        row_dual = np.asarray(solution.row_dual)
        cuts.append(sp.cut(np.asarray(solution.col_dual), row_dual))
        lagrangian.append(lagrange.cut(row_dual, point[:Z]))
        point, lower_bound = _master(sp, cuts, lagrangian)
        if best - lower_bound <= gap * max(1.0, abs(best)):
            x = np.concatenate([best_point[:2 * Z], best_x])
            return BendersResult(x, float(model.cost @ x), lower_bound, iteration, time.perf_counter() - t0)
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
