"""The path of a case's funds as a graph to draw: accounts as nodes on a circle, transfers as arrows between them.

Plain values in, coordinates out; the case page draws them as inline SVG (no script, so it shows wherever the
page does). Accounts are placed in the order the money reached them, so a cycle reads round the circle; two
transfers between the same accounts bend apart so that neither hides the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 460
RADIUS = 16  # a node's
MAX_NODES = 40  # a fan-out past this is listed in the table, not drawn


@dataclass(frozen=True, slots=True)
class Hop:
    """One transfer as the graph needs it (the case's table has the same fields)."""

    tx_id: str
    time: str  # "YYYY-MM-DD HH:MM" (UTC)
    source: str
    target: str
    amount: str  # grouped, with its asset: "9,500.00 USDT"
    vasp: str


@dataclass(frozen=True, slots=True)
class Node:
    account: str
    x: float
    y: float
    label_y: float  # the account's name sits outside the circle of nodes


@dataclass(frozen=True, slots=True)
class Arrow:
    hop: Hop
    order: int  # 1 for the earliest transfer
    path: str  # an SVG path: a quadratic curve from the edge of one node to the edge of the other
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class PathGraph:
    width: int
    height: int
    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]
    left_out: int  # transfers not drawn (their accounts are past MAX_NODES)


def _round(v: float) -> float:
    return round(v, 1)


def path_graph(hops: Sequence[Hop]) -> PathGraph:
    """Lay out `hops` (in time order): nodes on a circle in the order the money reached them, curved arrows."""
    order: list[str] = []
    for h in hops:
        for a in (h.source, h.target):
            if a not in order:
                order.append(a)
    drawn = order[:MAX_NODES]
    cx, cy = WIDTH / 2, HEIGHT / 2
    ring = min(WIDTH, HEIGHT) / 2 - 95  # room outside the ring for the arrows' labels
    at: dict[str, tuple[float, float]] = {}
    nodes = []
    for i, account in enumerate(drawn):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(drawn))
        x, y = cx + ring * math.cos(angle), cy + ring * math.sin(angle)
        at[account] = (x, y)
        nodes.append(Node(account, _round(x), _round(y), _round(y + (RADIUS + 14 if y >= cy else -RADIUS - 8))))
    seen: dict[tuple[str, str], int] = {}
    arrows, left_out = [], 0
    for n, h in enumerate(hops, start=1):
        if h.source not in at or h.target not in at:
            left_out += 1
            continue
        pair = (min(h.source, h.target), max(h.source, h.target))
        k = seen[pair] = seen.get(pair, 0) + 1
        arrows.append(_arrow(h, n, at[h.source], at[h.target], k, (cx, cy)))
    return PathGraph(WIDTH, HEIGHT, tuple(nodes), tuple(arrows), left_out)


def _arrow(h: Hop, n: int, a: tuple[float, float], b: tuple[float, float], k: int,
           centre: tuple[float, float]) -> Arrow:
    """A curve from a to b, bent away from the centre (where the other arrows are) by an amount that grows with `k`
    (the k-th hop between the pair, either way), its label outside the bend."""
    (x1, y1), (x2, y2) = a, b
    if (x1, y1) == (x2, y2):  # a transfer to the same account: a small loop above the node
        path = (f"M {_round(x1 - 6)} {_round(y1 - RADIUS)} C {_round(x1 - 40)} {_round(y1 - 70)} "
                f"{_round(x1 + 40)} {_round(y1 - 70)} {_round(x1 + 6)} {_round(y1 - RADIUS)}")
        return Arrow(h, n, path, _round(x1), _round(y1 - 62))
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    nx, ny = -uy, ux  # a normal of the chord; turned to point away from the centre
    if nx * ((x1 + x2) / 2 - centre[0]) + ny * ((y1 + y2) / 2 - centre[1]) < 0:
        nx, ny = -nx, -ny
    bend = 28.0 * k
    mx, my = (x1 + x2) / 2 + nx * bend, (y1 + y2) / 2 + ny * bend
    sx, sy = x1 + ux * RADIUS, y1 + uy * RADIUS
    ex, ey = x2 - ux * (RADIUS + 4), y2 - uy * (RADIUS + 4)
    path = f"M {_round(sx)} {_round(sy)} Q {_round(mx)} {_round(my)} {_round(ex)} {_round(ey)}"
    # the curve's midpoint is halfway between the chord's midpoint and the control point
    lx, ly = ((x1 + x2) / 2 + mx) / 2 + nx * 34, ((y1 + y2) / 2 + my) / 2 + ny * 34
    return Arrow(h, n, path, _round(lx), _round(ly - 10))  # the label's three lines centred on that point
