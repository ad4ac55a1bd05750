"""Descriptors: BDK and embit derive the same addresses; checksums, networks and private keys are checked."""

from __future__ import annotations

import pytest
from embit.descriptor import Descriptor as EmbitDescriptor
from embit.networks import NETWORKS
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.reserve.model.descriptors import contains_private_key, parse_descriptor
from tests.reserve.custody.conftest import make_signer, multisig

SIGNERS = [make_signer(x) for x in ("mof", "sbp", "pcc", "pvara", "custodian")]
WALLET = parse_descriptor(multisig(3, SIGNERS), "regtest")


@settings(max_examples=25, deadline=None)
@given(index=st.integers(min_value=0, max_value=2**31 - 1), change=st.booleans())
def test_bdk_and_embit_derive_the_same_address(index: int, change: bool) -> None:
    assert WALLET.address(index, change) == WALLET.address_embit(index, change)


def test_embit_descriptor_parser_agrees_on_the_first_addresses() -> None:
    theirs = EmbitDescriptor.from_string(multisig(3, SIGNERS))
    for i in range(5):
        assert WALLET.address(i) == theirs.derive(i, branch_index=0).address(NETWORKS["regtest"])
        assert WALLET.address(i, True) == theirs.derive(i, branch_index=1).address(NETWORKS["regtest"])


def test_import_adds_a_valid_bip380_checksum_and_accepts_it_back() -> None:
    body, _, checksum = WALLET.text.partition("#")
    assert len(checksum) == 8
    assert parse_descriptor(WALLET.text, "regtest").text == WALLET.text


def test_one_altered_character_breaks_the_checksum() -> None:
    body, _, checksum = WALLET.text.partition("#")
    altered = body.replace("sortedmulti(3", "sortedmulti(2") + "#" + checksum
    with pytest.raises(InputError, match="checksum"):
        parse_descriptor(altered, "regtest")


def test_signer_fingerprints_and_threshold_are_read_from_the_descriptor() -> None:
    assert WALLET.threshold == 3
    assert WALLET.fingerprints == [s.fingerprint for s in SIGNERS]


def test_private_material_is_detected_anywhere() -> None:
    tprv = SIGNERS[0].root.to_string(version=NETWORKS["test"]["xprv"])
    wif = SIGNERS[0].root.key.wif(NETWORKS["main"])
    assert contains_private_key(f"wsh(pk({tprv}))")
    assert contains_private_key(f"wpkh({wif})")
    assert not contains_private_key(multisig(3, SIGNERS))


def test_mainnet_program_refuses_test_keys() -> None:
    with pytest.raises(InputError, match="another network"):
        parse_descriptor(multisig(3, SIGNERS), "bitcoin")
