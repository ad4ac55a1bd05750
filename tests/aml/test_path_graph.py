"""The path of a case's funds laid out as a graph: every account a node, every transfer an arrow, nothing hidden."""

from __future__ import annotations

import math

from biplomacy.aml.model.path_graph import MAX_NODES, RADIUS, Hop, path_graph


def hop(i: int, a: str, b: str) -> Hop:
    return Hop(f"t{i}", f"2025-09-01 0{i % 10}:00", a, b, f"{1000 - i:,.2f} USDT", "IndusX")


def test_a_cycle_puts_each_account_once_in_the_order_the_money_reached_it():
    g = path_graph([hop(1, "alice", "bob"), hop(2, "bob", "carol"), hop(3, "carol", "alice")])
    assert [n.account for n in g.nodes] == ["alice", "bob", "carol"] and [a.order for a in g.arrows] == [1, 2, 3]
    assert all(0 <= n.x <= g.width and 0 <= n.y <= g.height for n in g.nodes) and g.left_out == 0
    apart = [math.dist((p.x, p.y), (q.x, q.y)) for p in g.nodes for q in g.nodes if p is not q]
    assert min(apart) > 4 * RADIUS  # no node overlaps another


def test_two_transfers_between_the_same_accounts_bend_apart_and_a_self_transfer_loops():
    g = path_graph([hop(1, "a", "b"), hop(2, "b", "a"), hop(3, "a", "b"), hop(4, "b", "b")])
    paths = [a.path for a in g.arrows]
    assert len(set(paths)) == 4 and len({(a.label_x, a.label_y) for a in g.arrows}) == 4
    assert " C " in g.arrows[3].path  # the loop on b


def test_a_fan_out_past_the_drawable_counts_what_it_leaves_to_the_table():
    g = path_graph([hop(i, "hub", f"acct{i}") for i in range(MAX_NODES + 5)])
    assert len(g.nodes) == MAX_NODES and g.left_out == 6 and len(g.arrows) == MAX_NODES - 1
