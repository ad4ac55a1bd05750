"""`reserve rehearsal-signer`: a signer without a wallet at hand rehearses: makes a key, signs the proposal's PSBT,
hands it back, and the spend goes out at the third signature. Refused on mainnet, with a mainnet key or PSBT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.reserve.custody.test_ceremony import ok

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_three_demo_signers_sign_a_rehearsal_spend_with_the_helper_and_it_broadcasts(cli: Any, tmp_path: Path) -> None:
    descriptor = (EXAMPLES / "rehearsal-wallet-descriptor.txt").read_text(encoding="utf-8").strip()
    ok(cli("reserve", "wallet", "add", "rehearsal", "--descriptor", descriptor, "--json"))
    address = ok(cli("reserve", "address", "rehearsal", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "2", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "rehearsal", "--json"))
    fresh = ok(cli("reserve", "rehearsal-signer", "new", "--out", str(tmp_path / "mine.key"), "--json"))
    assert fresh["rehearsal"] is True and fresh["key_expression"].startswith(f"[{fresh['fingerprint']}/48h/1h/0h/2h]tpub")
    assert (tmp_path / "mine.key").stat().st_mode & 0o077 == 0  # the owner's alone
    again = cli("reserve", "rehearsal-signer", "new", "--out", str(tmp_path / "mine.key"), "--json")
    assert again.exit_code == 2 and "never overwritten" in again.stderr
    shown = ok(cli("reserve", "rehearsal-signer", "show", "--key", str(tmp_path / "mine.key"), "--json"))
    assert shown["xpub"] == fresh["xpub"]

    proposal = ok(cli("reserve", "spend", "propose", "rehearsal", "--to", address, "--amount", "0.5",
                      "--purpose", "rehearse a move", "--json"))
    psbt = tmp_path / "proposal.psbt"
    psbt.write_text(proposal["psbt"], encoding="utf-8")
    waiting = ok(cli("reserve", "spend", "list", "--wallet", "rehearsal", "--json"))  # what a signer is told waits
    assert [(w["id"], w["purpose"], w["valid_signers"]) for w in waiting] == [(proposal["id"], "rehearse a move", [])]
    stranger = cli("reserve", "rehearsal-signer", "sign", "--key", str(tmp_path / "mine.key"), "--psbt", str(psbt),
                   "--out", str(tmp_path / "x.psbt"), "--json")
    assert stranger.exit_code == 2 and "signs none of the PSBT's inputs" in stranger.stderr
    for who in ("finance-ministry", "central-bank", "regulator"):
        signed = tmp_path / f"{who}.psbt"
        done = ok(cli("reserve", "rehearsal-signer", "sign", "--institution", who, "--psbt", str(psbt),
                      "--out", str(signed), "--json"))
        assert done["inputs_signed"] >= 1
        assert ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", str(signed), "--json"))["accepted"]
    assert ok(cli("reserve", "spend", "status", proposal["id"], "--json"))["ready"] is True
    assert ok(cli("reserve", "spend", "list", "--json"))[0]["ready"] is True
    assert len(ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]) == 64
    assert ok(cli("reserve", "spend", "list", "--json")) == []  # broadcast: nothing waits any more


def test_the_rehearsal_signer_is_refused_on_mainnet_and_with_a_mainnet_key(cli: Any, tmp_path: Path,
                                                                           monkeypatch: Any) -> None:
    from embit import bip32
    from embit.networks import NETWORKS

    main_key = tmp_path / "main.key"
    main_key.write_text(bip32.HDKey.from_seed(b"\x01" * 32, version=NETWORKS["main"]["xprv"]).to_string())
    r = cli("reserve", "rehearsal-signer", "show", "--key", str(main_key), "--json")
    assert r.exit_code == 2 and "mainnet key" in r.stderr
    junk = tmp_path / "junk.key"
    junk.write_text("hello")
    assert cli("reserve", "rehearsal-signer", "show", "--key", str(junk), "--json").exit_code == 2
    monkeypatch.setenv("BIPLOMACY_NETWORK", "bitcoin")
    r = cli("reserve", "rehearsal-signer", "new", "--out", str(tmp_path / "k"), "--json")
    assert r.exit_code == 2 and "rehearsals only" in r.stderr and not (tmp_path / "k").exists()
