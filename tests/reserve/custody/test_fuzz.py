"""Fuzz: whatever bytes or text arrive as a PSBT, descriptor or transaction, the answer is InputError, never a crash."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.reserve.model.descriptors import parse_descriptor
from biplomacy.reserve.model.spend_psbt import read_psbt
from biplomacy.reserve.rehearsal.model import consensus as rc
from tests.reserve.custody.conftest import make_signer, multisig

GOOD = multisig(2, [make_signer(x) for x in "pqr"])
MAGIC = b"psbt\xff"


def _only_input_errors(fn, arg) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(arg)
    except InputError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_after_the_psbt_magic_are_refused_cleanly(tail: bytes) -> None:
    _only_input_errors(read_psbt, MAGIC + tail)
    _only_input_errors(read_psbt, base64.b64encode(MAGIC + tail))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.characters(codec="ascii"))
def test_a_descriptor_with_one_character_changed_is_refused_or_still_valid(pos: int, ch: str) -> None:
    _only_input_errors(lambda t: parse_descriptor(t, "regtest"), GOOD[:pos] + ch + GOOD[pos + 1:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_hex_as_a_transaction_is_refused_cleanly(raw: bytes) -> None:
    _only_input_errors(lambda h: rc.check_broadcast(h, lambda txid, vout: None), raw.hex())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.binary(max_size=200).map(lambda b: b.hex().encode()),
                 st.binary(max_size=200).map(lambda b: MAGIC.hex().encode() + b.hex().encode()),
                 st.binary(max_size=200).map(base64.b64encode)))
def test_any_upload_is_a_psbt_a_transaction_or_refused_by_name(data: bytes) -> None:
    from biplomacy.reserve.model.signed_forms import read_upload

    _only_input_errors(read_upload, data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_any_setup_file_is_read_or_refused_by_name(data: bytes) -> None:
    from biplomacy.reserve.model.wallet_formats import read_setup

    _only_input_errors(read_setup, data)
    _only_input_errors(read_setup, b"BSMS 1.0\n" + data)
    _only_input_errors(read_setup, b'{"wallet_type": "2of3", "x1/": ' + data + b"}")
