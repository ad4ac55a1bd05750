"""Supervision's use cases name the field that is wrong, not a CLI flag; the CLI puts its flag in front."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from biplomacy.core.errors import InputError
from biplomacy.supervision.model.licensing import State, transition_permission
from biplomacy.supervision.solvency import build_solvency
from biplomacy.supervision.stablecoin import check_file
from tests.conftest import Cli

LIABILITIES = "user_id,asset,balance\nalice,BTC,100\n"


def refused(call: Callable[..., object], *args: object, **kw: object) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args, **kw)
    error = caught.value
    assert error.field is not None and not error.field.startswith("-") and not str(error).startswith("-")
    return error


def test_an_out_folder_that_is_a_file_names_the_out_field(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text(LIABILITIES)
    (tmp_path / "taken").write_text("x")
    error = refused(build_solvency, tmp_path / "l.csv", tmp_path / "taken")
    assert error.field == "out" and str(error) == f"{tmp_path / 'taken'} exists and is not a folder"


def test_a_negative_snapshot_height_names_its_field(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text(LIABILITIES)
    assert refused(build_solvency, tmp_path / "l.csv", tmp_path / "out", height=-1).field == "snapshot_height"


def test_conditional_approval_without_conditions_names_the_condition_field() -> None:
    error = refused(transition_permission, State.UNDER_REVIEW, State.APPROVED_WITH_CONDITIONS, "fit", [])
    assert error.field == "condition" and "--" not in str(error)


def test_a_missing_attestation_file_names_the_attestation(tmp_path: Path) -> None:
    assert refused(check_file, tmp_path / "missing.json").field == "attestation"


def test_the_cli_puts_its_own_flags_in_front(cli_nodb: Cli, tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text(LIABILITIES)
    (tmp_path / "taken").write_text("x")
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(tmp_path / "l.csv"), "--out",
                 str(tmp_path / "taken"))
    assert r.exit_code == 2 and f"error: --out: {tmp_path / 'taken'} exists and is not a folder" in r.stderr
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(tmp_path / "l.csv"), "--out",
                 str(tmp_path / "o"), "--snapshot-height", "-3")
    assert r.exit_code == 2 and "error: --snapshot-height: snapshot height -3 is negative" in r.stderr
    assert not (tmp_path / "o").exists()
