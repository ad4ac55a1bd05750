"""docs/verify_audit.py, the plain-Python re-verification anyone can run, agrees with the project."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_audit.py"


def test_plain_script_verifies_a_real_export_and_rejects_an_edit(cli, tmp_path):
    for name in ("u1", "u2", "u3"):
        cli("users", "add", name, "--role", "public")
    export = tmp_path / "audit.jsonl"
    cli("audit", "export", "--out", str(export))
    ok = subprocess.run([sys.executable, str(SCRIPT), str(export)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 3 entries")
    lines = export.read_text().splitlines()
    row = json.loads(lines[2])
    row["subject"] = "user/someone-else"
    lines[2] = json.dumps(row)
    export.write_text("\n".join(lines) + "\n")
    bad = subprocess.run([sys.executable, str(SCRIPT), str(export)], capture_output=True, text=True)
    assert bad.returncode != 0 and "entry 3" in bad.stderr
