"""The reserve's records publish the JSON the reserve always published; its states are stored as the same strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from biplomacy.core.units import MAX_SATS
from biplomacy.reserve.model.ledger import btc_amount, btc_text
from biplomacy.reserve.model.states import SpendState, StatementState
from biplomacy.reserve.results import SignatureReceipt, SpendBroadcast, SpendStatus, SyncResult
from tests.reserve.custody.test_ceremony import funded_treasury, ok


def _status(**changes: Any) -> SpendStatus:
    fields: dict[str, Any] = {"id": "sp-1", "wallet": "treasury", "threshold": 3, "valid_signers": ("aa",),
                              "ready": False, "state": SpendState.COLLECTING, "to": "bcrt1q", "amount_btc":
                              btc_amount(100_000_000), "fee_sats": 474, "purpose": "cold storage", "txid": None}
    return SpendStatus(**{**fields, **changes})


def test_a_record_publishes_its_fields_in_order_with_amounts_as_exact_strings() -> None:
    synced = SyncResult("treasury", 7, btc_amount(175_000_000), 175_000_000, btc_amount(1), 2, ("ab:0",),
                        "pakistan-draft", ())
    assert list(synced.to_json().items()) == [
        ("wallet", "treasury"), ("height", 7), ("balance_btc", "1.75"), ("balance_sats", 175_000_000),
        ("unconfirmed_btc", "0.00000001"), ("new_receipts", 2), ("vanished", ["ab:0"]), ("policy", "pakistan-draft"),
        ("policy_findings", []), ("unauthorised_spends", [])]


def test_a_refused_upload_publishes_no_new_signers_and_the_targets_status_inline() -> None:
    refused = SignatureReceipt(False, "duplicate signer", None, _status()).to_json()
    accepted = SignatureReceipt(True, None, ("bb",), _status(valid_signers=("aa", "bb"))).to_json()
    assert "new_signers" not in refused and accepted["new_signers"] == ["bb"]
    assert list(accepted)[:4] == ["accepted", "reason", "new_signers", "id"]
    assert refused["state"] == "collecting" and type(refused["state"]) is str


def test_a_broadcast_publishes_its_txid_first_once() -> None:
    done = SpendBroadcast("ff" * 32, _status(state=SpendState.BROADCAST, txid="ff" * 32)).to_json()
    assert list(done)[:2] == ["txid", "id"] and list(done).count("txid") == 1 and done["state"] == "broadcast"


@given(st.integers(min_value=0, max_value=MAX_SATS))
def test_a_btc_amount_is_written_with_btc_texts_digits(sats: int) -> None:
    amount = btc_amount(sats)
    assert format(amount, "f") == btc_text(sats) and amount * 100_000_000 == Decimal(sats)


def test_states_are_the_strings_the_tables_always_held() -> None:
    assert [s.value for s in SpendState] == ["collecting", "ready", "broadcast", "cancelled"]
    assert [s.value for s in StatementState] == ["collecting", "ready", "final"]
    assert [s.is_open for s in SpendState] == [True, True, False, False]


def test_a_cancelled_proposal_is_stored_as_the_plain_string(
        cli: Any, db_url: str, treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.1", "--purpose", "x",
                      "--json"))
    ok(cli("reserve", "spend", "cancel", proposal["id"], "--reason", "not needed", "--json"))
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT state FROM reserve_spend_proposals")).scalar_one()
    engine.dispose()
    assert stored == "cancelled" and type(stored) is str
