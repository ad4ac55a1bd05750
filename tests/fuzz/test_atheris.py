"""Each atheris target (atheris_parsers.py) runs briefly from real seeds: zero crashes. Skipped where atheris
does not install (it builds for Linux and CPython up to 3.12); a longer run is by hand (see that module)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

import biplomacy
from biplomacy.house.audit_checkpoints import Checkpoint
from tests.reserve.custody.conftest import make_signer, multisig

pytest.importorskip("atheris")

ROOT = Path(__file__).resolve().parents[2]
RUNS = 1500  # per target: a few seconds each; enough for the instrumented parsers' common branches


def seeds(target: str) -> list[bytes]:
    """Valid inputs of each kind, which libFuzzer mutates from."""
    attestation = (Path(biplomacy.__file__).parent / "data" / "aml" / "stablecoin-attestation-example.json").read_bytes()
    ivms = {"originator": {"originatorPersons": [{"naturalPerson": {"name": {"nameIdentifier": [
        {"primaryIdentifier": "Khan", "secondaryIdentifier": "Ayesha", "nameIdentifierType": "LEGL"}]}}}],
        "accountNumber": ["acct-1"]}, "beneficiary": {"beneficiaryPersons": [{"naturalPerson": {"name": {
            "nameIdentifier": [{"primaryIdentifier": "Ali", "nameIdentifierType": "LEGL"}]}}}],
        "accountNumber": ["acct-2"]}}
    return {
        "psbt": [b"psbt\xff\x01\x00", base64.b64encode(b"psbt\xff\x01\x00"), b"0200000001" + b"00" * 40],
        "descriptor": [multisig(2, [make_signer(x) for x in "pqr"]).encode()],
        "stablecoin": [attestation],
        "return": [b'{"schema_version": "1", "licence": "PVARA-2026-0001", "period": "2026-Q1", '
                   b'"reporting_date": "2026-04-15", "client_assets": []}'],
        "ivms101": [json.dumps(ivms).encode(), json.dumps({"ivms101": ivms, "transfer": {"amount": "1500"}}).encode()],
        "checkpoint": [json.dumps(Checkpoint(3, "ab" * 32, "2026-12-06T00:00:00+00:00", "cd" * 32, "ef" * 64)
                                  .as_dict()).encode()],
        "toml": [b'host = "127.0.0.1"\nport = 8000\nsecret_key = "x"\n'],
        "csv": [b"tx_id,timestamp,from_account,to_account,amount,asset,vasp\n"
                b"t1,2026-01-01T00:00:00Z,a,b,10.5,USD,V\n"],
        "parquet": [b"PAR1"],
    }[target]


TARGETS = ["psbt", "descriptor", "stablecoin", "return", "ivms101", "checkpoint", "toml", "csv", "parquet"]


@pytest.mark.parametrize("target", TARGETS)
def test_coverage_guided_fuzzing_finds_no_crash(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(seeds(target)):
        (corpus / f"seed{i}").write_bytes(seed)
    run = subprocess.run([sys.executable, "-m", "tests.fuzz.atheris_parsers", target, f"-runs={RUNS}",
                          "-max_total_time=60", "-rss_limit_mb=1024", str(corpus)],
                         cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and "Done" in run.stderr, f"{target}: {run.stderr[-3000:]}"
    assert not list(tmp_path.glob("crash-*"))
