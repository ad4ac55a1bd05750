"""Whatever a statement or chain-data file holds, verification answers valid or invalid with a reason, never a crash."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.reserve.model.statement import FIELDS, verify_statement
from tests.reserve.proofs.test_statement_offline import _statement

STATEMENT, CHAIN = _statement()
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=40),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                       max_size=4), max_leaves=10)
COIN_FIELDS = ("txid", "vout", "sats", "script_pubkey", "change", "index")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_field_replaced_by_any_json_is_judged_not_crashed(field: str, value: Any) -> None:
    edited = {**copy.deepcopy(STATEMENT), field: value}
    check = verify_statement(edited, CHAIN)
    if value != STATEMENT[field] and field not in ("format", "id", "threshold", "created_at"):
        assert check.valid is False and check.reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(0, 2), field=st.sampled_from(COIN_FIELDS), value=JSON_VALUES)
def test_any_coin_field_replaced_is_invalid(k: int, field: str, value: Any) -> None:
    edited = copy.deepcopy(STATEMENT)
    if value == edited["utxos"][k][field]:
        return
    edited["utxos"][k][field] = value
    check = verify_statement(edited, CHAIN)
    assert check.valid is False and check.reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chain=JSON_VALUES.filter(lambda v: v is not None))
def test_malformed_chain_data_is_a_reason_not_a_crash(chain: Any) -> None:
    check = verify_statement(STATEMENT, chain)
    assert check.valid is False and check.reason
