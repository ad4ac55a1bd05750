"""The Merkle-sum tree: every user's proof reaches the root, and forged nodes, sums and siblings do not."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.supervision.model.merkle_sum import BatchVerifier, build_tree, hash_user_id, leaf_hash, node_hash
from biplomacy.supervision.model.solvency import (
    batch_verifier,
    build_snapshot,
    read_liabilities_csv,
    render_proofs,
    verify_proof,
)


def snapshot_of(rows: list[tuple[str, str, int]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    text = "user_id,asset,balance\n" + "".join(f"{u},{a},{b}\n" for u, a, b in rows)
    snap = build_snapshot(read_liabilities_csv(text), height=900_000)
    return snap.root_document(), {u: json.loads(p) for u, p in render_proofs(snap)}


ROWS = [("alice", "BTC", 100), ("bob", "BTC", 250), ("alice", "ETH", 7), ("carol", "BTC", 0), ("dan", "BTC", 5)]


def test_every_users_proof_verifies_against_the_root() -> None:
    root, proofs = snapshot_of(ROWS)
    assert root["totals"] == {"BTC": 355, "ETH": 7} and root["users"] == 4
    assert all(verify_proof(p, root) is None for p in proofs.values())


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
                       st.tuples(st.integers(0, 2**40), st.integers(0, 2**40)), min_size=1, max_size=40))
def test_totals_equal_csv_sums_and_all_proofs_verify(accounts: dict[str, tuple[int, int]]) -> None:
    rows = [(u, "BTC", b) for u, (b, _) in accounts.items()] + [(u, "USDT", t) for u, (_, t) in accounts.items()]
    root, proofs = snapshot_of(rows)
    assert root["totals"] == {"BTC": sum(b for b, _ in accounts.values()),
                              "USDT": sum(t for _, t in accounts.values())}
    batch = batch_verifier(root)
    for user, proof in proofs.items():
        assert verify_proof(proof, root) is None
        assert verify_proof(proof, root, batch) is None
        assert proof["balances"] == list(accounts[user])


def test_a_proof_edited_in_any_field_is_rejected() -> None:
    root, proofs = snapshot_of(ROWS)
    good = proofs["alice"]
    edits = {
        "format": "other/1", "hash_function": "sha1", "root": "00" * 32, "snapshot": {"height": 1, "time": "x"},
        "assets": ["ETH", "BTC"], "user_id": "mallory", "salt": "11" * 16, "balances": [99, 7],
        "leaf_index": good["leaf_index"] ^ 1,
    }
    for field, value in edits.items():
        forged = dict(good, **{field: value})
        assert verify_proof(forged, root) is not None, field
    for i in range(len(good["path"])):
        side, h, sums = good["path"][i]
        for step in ([side, "ff" * 32, sums], [side, h, [s + 1 for s in sums]],
                     ["left" if side == "right" else "right", h, sums]):
            forged = dict(good, path=[*good["path"][:i], step, *good["path"][i + 1:]])
            assert verify_proof(forged, root) is not None


def test_a_root_of_another_snapshot_is_rejected() -> None:
    root, proofs = snapshot_of(ROWS)
    other_root, _ = snapshot_of(ROWS)
    reason = verify_proof(proofs["bob"], other_root)
    assert reason is not None and "another snapshot" in reason


def test_a_node_claiming_a_sum_other_than_its_childrens_is_rejected() -> None:
    """Chalkias et al. 2022: a parent must commit to both children's sums, so shifting value between
    siblings (lowering one user's sibling sum, raising another's) changes the hash."""
    root, proofs = snapshot_of(ROWS)
    p = proofs["bob"]
    for level in range(len(p["path"])):
        side, h, sums = p["path"][level]
        for forged_sums in ([s + 1 for s in sums], [s - 1 if s else s + 2 for s in sums]):
            forged = dict(p, path=[*p["path"][:level], [side, h, forged_sums], *p["path"][level + 1:]])
            assert verify_proof(forged, root) is not None


def test_a_negative_balance_smuggled_by_64_bit_wraparound_is_rejected() -> None:
    """A sibling claiming 2^64 - 100 would wrap a 64-bit sum to 'minus 100'; the verifier refuses it."""
    ids = b"".join(hash_user_id(bytes(16), u) for u in ("a", "b"))
    with pytest.raises(ValueError, match="2\\^64"):
        build_tree(("BTC",), ids, np.array([[2**64 - 100], [200]], dtype=np.uint64))
    leaf_a = leaf_hash(hash_user_id(bytes(16), "a"), [200])
    sneaky = 2**64 - 100
    fake_sibling = leaf_hash(hash_user_id(bytes(16), "b"), [sneaky])
    root = node_hash(leaf_a, fake_sibling, [200], [sneaky])  # a root the exchange made up
    proof = {"format": "biplomacy-proof-of-solvency/1", "hash_function": "sha256", "root": root.hex(),
             "snapshot": {"height": 1, "time": "t"}, "assets": ["BTC"], "user_id": "a", "salt": "00" * 16,
             "balances": [200], "leaf_index": 0, "path": [["right", fake_sibling.hex(), [sneaky]]]}
    doc = {**{k: proof[k] for k in ("format", "hash_function", "root", "snapshot", "assets")},
           "totals": {"BTC": 100}, "depth": 1}
    reason = verify_proof(proof, doc)
    assert reason is not None and "2^64" in reason
    negative = dict(proof, path=[["right", fake_sibling.hex(), [-300]]])
    assert "2^64" in str(verify_proof(negative, doc))


def test_batch_verifier_still_rejects_a_forged_leaf_after_the_upper_path_is_proven() -> None:
    root, proofs = snapshot_of([(f"u{i}", "BTC", i) for i in range(16)])
    batch = batch_verifier(root)
    assert isinstance(batch, BatchVerifier)
    for p in proofs.values():
        assert verify_proof(p, root, batch) is None
    forged = dict(proofs["u3"], balances=[10**6])
    assert verify_proof(forged, root, batch) is not None
    ones = next(p for p in proofs.values() if [1] in [s[2] for s in p["path"]])  # u1's leaf is a sibling somewhere
    at = [s[2] for s in ones["path"]].index([1])
    as_bool = dict(ones, path=[*ones["path"][:at], [ones["path"][at][0], ones["path"][at][1], [True]],
                               *ones["path"][at + 1:]])
    assert verify_proof(as_bool, root, batch_verifier(root)) is not None
    assert verify_proof(as_bool, root) is not None


def test_liabilities_sum_overflowing_64_bits_is_refused() -> None:
    text = "user_id,asset,balance\na,BTC,18446744073709551615\nb,BTC,1\n"
    with pytest.raises(InputError, match="2\\^64"):
        build_snapshot(read_liabilities_csv(text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("user_id,asset,balnc\n-0123456789.\"x é"), max_size=200))
def test_any_liabilities_text_is_parsed_or_refused_with_an_input_error(text: str) -> None:
    try:
        data = read_liabilities_csv(text)
    except InputError:
        return
    assert data.balances.shape == (len(data.user_ids), len(data.assets))


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12))
def test_any_json_as_a_proof_is_answered_with_a_reason_not_a_crash(junk: Any) -> None:
    root, proofs = ROOT_AND_PROOFS
    assert isinstance(verify_proof(junk, root), str)
    for field in ("path", "balances", "leaf_index", "salt", "user_id"):
        assert isinstance(verify_proof(dict(proofs["alice"], **{field: junk}), root), (str, type(None)))


ROOT_AND_PROOFS = snapshot_of(ROWS)


ONE_ASSET_ROWS = [(f"u{i}", "BTC", 10 * i + 1) for i in range(11)]


def test_one_asset_proofs_edited_in_any_field_or_step_are_rejected_with_a_reason() -> None:
    """The one-asset path goes through merkle_sum's lean loop; it must refuse exactly what the careful one does."""
    root, proofs = snapshot_of(ONE_ASSET_ROWS)
    good = proofs["u4"]
    assert verify_proof(good, root) is None
    edits: dict[str, Any] = {
        "format": "other/1", "hash_function": "sha1", "root": "00" * 32, "snapshot": {"height": 1, "time": "x"},
        "assets": ["ETH"], "user_id": "u5", "salt": "11" * 16, "balances": [42], "leaf_index": good["leaf_index"] ^ 1,
    }
    for field, value in edits.items():
        assert verify_proof(dict(good, **{field: value}), root), field
    float_height = dict(good["snapshot"], height=float(good["snapshot"]["height"]))
    assert "snapshot" in str(verify_proof(dict(good, snapshot=float_height), root))
    hash_edits = {"balances": [True], "leaf_index": good["leaf_index"] + (1 << len(good["path"])),
                  "salt": good["salt"][:-2], "user_id": None}
    for field, value in hash_edits.items():
        assert verify_proof(dict(good, **{field: value}), root), field
    for i, (side, h, sums) in enumerate(good["path"]):
        other_side = "left" if side == "right" else "right"
        for step in ([side, "ff" * 32, sums], [side, h[:-2], sums], [side, h + "00", sums], [side, h.upper(), [True]],
                     [side, h, [sums[0] + 1]], [side, h, [-1]], [side, h, [2**64]], [side, h, [float(sums[0])]],
                     [side, h, [*sums, 0]], [other_side, h, sums], [side, h]):
            forged = dict(good, path=[*good["path"][:i], step, *good["path"][i + 1:]])
            reason = verify_proof(forged, root)
            assert reason, (i, step)
    assert "step" in str(verify_proof(dict(good, path=[[good["path"][0][0], "ab", [1]], *good["path"][1:]]), root))
    assert "depth" in str(verify_proof(dict(good, path=good["path"][:-1]), root))


def test_an_edited_root_document_is_rejected_naming_what_is_wrong() -> None:
    root, proofs = snapshot_of(ONE_ASSET_ROWS)
    proof = proofs["u2"]
    cases = {
        "totals": ({"BTC": root["totals"]["BTC"] + 1}, "totals"),
        "depth": (root["depth"] + 1, "depth"),
        "snapshot": (dict(root["snapshot"], height=float(root["snapshot"]["height"])), "snapshot"),
        "format": ("x/1", "format"),
    }
    for field, (value, word) in cases.items():
        reason = verify_proof(proof, dict(root, **{field: value}))
        assert reason is not None and word in reason, (field, reason)
    assert "depth" in str(verify_proof(proof, dict(root, depth=float(root["depth"]))))
    assert "integers" in str(verify_proof(proof, dict(root, totals={"BTC": float(root["totals"]["BTC"])})))
    missing = {k: v for k, v in proof.items() if k != "salt"}
    assert "salt" in str(verify_proof(missing, root))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10), st.integers(0, 3), st.sampled_from(["side", "hash", "sum", "drop", "extra", "index",
                                                              "balance"]),
       st.one_of(st.integers(-2, 2**64 + 1), st.booleans(), st.floats(allow_nan=False), st.text(max_size=66)))
def test_the_lean_one_asset_loop_accepts_exactly_what_the_careful_check_accepts(
        user: int, step: int, what: str, junk: Any) -> None:
    """merkle_sum.verify_path answers a one-asset path from a lean loop when it passes; the careful
    explain_path must agree on every edit, so the speed costs no check."""
    from biplomacy.supervision.model.merkle_sum import _reaches_root_one_asset, explain_path

    root, proofs = ONE_ASSET_ROOT_AND_PROOFS
    proof = proofs[f"u{user}"]
    leaf = leaf_hash(hash_user_id(bytes.fromhex(proof["salt"]), proof["user_id"]), proof["balances"])
    path = [list(s) for s in proof["path"]]
    index, balance = proof["leaf_index"], proof["balances"][0]
    side, h, sums = path[step]
    if what == "side":
        path[step] = [junk, h, sums]
    elif what == "hash":
        path[step] = [side, junk, sums]
    elif what == "sum":
        path[step] = [side, h, [junk]]
    elif what == "drop":
        del path[step]
    elif what == "extra":
        path[step] = [side, h, sums, junk]
    elif what == "index":
        index = junk
    else:
        balance = junk
    root_hash, total = bytes.fromhex(root["root"]), root["totals"]["BTC"]
    careful = explain_path(leaf, [balance], index, path, root_hash, [total]) if type(balance) is int \
        and type(index) is int else "not integers"
    assert _reaches_root_one_asset(leaf, balance, index, path, root_hash, total) == (careful is None)


ONE_ASSET_ROOT_AND_PROOFS = snapshot_of(ONE_ASSET_ROWS)


def test_each_edit_is_refused_with_a_reason_that_names_what_is_wrong() -> None:
    root, proofs = ONE_ASSET_ROOT_AND_PROOFS
    good = proofs["u4"]
    side, h, sums = good["path"][2]

    def step(new: Any) -> dict[str, Any]:
        return dict(good, path=[*good["path"][:2], new, *good["path"][3:]])

    cases: dict[str, tuple[dict[str, Any], str]] = {
        "format": (dict(good, format="other/1"), "format 'other/1'"),
        "hash function": (dict(good, hash_function="sha1"), "hash function 'sha1'"),
        "root": (dict(good, root="00" * 32), "another snapshot"),
        "snapshot": (dict(good, snapshot={"height": 1, "time": "x"}), "snapshot"),
        "assets": (dict(good, assets=["ETH"]), "asset order"),
        "user id": (dict(good, user_id="u5"), "recomputed root hash differs"),
        "balance": (dict(good, balances=[42]), "recomputed root hash differs"),
        "leaf index": (dict(good, leaf_index=good["leaf_index"] ^ 1), "leaf index puts it"),
        "depth": (dict(good, path=good["path"][:-1]), "tree depth"),
        "sibling hash": (step([side, "ff" * 32, sums]), "recomputed root hash differs"),
        "short hash": (step([side, h[:-2], sums]), "path step 3: the sibling hash is not 32 bytes"),
        "negative sum": (step([side, h, [-1]]), "path step 3: the sibling sums must be 1 integer(s)"),
        "boolean sum": (step([side, h, [True]]), "path step 3: the sibling sums must be 1 integer(s)"),
        "missing sums": (step([side, h]), "path step 3: expected [side, sibling hash, sibling sums]"),
        "salt": (dict(good, salt="zz"), "salt"),
    }
    for name, (forged, words) in cases.items():
        reason = verify_proof(forged, root)
        assert reason is not None and words in reason, (name, reason)
