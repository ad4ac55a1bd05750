"""A policy with recovery paths as other wallets see it (issue #14): BDK (rust-miniscript) and embit derive the same
addresses from it, in P2WSH and taproot, on both branches; the setup files a miniscript wallet reads (the
descriptor, BIP-129's record) import back as the same wallet with the same paths; the formats of wallets without
timelocked paths (Electrum, Coldcard, Sparrow/Specter) are refused by name rather than exported as a plain
multisig that would lose the recovery path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from biplomacy.reserve.model.recovery_policy import parse_wallet
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.recovery_fixtures import TIMELOCK, recovery_descriptor
from tests.reserve.custody.test_ceremony import ok


@pytest.mark.parametrize("script", ["wsh", "tr"])
def test_bdk_and_embit_derive_the_same_addresses_from_the_policy(signers: list[Signer], script: str) -> None:
    wallet = parse_wallet(recovery_descriptor(signers, script=script), "regtest")
    assert [p.name for p in wallet.spend_paths] == ["primary", "recovery"]
    for change in (False, True):
        bdk = [wallet.address(i, change) for i in range(6)]  # BDK's derivation of the whole descriptor
        assert bdk == [wallet.address_embit(i, change) for i in range(6)]  # embit's, from its own miniscript
        assert len(set(bdk)) == 6 and all(a.startswith("bcrt1q" if script == "wsh" else "bcrt1p") for a in bdk)
    assert wallet.address(0) != wallet.address(0, True)


@pytest.mark.parametrize("fmt", ["descriptor", "bsms"])
@pytest.mark.parametrize("script", ["wsh", "tr"])
def test_the_miniscript_setup_files_import_back_as_the_same_policy(
        cli: Any, tmp_path: Path, signers: list[Signer], fmt: str, script: str) -> None:
    added = ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", recovery_descriptor(signers, script=script),
                   "--json"))
    first = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    out = tmp_path / f"treasury.{fmt}"
    exported = ok(cli("reserve", "wallet", "export", "treasury", "--format", fmt, "--out", str(out), "--json"))
    assert exported["first_address"] == first
    if fmt == "descriptor":
        assert f"{TIMELOCK} blocks" in out.read_text()  # each path in words, as comments for whoever reads the file
    imported = ok(cli("reserve", "wallet", "import", "copy", "--file", str(out), "--json"))
    assert (imported["descriptor"], imported["first_address"]) == (added["descriptor"], first)
    assert [(p["name"], p["threshold"], p["keys"], p["timelock_blocks"]) for p in imported["paths"]] == [
        (p["name"], p["threshold"], p["keys"], p["timelock_blocks"]) for p in added["paths"]]


@pytest.mark.parametrize("fmt", ["electrum", "coldcard", "sparrow"])
def test_formats_without_timelocked_paths_are_refused_by_name(
        cli: Any, tmp_path: Path, signers: list[Signer], fmt: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", recovery_descriptor(signers), "--json"))
    out = tmp_path / f"treasury.{fmt}"
    refused = cli("reserve", "wallet", "export", "treasury", "--format", fmt, "--out", str(out))
    assert refused.exit_code == 2 and "recovery paths" in refused.stderr and "--format bsms" in refused.stderr
    assert not out.exists()
