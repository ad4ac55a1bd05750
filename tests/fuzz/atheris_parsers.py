"""Coverage-guided fuzzing of the parsers with atheris (libFuzzer for Python), where it installs (#20).

Hypothesis (test_parsers_fuzz.py) draws inputs from strategies; atheris mutates bytes towards new branches of
the instrumented parser, so it reaches inputs no strategy describes. One target per parser a user's file or
body reaches; each answers a result or an InputError, and anything else is a crash that libFuzzer keeps as
crash-<sha1> in the working folder (copy it into test_parsers_fuzz.py as an @example).

    python -m tests.fuzz.atheris_parsers psbt -runs=200000 SEED_FOLDER     # a longer run by hand
    python -m tests.fuzz.atheris_parsers --list

tests/fuzz/test_atheris.py runs every target briefly in the suite.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["biplomacy"]):
    from biplomacy.aml.model.ivms101 import validate_identity_payload
    from biplomacy.aml.model.transactions import from_columns
    from biplomacy.aml.model.travel_rule import check_transfer
    from biplomacy.aml.scan import read_columns
    from biplomacy.aml.travel_rule import default_rule
    from biplomacy.core.config import load_settings
    from biplomacy.core.errors import InputError
    from biplomacy.house import audit_checkpoints
    from biplomacy.reserve.model.descriptors import parse_descriptor
    from biplomacy.reserve.model.signed_forms import read_upload
    from biplomacy.supervision.model.returns import return_issues
    from biplomacy.supervision.model.stablecoin import parse_attestation

_FOLDER = Path(tempfile.mkdtemp(prefix="bpl-atheris-"))


def _json(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # what the edges answer before a parser sees it (not JSON: 4xx)
        raise InputError("not JSON") from None


def _file(name: str, data: bytes) -> Path:
    path = _FOLDER / name
    path.write_bytes(data)
    return path


def _ivms101(data: bytes) -> None:
    doc = _json(data)
    assert isinstance(validate_identity_payload(doc), list)
    check_transfer(doc, default_rule())


def _transactions(suffix: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        path = _file("transactions" + suffix, data)
        from_columns(read_columns(path), str(path))
    return run


TARGETS: dict[str, Callable[[bytes], object]] = {
    "psbt": read_upload,  # a PSBT in any encoding, finalised or not, or a finished transaction
    "descriptor": lambda data: parse_descriptor(data.decode("utf-8", "replace"), "regtest"),
    "stablecoin": lambda data: parse_attestation(_json(data), "fuzz"),
    "return": lambda data: return_issues(_json(data)),
    "ivms101": _ivms101,
    "checkpoint": lambda data: audit_checkpoints.parse(_json(data), "fuzz"),
    "toml": lambda data: load_settings({}, _file("biplomacy.toml", data)),
    "csv": _transactions(".csv"),
    "parquet": _transactions(".parquet"),
}


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        print("targets: " + ", ".join(TARGETS), file=sys.stderr)
        raise SystemExit(0 if "--list" in argv else 2)
    target = TARGETS[argv[1]]

    def one(data: bytes) -> None:
        try:
            target(data)
        except InputError:
            pass

    atheris.Setup([argv[0], *argv[2:]], one)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
