"""examples/ holds a valid sample of every input file: each one passes the command its README line names, and a
bad file's error names the sample to compare with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_every_sample_has_a_readme_line_and_every_readme_line_a_sample() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    files = {p.name for p in EXAMPLES.iterdir() if p.name != "README.md"}
    assert listed == files


def test_each_sample_passes_its_command(cli: Cli, tmp_path: Path) -> None:
    def ok(*args: str) -> dict:
        r = cli(*args, "--json")
        assert r.exit_code == 0, (args, r.stderr)
        return r.json

    e = str(EXAMPLES)
    assert ok("supervise", "licence", "apply", f"{e}/licence-application.json")["state"] == "submitted"
    assert ok("supervise", "returns", "validate", f"{e}/supervisory-return.json")["valid"] is True
    built = ok("supervise", "solvency", "build", "--liabilities", f"{e}/liabilities.csv", "--out", str(tmp_path / "s"))
    assert built["users"] == 3
    assert ok("supervise", "solvency", "reserves", "--root", str(tmp_path / "s" / "root.json"),
              "--reserves", f"{e}/reserves.csv")["solvent"] is True
    assert "compliant" in ok("supervise", "stablecoin", "check", f"{e}/stablecoin-attestation.json")
    travel = ok("supervise", "travel-rule", "validate", f"{e}/travel-rule-envelope.json")
    assert travel["valid"] is True and travel["above_threshold"] is True
    scan = ok("supervise", "aml", "scan", "--transactions", f"{e}/transactions.csv")
    assert any(set(a["transactions"]) >= {"t1", "t2", "t3"} for a in scan["alerts"])
    assert ok("reserve", "prices", "import", f"{e}/btc-prices.csv")["imported"] == 4
    descriptor = (EXAMPLES / "rehearsal-wallet-descriptor.txt").read_text(encoding="utf-8").strip()
    assert ok("reserve", "wallet", "add", "rehearsal", "--descriptor", descriptor)["threshold"] == 3


@pytest.mark.parametrize(("args", "sample"), [
    (("supervise", "licence", "apply"), "licence-application.json"),
    (("supervise", "solvency", "build", "--out", "o", "--liabilities"), "liabilities.csv"),
    (("supervise", "aml", "scan", "--transactions"), "transactions.csv"),
    (("reserve", "prices", "import"), "btc-prices.csv"),
])
def test_a_bad_file_is_refused_naming_the_sample_to_compare_with(cli: Cli, tmp_path: Path, args: tuple[str, ...],
                                                                 sample: str) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(json.dumps({"not": "this"}) + "\n", encoding="utf-8")
    r = cli(*args, str(bad), "--json")
    assert r.exit_code == 2 and f"examples/{sample}" in r.stderr and (EXAMPLES / sample).is_file()
