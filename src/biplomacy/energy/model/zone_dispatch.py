"""One zone's hourly dispatch at given hour prices, exactly and fast: the piece that makes the planner's Benders master
strong (planner_benders.py, docs/adr/0008).

With the surplus rows priced (multipliers from the operating LP), the operating LP falls apart into one LP per zone:

    phi(M) = min sum_t a_t m_t   over 0 <= m_t <= d_t M,  |m_t - m_t-1| <= r

(a_t: the hour's cost of a MW of mining with the surplus priced in; d_t: the heat derating; r: the zone's ramp). phi is
convex and piecewise linear in the installed MW M, and the master needs it at many M. HiGHS takes about 40 ms a zone
and point; the dynamic programme below takes about 0.5 ms (8,760 hours):

- `dispatch`: forward, the cost-to-come F_t(x) is convex and piecewise linear, kept as two heaps of breakpoints with
  their slope changes ("slope trick"): adding a_t x moves breakpoints from one heap to the other, the bounds [0, d_t M]
  clip it, and the ramp shifts the left heap down by r and the right one up by r. Backward, m_t is the point of F_t's
  minimisers nearest to m_t+1, moved to within r of it. O(T log T).
- `multipliers`: the ramp rows' multipliers pi complementary to that m, propagated forward as intervals and chosen
  backward. Weak duality gives, for ANY pi and every M >= 0,

      phi(M) >= -r sum_t |pi_t| + M sum_t d_t min(0, a_t - pi_t + pi_t+1),

  an affine lower bound, so a cut is valid whatever pi is; with the complementary pi it is tight at the M it was
  taken at (tests/energy/plan/test_zone_dispatch.py holds both to HiGHS).

Written by hand with numba (no LP or DP library here solves this chain problem, and HiGHS per zone was 80x slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit  # type: ignore[import-untyped]


@njit(cache=True)
def _push(pos: np.ndarray, w: np.ndarray, n: int, p: float, wt: float) -> int:  # pragma: no cover - compiled
    """Push onto a max-heap of positions with weights; the new size."""
    i = n
    pos[i] = p
    w[i] = wt
    while i > 0:
        parent = (i - 1) >> 1
        if pos[parent] >= pos[i]:
            break
        pos[parent], pos[i] = pos[i], pos[parent]
        w[parent], w[i] = w[i], w[parent]
        i = parent
    return n + 1


@njit(cache=True)
def _pop(pos: np.ndarray, w: np.ndarray, n: int) -> int:  # pragma: no cover - compiled
    """Drop the top of the max-heap; the new size."""
    n -= 1
    pos[0] = pos[n]
    w[0] = w[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and pos[c + 1] > pos[c]:
            c += 1
        if pos[c] <= pos[i]:
            break
        pos[c], pos[i] = pos[i], pos[c]
        w[c], w[i] = w[i], w[c]
        i = c
    return n


@njit(cache=True)
def dispatch(a: np.ndarray, upper: np.ndarray, r: float) -> np.ndarray:  # pragma: no cover - compiled
    """A minimiser m of sum a_t m_t over 0 <= m_t <= upper_t, |m_t - m_t-1| <= r.

    The left heap holds the breakpoints left of F_t's minimisers (a max-heap of position - off_left), the right heap
    those right of them (a max-heap of -(position - off_right)); a weight is the slope's increase at the breakpoint.
    Breakpoints left outside [lo, hi] by a clip are stale and treated as the domain's end when reached."""
    T = a.shape[0]
    size = 2 * T + 4
    lp, lw, rp, rw = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
    nl = nr = 0
    off_l = off_r = 0.0
    lo = hi = 0.0
    first, last = np.empty(T), np.empty(T)  # F_t's minimisers
    for t in range(T):
        if t == 0:
            lo, hi = 0.0, upper[0]
        else:  # the ramp: min over |y - x| <= r of F_t-1(y), then the hour's bounds
            off_l -= r
            off_r += r
            lo, hi = max(lo - r, 0.0), min(hi + r, upper[t])
            if lo > hi:
                lo = hi
        moved = 0.0  # minimisers above hi: the minimum is at hi, with the slope left of it kept
        while nl > 0 and lp[0] + off_l > hi:
            moved += lw[0]
            nl = _pop(lp, lw, nl)
        if moved > 0.0:
            nr = 0
            nl = _push(lp, lw, nl, hi - off_l, moved)
        moved = 0.0
        while nr > 0 and -rp[0] + off_r < lo:
            moved += rw[0]
            nr = _pop(rp, rw, nr)
        if moved > 0.0:
            nl = 0
            nr = _push(rp, rw, nr, -(lo - off_r), moved)
        s = a[t]  # + a_t x: breakpoints cross from one side of the minimum to the other
        if s > 0.0:
            while s > 0.0:
                if nl == 0 or lp[0] + off_l < lo:
                    nr = _push(rp, rw, nr, -(lo - off_r), s)
                    nl = 0
                    break
                b, wb = lp[0] + off_l, lw[0]
                if wb > s:
                    lw[0] = wb - s
                    nr = _push(rp, rw, nr, -(b - off_r), s)
                    break
                nl = _pop(lp, lw, nl)
                nr = _push(rp, rw, nr, -(b - off_r), wb)
                s -= wb
        elif s < 0.0:
            s = -s
            while s > 0.0:
                if nr == 0 or -rp[0] + off_r > hi:
                    nl = _push(lp, lw, nl, hi - off_l, s)
                    nr = 0
                    break
                b, wb = -rp[0] + off_r, rw[0]
                if wb > s:
                    rw[0] = wb - s
                    nl = _push(lp, lw, nl, b - off_l, s)
                    break
                nr = _pop(rp, rw, nr)
                nl = _push(lp, lw, nl, b - off_l, wb)
                s -= wb
        p = lp[0] + off_l if nl > 0 and lp[0] + off_l > lo else lo
        q = -rp[0] + off_r if nr > 0 and -rp[0] + off_r < hi else hi
        p = min(p, hi)
        q = max(min(q, hi), p)
        first[t], last[t] = p, q
    m = np.empty(T)
    m[T - 1] = first[T - 1]
    for t in range(T - 2, -1, -1):
        x = min(max(m[t + 1], first[t]), last[t])
        m[t] = min(max(x, m[t + 1] - r), m[t + 1] + r)
    return m


@njit(cache=True)
def _signs(m: float, upper: float, tol: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """The values a reduced cost may take at m in [0, upper]: >= 0 at 0, <= 0 at upper, 0 between."""
    at0, at_up = m <= tol, m >= upper - tol
    if at0 and at_up:
        return -np.inf, np.inf
    if at0:
        return 0.0, np.inf
    if at_up:
        return -np.inf, 0.0
    return 0.0, 0.0


@njit(cache=True)
def multipliers(a: np.ndarray, upper: np.ndarray, r: float, m: np.ndarray,
                tol: float) -> np.ndarray:  # pragma: no cover - compiled
    """pi[t] for the ramp row m_t - m_t-1 (pi[0] = 0) complementary to the minimiser m: pi_t > 0 only where the ramp
    down binds, < 0 only where the ramp up binds, and each reduced cost a_t - pi_t + pi_t+1 of the sign m_t's bounds
    allow. Where rounding leaves no such value, the nearest is taken: the bound stays valid, only less tight."""
    T = a.shape[0]
    lo_at, hi_at = np.empty(T + 1), np.empty(T + 1)
    lo_at[0] = hi_at[0] = 0.0
    for t in range(T):
        cl, ch = _signs(m[t], upper[t], tol)
        lo, hi = lo_at[t] - a[t] + cl, hi_at[t] - a[t] + ch
        rl = rh = 0.0  # pi_t+1's sign: the last hour has no row after it
        if t + 1 < T:
            v = m[t + 1] - m[t]
            if v >= r - tol:
                rl = -np.inf
            if v <= -r + tol:
                rh = np.inf
        lo, hi = max(lo, rl), min(hi, rh)
        if lo > hi:
            lo = hi = 0.5 * (lo + hi)
        lo_at[t + 1], hi_at[t + 1] = lo, hi
    pi = np.zeros(T + 1)
    for t in range(T - 1, 0, -1):
        cl, ch = _signs(m[t], upper[t], tol)
        lo, hi = max(lo_at[t], pi[t + 1] + a[t] - ch), min(hi_at[t], pi[t + 1] + a[t] - cl)
        pi[t] = 0.5 * (lo + hi) if lo > hi else min(max(0.0, lo), hi)
    return pi[:T]


@njit(cache=True)
def bound(a: np.ndarray, derate: np.ndarray, r: float, pi: np.ndarray) -> tuple[float, float]:  # pragma: no cover
    """The lower bound on phi(M) that pi gives, as (intercept, slope): -r sum |pi| + M sum d_t min(0, reduced cost)."""
    T = a.shape[0]
    intercept = slope = 0.0
    for t in range(T):
        reduced = a[t] - pi[t] + (pi[t + 1] if t + 1 < T else 0.0)
        if reduced < 0.0:
            slope += derate[t] * reduced
        if t > 0:
            intercept -= r * abs(pi[t])
    return intercept, slope


@njit(cache=True)
def cuts(a: np.ndarray, derate: np.ndarray, ramp: np.ndarray,
         points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """For zones x hours costs a and derating, ramps by zone and installed MW points x zones: each zone's tangent to
    phi at each point, as (intercepts, slopes), points x zones."""
    P, Z = points.shape
    intercepts, slopes = np.empty((P, Z)), np.empty((P, Z))
    for z in range(Z):
        for j in range(P):
            upper = derate[z] * points[j, z]
            m = dispatch(a[z], upper, ramp[z])
            pi = multipliers(a[z], upper, ramp[z], m, 1e-9 * max(1.0, points[j, z]))
            intercepts[j, z], slopes[j, z] = bound(a[z], derate[z], ramp[z], pi)
    return intercepts, slopes
