"""Taproot multisig wallets: tr(H, sortedmulti_a(M, ...)) and tr(H, multi_a(M, ...)) with BIP-341's NUMS point H.

They import with the same checks as wsh wallets, derive the addresses embit derives, sync on the rehearsal
chain. Spending: test_taproot_spend.py; reserve statements: test_taproot_statement.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from embit import bip32
from embit.networks import NETWORKS
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.reserve.model.descriptors import NUMS_H, parse_descriptor
from tests.reserve.custody.conftest import Signer, make_signer
from tests.reserve.custody.test_bad_input import refused
from tests.reserve.custody.test_ceremony import ok, snapshot

SIGNERS = [make_signer(x) for x in ("tap-mof", "tap-sbp", "tap-pcc")]


def taproot(threshold: int, keys: list[Signer], kind: str = "sortedmulti_a", internal: str = NUMS_H) -> str:
    return f"tr({internal},{kind}({threshold},{','.join(k.key_expression for k in keys)}))"


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans(), st.sampled_from(["sortedmulti_a", "multi_a"]))
def test_taproot_addresses_match_embit(index: int, change: bool, kind: str) -> None:
    wallet = parse_descriptor(taproot(2, SIGNERS, kind), "regtest")
    address = wallet.address(index, change)
    assert address.startswith("bcrt1p")
    assert address == wallet.address_embit(index, change)


def test_sortedmulti_a_sorts_x_only_keys_and_multi_a_keeps_the_given_order() -> None:
    sorted_wallet = parse_descriptor(taproot(2, SIGNERS), "regtest")
    given_order = parse_descriptor(taproot(2, SIGNERS, "multi_a"), "regtest")
    for index in range(6):
        xonly = [k.pubkey[1:] for k in sorted_wallet.keys_at(index)]
        assert xonly == sorted(xonly)
        assert [k.fingerprint for k in given_order.keys_at(index)] == [s.fingerprint for s in SIGNERS]
    reordered = parse_descriptor(taproot(2, SIGNERS[::-1]), "regtest")
    assert [reordered.address(i) for i in range(4)] == [sorted_wallet.address(i) for i in range(4)]
    assert parse_descriptor(taproot(2, SIGNERS[::-1], "multi_a"), "regtest").address(0) != given_order.address(0)
    assert sorted_wallet.text.endswith("#" + sorted_wallet.text.split("#")[1]) and len(sorted_wallet.text) > 9
    assert parse_descriptor(sorted_wallet.text, "regtest").address(3) == sorted_wallet.address(3)


def bad_taproot() -> dict[str, tuple[str, str]]:
    good = taproot(2, SIGNERS)
    mainnet = [make_signer(f"tap-main-{i}", "main") for i in range(2)]
    main_keys = ",".join(f"[{s.fingerprint}/48h/0h/0h/2h]"
                         f"{s.root.derive('m/48h/0h/0h/2h').to_public().to_string(version=NETWORKS['main']['xpub'])}"
                         "/<0;1>/*" for s in mainnet)
    return {
        "internal key not NUMS": (taproot(2, SIGNERS, internal=bip32.HDKey.from_string(SIGNERS[0].xpub).key.xonly()
                                          .hex()), "unspendable point H"),
        "threshold above signers": (taproot(4, SIGNERS), "between 1 and N"),
        "duplicate fingerprint": (good.replace(SIGNERS[1].fingerprint, SIGNERS[0].fingerprint), "more than once"),
        "bad checksum": (good + "#qqqqqqqq", "checksum"),
        "wrong network": (f"tr({NUMS_H},sortedmulti_a(2,{main_keys}))", "another network"),
        "no origin": (good.replace(f"[{SIGNERS[0].fingerprint}/48h/1h/0h/2h]", ""), "origin"),
        "not multi_a": (f"tr({NUMS_H},pk({SIGNERS[0].key_expression}))", "expected wsh(sortedmulti"),
    }


@pytest.mark.parametrize("case", sorted(bad_taproot()))
def test_bad_taproot_descriptor_is_refused_and_nothing_is_stored(cli: Any, db_url: str, case: str) -> None:
    text, words = bad_taproot()[case]
    before = snapshot(db_url)
    refused(cli("reserve", "wallet", "add", "w", "--descriptor", text, "--json"), words)
    assert snapshot(db_url) == before


def test_taproot_private_key_is_refused_without_echoing_it(cli: Any, db_url: str) -> None:
    tprv = SIGNERS[0].root.derive("m/48h/1h/0h/2h").to_string(version=NETWORKS["test"]["xprv"])
    before = snapshot(db_url)
    result = cli("reserve", "wallet", "add", "w", "--descriptor", taproot(2, SIGNERS).replace(SIGNERS[0].xpub, tprv))
    refused(result, "private key material")
    assert tprv[:20] not in result.stdout + result.stderr
    assert snapshot(db_url) == before


def test_a_taproot_wallet_syncs_through_esplora_and_electrum_and_has_a_backup_sheet(
        cli: Any, db_url: str, electrum_url: str, tmp_path: Path) -> None:
    added = ok(cli("reserve", "wallet", "add", "tap", "--descriptor", taproot(2, SIGNERS), "--json"))
    assert (added["threshold"], added["signers"]) == (2, [s.fingerprint for s in SIGNERS])
    # reversed, so that its first address is not the sortedmulti_a one (the given order may happen to be sorted)
    ok(cli("reserve", "wallet", "add", "tapm", "--descriptor", taproot(2, SIGNERS[::-1], "multi_a"), "--json"))
    for name, amount in (("tap", "0.8"), ("tapm", "0.3")):
        address = ok(cli("reserve", "address", name, "--json"))["address"]
        assert address.startswith("bcrt1p")
        ok(cli("reserve", "chain", "fund", address, amount, "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "tap", "--json"))["balance_sats"] == 80_000_000
    # multi_a: BDK takes the whole descriptor, so Electrum scans it; sortedmulti_a: BDK cannot, and says so
    assert ok(cli("reserve", "sync", "tapm", "--chain-url", electrum_url, "--json"))["balance_sats"] == 30_000_000
    before = snapshot(db_url)
    refused(cli("reserve", "sync", "tap", "--chain-url", electrum_url, "--json"), "sortedmulti_a", "Esplora")
    assert snapshot(db_url) == before

    sheet = ok(cli("reserve", "wallet", "backup-sheet", "tap", "--signer", SIGNERS[1].fingerprint, "--out",
                   str(tmp_path / "sheet.txt"), "--json"))
    assert sheet["first_address"] == parse_descriptor(taproot(2, SIGNERS), "regtest").address(0)
    assert "sortedmulti_a" in (tmp_path / "sheet.txt").read_text(encoding="utf-8")
