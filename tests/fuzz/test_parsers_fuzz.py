"""Property-based fuzzing of the parsers a user's file or body reaches (#20): whatever arrives, the answer is a
result or an InputError naming what was wrong, never another exception (a traceback, an HTTP 500).

PSBTs, descriptors and raw transactions are fuzzed in tests/reserve/custody/test_fuzz.py and BIP-322 in
tests/reserve/proofs; this file covers the rest: AML transaction files (CSV and Parquet), IVMS101 payloads,
stablecoin attestations, supervisory returns, biplomacy.toml, audit exports, audit checkpoints and backup
archives. Each crash found is kept below as an explicit example (@example) so that it stays fixed.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from biplomacy.aml.model.ivms101 import validate_identity_payload
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.model.travel_rule import check_transfer
from biplomacy.aml.scan import read_columns
from biplomacy.aml.travel_rule import default_rule
from biplomacy.core.config import load_settings
from biplomacy.core.errors import InputError
from biplomacy.house import audit, audit_checkpoints, backup_archive
from biplomacy.supervision.model.returns import return_issues
from biplomacy.supervision.model.stablecoin import parse_attestation

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25)


def only_input_errors(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except InputError:
        pass


def _tmp(name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bpl-fuzz-"))
    path = folder / name
    path.write_bytes(data)
    return path


COLUMNS = ["tx_id", "timestamp", "from_account", "to_account", "amount", "asset", "vasp"]
cells = st.one_of(st.text(max_size=12), st.sampled_from(["", "1e400", "-1", "nan", "inf", "9999-12-31T00:00:00Z",
                                                         "2026-01-01T00:00:00+00:00", "1", "0.5", "\x00"]))


@FUZZ
@given(st.lists(st.lists(cells, min_size=7, max_size=7), max_size=6))
@example([["t1", "9999-12-31T00:00:00Z", "a", "b", "1e400", "BTC", "V"]])
def test_an_aml_transactions_csv_is_scanned_or_refused(rows: list[list[str]]) -> None:
    buf = io.StringIO()
    import csv

    csv.writer(buf).writerows([COLUMNS, *rows])
    path = _tmp("t.csv", buf.getvalue().encode("utf-8", "surrogatepass"))
    only_input_errors(lambda: from_columns(read_columns(path), str(path)))


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_as_a_csv_or_parquet_file_are_refused_cleanly(data: bytes) -> None:
    for name in ("t.csv", "t.parquet"):
        path = _tmp(name, data)
        only_input_errors(lambda p=path: from_columns(read_columns(p), str(p)))


@FUZZ
@given(st.lists(st.lists(cells, min_size=7, max_size=7), max_size=5))
def test_an_aml_transactions_parquet_is_scanned_or_refused(rows: list[list[str]]) -> None:
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    path = _tmp("t.parquet", buf.getvalue())
    only_input_errors(lambda: from_columns(read_columns(path), str(path)))


@FUZZ
@given(json_values)
def test_any_json_as_an_ivms101_payload_or_envelope_gets_issues_not_a_crash(doc: Any) -> None:
    assert isinstance(validate_identity_payload(doc), list)
    only_input_errors(lambda: check_transfer(doc, default_rule()))


@FUZZ
@given(json_values, st.sampled_from(["1e308", "1e400", "-0", "NaN", "Infinity", "9" * 60, 1e308, 10**40]))
@example({"issuer": "x", "token": "t", "as_of": "9999-12-31", "currency": "USD",
          "supply": [{"chain": "eth", "outstanding": "1e308"}], "reserves": [{"class": "cash", "amount": "1e308"}]},
         "1e308")
def test_any_json_as_a_stablecoin_attestation_is_parsed_or_refused(doc: Any, amount: object) -> None:
    only_input_errors(lambda: parse_attestation(doc, "fuzz"))
    if isinstance(doc, dict):
        only_input_errors(lambda: parse_attestation({**doc, "reserves": [{"class": "cash", "amount": amount}]}, "f"))


@FUZZ
@given(json_values)
def test_any_json_as_a_supervisory_return_gets_issues_not_a_crash(doc: Any) -> None:
    only_input_errors(lambda: return_issues(doc))


@FUZZ
@given(st.text(max_size=200))
@example('secret_key = 1\n')
@example('trusted_proxies = "999.1.1.1"\n')
@example('port = 99999999999999999999999\n')
def test_any_text_as_biplomacy_toml_is_loaded_or_refused(text: str) -> None:
    path = _tmp("biplomacy.toml", text.encode("utf-8", "surrogatepass"))
    only_input_errors(lambda: load_settings({}, path))


@FUZZ
@given(st.lists(json_values, max_size=5))
@example([None])  # found by this test: a line `null` was a TypeError
@example([{"seq": "x", "at": 1, "actor": "", "action": "", "subject": "", "payload": "{}", "payload_hash": "",
           "prev_hash": "", "hash": ""}])
def test_any_lines_as_an_audit_export_verify_or_are_refused(rows: list[Any]) -> None:
    from biplomacy.house.cli import _read_export

    path = _tmp("audit.jsonl", "\n".join(json.dumps(r) for r in rows).encode())
    try:
        items = _read_export(path)
    except InputError:
        return
    audit.verify_published(items, "0" * 64, len(items))  # whatever passed the reader verifies without a crash


@FUZZ
@given(json_values)
def test_any_json_as_a_checkpoint_is_parsed_or_refused(doc: Any) -> None:
    only_input_errors(lambda: audit_checkpoints.parse(doc, "fuzz"))


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_as_a_backup_are_refused_cleanly(data: bytes) -> None:
    into = Path(tempfile.mkdtemp(prefix="bpl-restore-"))
    only_input_errors(lambda: backup_archive.read(_tmp("b.tar.gz", data), into))
