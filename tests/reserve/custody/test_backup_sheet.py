"""Descriptor backup sheets: one per signer, the signer's own key marked, no private material."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import ok


def test_backup_sheet_marks_the_signer_and_carries_what_rebuilds_the_wallet(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str) -> None:
    wallet = ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    me = signers[1].fingerprint
    for suffix in ("html", "txt"):
        out = tmp_path / f"sheet.{suffix}"
        sheet = ok(cli("reserve", "wallet", "backup-sheet", "treasury", "--signer", me.upper(), "--out", str(out),
                       "--json"))
        text = out.read_text()
        assert wallet["descriptor"].split("#")[1] in text  # the checksum
        assert all(s.fingerprint in text for s in signers)
        assert sheet["first_address"] in text and "3 of 5" in text
        marked = [line for line in text.splitlines() if "THIS SIGNER" in line]
        assert len(marked) == 1 and me in marked[0]
        assert "prv" not in text
    first = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    assert first == sheet["first_address"]


def test_backup_sheet_for_a_stranger_is_refused(cli: Any, tmp_path: Path, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    result = cli("reserve", "wallet", "backup-sheet", "treasury", "--signer", "deadbeef", "--out",
                 str(tmp_path / "x.txt"), "--json")
    assert result.exit_code == 2 and "not a signer" in result.stderr
    assert not (tmp_path / "x.txt").exists()
