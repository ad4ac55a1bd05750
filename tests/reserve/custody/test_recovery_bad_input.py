"""Policies with recovery paths that must be refused (issue #14): a path that can never sign, a timelock outside
BIP-68's range or counted in time, a path with fewer keys than the profile allows, one key in two paths under one
derivation, a taproot key path anyone could spend alone, absolute locks and hashes; every problem named at once,
exit 2, nothing stored. And the backup sheet of a recovery wallet says each path in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.recovery_fixtures import TIMELOCK, key, recovery_descriptor, recovery_signers
from tests.reserve.custody.test_ceremony import ok, snapshot


def _wsh(primary: str, recovery: str, older: str) -> str:
    return f"wsh(or_d(multi({primary}),and_v(v:multi({recovery}),older({older}))))"


def _bad(signers: list[Signer]) -> dict[str, tuple[str, list[str]]]:
    p = ",".join(key(s) for s in signers)
    sbp, ag, court = recovery_signers(signers)
    r = ",".join([key(sbp, "<2;3>"), key(ag), key(court)])
    return {
        "never signs and out of range": (_wsh(f"6,{p}", f"2,{r}", "70000"), [
            "6 of 5 keys can never sign", "outside BIP-68's relative lock of 1 to 65,535 blocks"]),
        "time-based lock": (_wsh(f"3,{p}", f"2,{r}", str((1 << 22) + 10)), ["time-based lock"]),
        "zero timelock": (_wsh(f"3,{p}", f"2,{r}", "0"), ["older(0) is outside BIP-68's relative lock"]),
        "too few keys for the profile": (_wsh(f"3,{p}", f"1,{key(ag)}", str(TIMELOCK)), [
            "1 keys; policy profile pakistan-draft allows no path with fewer than 2 keys"]),
        "one key in two paths": (_wsh(f"3,{p}", f"2,{key(sbp)},{key(ag)}", str(TIMELOCK)), [
            "is in the primary and recovery paths with the same derivation"]),
        "taproot key path": (f"tr({signers[0].xpub},{{multi_a(3,{p}),and_v(v:multi_a(2,{r}),older(5))}})", [
            "BIP-341's unspendable point H"]),
        "absolute lock": (f"wsh(or_d(multi(3,{p}),and_v(v:multi(2,{r}),after(800000))))", [
            "a recovery path must be and_v(v:multi(m,KEY,...),older(BLOCKS))"]),
        "signer twice in a path": (_wsh(f"3,{p}", f"2,{key(ag)},{key(ag, '<2;3>')}", str(TIMELOCK)), [
            f"fingerprint {ag.fingerprint} appears more than once in this path"]),
    }


@pytest.mark.parametrize("case", ["never signs and out of range", "time-based lock", "zero timelock",
                                  "too few keys for the profile", "one key in two paths", "taproot key path",
                                  "absolute lock", "signer twice in a path"])
def test_a_policy_that_cannot_be_a_reserve_is_refused_by_name_and_nothing_is_stored(
        cli: Any, db_url: str, signers: list[Signer], case: str) -> None:
    descriptor, reasons = _bad(signers)[case]
    before = snapshot(db_url)
    result = cli("reserve", "wallet", "add", "treasury", "--descriptor", descriptor, "--json")
    assert result.exit_code == 2, result.stdout
    for reason in reasons:
        assert reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(db_url) == before


def test_the_designer_names_every_problem_of_a_policy_file(cli: Any, tmp_path: Path, signers: list[Signer]) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('script = "p2sh"\n[primary]\nthreshold = "three"\nkeys = []\n[[recovery]]\nthreshold = 2\n'
                    "keys = [1]\n", encoding="utf-8")
    result = cli("reserve", "wallet", "design", "--file", str(path))
    assert result.exit_code == 2
    for field in ("script", "primary.threshold", "primary.keys", "recovery[0].keys", "recovery[0].after_blocks"):
        assert field in result.stderr, result.stderr
    path.write_text("not = [toml", encoding="utf-8")
    broken = cli("reserve", "wallet", "design", "--file", str(path))
    assert broken.exit_code == 2 and "policy.toml" in broken.stderr and "Traceback" not in broken.stderr


@pytest.mark.parametrize("script", ["wsh", "tr"])
def test_the_backup_sheet_says_each_path_in_words(cli: Any, tmp_path: Path, signers: list[Signer],
                                                 script: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", recovery_descriptor(signers, script=script),
           "--json"))
    court = recovery_signers(signers)[2]
    out = tmp_path / "sheet.txt"
    sheet = ok(cli("reserve", "wallet", "backup-sheet", "treasury", "--signer", court.fingerprint, "--out", str(out),
                   "--json"))
    text = out.read_text()
    assert "2 spending paths" in text and ("taproot" in text) == (script == "tr")
    assert "primary: any 3 of these 5 keys" in text and "at any time" in text
    assert "recovery: any 2 of these 3 keys" in text and f"once a coin has been in the wallet for {TIMELOCK} blocks" \
        in text
    marked = [line for line in text.splitlines() if "THIS SIGNER" in line]
    assert len(marked) == 1 and court.fingerprint in marked[0]  # the custodian is in the recovery path only
    assert sheet["first_address"] == ok(cli("reserve", "address", "treasury", "--json"))["address"]
