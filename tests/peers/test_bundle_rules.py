"""Bundle verification as rules: a bundle signed here verifies; every way of breaking one is named, all at once."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.peers.model.bundle import (
    PartEntry,
    build_manifest,
    content_hash,
    parse_public_key,
    public_key_text,
    sign_bundle,
    verify_document,
)
from biplomacy.peers.model.diff import diff
from biplomacy.peers.model.parts import PART_KINDS, check_part

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
PARTS = [
    PartEntry("aml-rules", "aml-rules", "AML", {"thresholds_version": "v2", "thresholds": {"reporting_threshold": 1000.0},
                                                 "thresholds_toml": "version = \"v2\"\n", "typologies": [
                                                     {"rule": "structuring", "description": "just under"}],
                                                 "evaluation": {"typologies": {"structuring": {"recall": 1.0}}}}),
    PartEntry("cited-facts", "cited-facts", "Facts", {"facts": [{"key": "peers.sv.reserve_btc", "value": "7474",
                                                                 "unit": "BTC", "date": "2025-11-18"}]}),
]


def signed(key: Ed25519PrivateKey = KEY, days: int = 30) -> dict[str, Any]:
    m = build_manifest(bundle_version="3", program="National Bitcoin Office", country="SV",
                       public_key=public_key_text(key.public_key()), issued_at=T0, expires_at=T0 + timedelta(days=days),
                       parts=PARTS, sources=[])
    return sign_bundle(m, PARTS, key)


def codes(doc: Any, key: Ed25519PrivateKey = KEY, now: datetime = T0 + timedelta(days=1)) -> list[str]:
    return [p.code for p in verify_document(doc, key.public_key(), now).problems]


def test_a_bundle_signed_with_the_pinned_key_is_valid() -> None:
    assert codes(signed()) == []


def test_a_tampered_part_is_named() -> None:
    doc = signed()
    doc["parts"]["aml-rules"]["thresholds"]["reporting_threshold"] = 5000.0
    problems = verify_document(doc, KEY.public_key(), T0).problems
    assert [(p.code, p.path) for p in problems] == [("tampered", "parts.aml-rules")]


def test_a_tampered_manifest_breaks_the_signature() -> None:
    doc = signed()
    doc["manifest"]["expires_at"] = (T0 + timedelta(days=9000)).isoformat()
    assert codes(doc) == ["bad-signature"]


def test_a_bundle_signed_with_another_key_is_wrongly_signed() -> None:
    assert codes(signed(OTHER)) == ["wrong-key", "bad-signature"]


def test_a_bundle_re_signed_by_someone_else_with_the_issuers_key_claimed_is_refused() -> None:
    doc = signed()
    forged = sign_bundle(doc["manifest"], PARTS, OTHER)  # claims the issuer's key, signs with another
    assert codes(forged) == ["bad-signature"]


def test_an_unsigned_bundle_is_refused() -> None:
    doc = signed()
    del doc["signature"]
    assert codes(doc) == ["unsigned"]


def test_an_expired_bundle_is_refused_and_a_future_one_too() -> None:
    assert codes(signed(days=5), now=T0 + timedelta(days=6)) == ["expired"]
    assert codes(signed(), now=T0 - timedelta(hours=1)) == ["not-yet-valid"]


def test_a_missing_or_extra_part_is_named() -> None:
    doc = signed()
    doc["parts"]["smuggled"] = {"x": 1}
    del doc["parts"]["cited-facts"]
    assert sorted(codes(doc)) == ["extra-part", "missing-part"]


def test_a_part_of_the_wrong_shape_is_a_schema_problem_even_when_signed() -> None:
    bad = [PartEntry("cited-facts", "cited-facts", "Facts", {"facts": [{"key": "x"}]})]
    m = build_manifest(bundle_version="1", program="P", country="SV", public_key=public_key_text(KEY.public_key()),
                       issued_at=T0, expires_at=T0 + timedelta(days=1), parts=bad, sources=[])
    problems = verify_document(sign_bundle(m, bad, KEY), KEY.public_key(), T0).problems
    assert [(p.code, p.path) for p in problems] == [("schema", "parts.cited-facts.facts[0]")]


def test_something_that_is_no_bundle_is_refused_by_format() -> None:
    assert codes({"hello": "world"}) == ["format"]
    assert codes([1, 2]) == ["format"]


def test_an_unknown_part_kind_is_refused() -> None:
    assert [i.code for i in check_part("aml-profile-v9", {}, "parts.x")] == ["schema"]


def test_every_registered_kind_checks_its_required_fields() -> None:
    for kind in PART_KINDS:
        assert check_part(kind, {}, "p"), kind  # an empty object lacks what each kind needs


def test_public_keys_round_trip_and_bad_ones_are_refused() -> None:
    text = public_key_text(KEY.public_key())
    assert public_key_text(parse_public_key(text)) == text
    for bad in ("", "ed25519:", "ed25519:!!!", "rsa:AAAA", "ed25519:" + "A" * 40):
        with pytest.raises(InputError):
            parse_public_key(bad)


def test_hashes_do_not_depend_on_key_order() -> None:
    a = {"b": 1, "a": [1, {"y": 2, "x": 3}]}
    b = json.loads('{"a": [1, {"x": 3, "y": 2}], "b": 1}')
    assert content_hash(a) == content_hash(b)


def test_diff_matches_list_items_by_name_not_position() -> None:
    ours = {"profiles": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]}
    theirs = {"profiles": [{"name": "b", "v": 2}, {"name": "a", "v": 5}, {"name": "c", "v": 0}]}
    changes = {(c.path, c.change) for c in diff(ours, theirs)}
    assert changes == {("profiles[name=a].v", "changed"), ("profiles[name=c].name", "added"),
                       ("profiles[name=c].v", "added")}


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids,
                                                                                     max_size=3), max_leaves=10)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4), json_values, max_size=4))
def test_any_change_to_a_signed_part_is_caught(extra: dict[str, Any]) -> None:
    doc = signed()
    changed = copy.deepcopy(doc)
    changed["parts"]["cited-facts"]["facts"][0]["value"] = "7475"
    changed["parts"]["cited-facts"].update({"note-" + k: v for k, v in extra.items()})
    assert "tampered" in codes(changed)
    assert diff(doc["parts"]["cited-facts"], changed["parts"]["cited-facts"])
