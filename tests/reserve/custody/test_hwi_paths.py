"""HWI (bitcoin-core/HWI, PyPI `hwi`) is the path to a signer's hardware wallet: `hwi displayaddress --desc` and
`hwi register --desc` take the wallet's descriptor, `hwi signtx` the proposal's PSBT. Its emulators (Trezor's,
Ledger's Bitcoin app under speculos, Coldcard's simulator) are built from their firmware sources, not installed
from a package registry, so no device signs here (docs/reserve-custody.md has the device steps). What is checked
is what HWI hands the device: HWI's own descriptor code derives the exported wallet's addresses exactly as we do,
and HWI's own PSBT code reads the proposal with every field a device needs and writes it back unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from embit.networks import NETWORKS
from embit.script import Script
from hwilib.descriptor import parse_descriptor
from hwilib.psbt import PSBT as HwiPSBT

from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok


def test_hwi_derives_the_exported_wallet_s_addresses_as_the_reserve_does(
        cli: Any, tmp_path: Path, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    ours = [ok(cli("reserve", "address", "treasury", "--json"))["address"] for _ in range(3)]
    out = tmp_path / "treasury.json"
    ok(cli("reserve", "wallet", "export", "treasury", "--format", "sparrow", "--out", str(out), "--json"))
    hwi = parse_descriptor(json.loads(out.read_text())["descriptor"])  # the receive descriptor, with checksum
    theirs = [Script(hwi.expand(i).output_script).address(NETWORKS["regtest"]) for i in range(3)]
    assert theirs == ours


def test_hwi_reads_the_proposal_psbt_with_what_a_device_needs_and_writes_it_back_unchanged(
        cli: Any, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "x",
                      "--json"))
    psbt = HwiPSBT()
    psbt.deserialize(proposal["psbt"])
    assert psbt.serialize() == proposal["psbt"]
    for scope in psbt.inputs:
        assert scope.witness_utxo is not None and scope.non_witness_utxo is not None and scope.witness_script
        fingerprints = {origin.fingerprint.hex() for origin in scope.hd_keypaths.values()}
        assert fingerprints == {s.fingerprint for s in signers}
    change = [o for o in psbt.outputs if o.hd_keypaths]
    assert len(change) == 1 and change[0].witness_script  # a device shows the change as the wallet's own
