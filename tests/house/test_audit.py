"""Audit entries: canonical payload hashing, UTC times, and writers racing for the next seq."""

import hashlib
import threading
from datetime import datetime
from decimal import Decimal

import pytest

from biplomacy.house import audit


def test_payload_hash_is_sha256_of_sorted_compact_json_with_decimals_as_strings(store):
    with store.transaction() as s:
        e = audit.record(s, actor="alice", action="reserve.ledger.write", subject="wallet/1",
                         payload={"btc": Decimal("0.10000000"), "a": [1, 2]})
    assert e.payload == '{"a":[1,2],"btc":"0.10000000"}'
    assert e.payload_hash == hashlib.sha256(e.payload.encode()).hexdigest()
    assert e.seq == 1 and e.prev_hash == audit.GENESIS


def test_entry_time_is_utc_iso8601_with_offset(store):
    with store.transaction() as s:
        e = audit.record(s, actor="alice", action="x", subject="y", payload={})
    assert datetime.fromisoformat(e.at).utcoffset().total_seconds() == 0 and e.at.endswith("+00:00")


def test_same_payload_in_any_key_order_hashes_the_same():
    assert audit.canonical_json({"b": 1, "a": {"d": 2, "c": 3}}) == audit.canonical_json({"a": {"c": 3, "d": 2}, "b": 1})


def test_head_is_the_last_entry_and_none_on_an_empty_log(store):
    with store.read() as s:
        assert audit.head(s) is None
    for i in range(3):
        with store.transaction() as s:
            last = audit.record(s, actor="alice", action="x", subject=str(i), payload={})
    with store.read() as s:
        assert audit.head(s) == last and last.seq == 3


def test_writers_racing_for_the_next_seq_each_get_their_own(store):
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(8):
                with store.transaction() as s:
                    audit.record(s, actor=name, action="race", subject=f"{name}/{i}", payload={"i": i})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.read() as s:
        log = list(audit.entries(s))
    assert [e.seq for e in log] == list(range(1, 33))
    assert audit.verify(log).ok


def _tamper(store, how: str) -> None:
    from sqlalchemy import delete, update

    from biplomacy.house.tables import AuditRow

    with store.transaction() as s:
        if how == "edited":
            s.execute(update(AuditRow).where(AuditRow.seq == 2).values(actor="mallory"))
        elif how == "deleted":
            s.execute(delete(AuditRow).where(AuditRow.seq == 2))
        else:  # reordered: entries 2 and 3 swap places (their seq numbers swap, the rest stays)
            s.execute(update(AuditRow).where(AuditRow.seq == 2).values(seq=-2))
            s.execute(update(AuditRow).where(AuditRow.seq == 3).values(seq=2))
            s.execute(update(AuditRow).where(AuditRow.seq == -2).values(seq=3))


@pytest.mark.parametrize("how", ["edited", "deleted", "reordered"])
def test_audit_verify_command_names_the_tampered_entry_and_exits_1(cli, store, how):
    for name in ("a1", "a2", "a3", "a4"):
        assert cli("users", "add", name, "--role", "public").exit_code == 0
    assert cli("audit", "verify", "--json").json["valid"]
    _tamper(store, how)
    r = cli("audit", "verify", "--json")
    assert r.exit_code == 1
    assert r.json["valid"] is False and r.json["first_bad_seq"] == 2, r.json
    human = cli("audit", "verify")
    assert human.exit_code == 1 and "entry 2" in human.stdout + human.stderr


def test_export_into_a_missing_folder_is_exit_2_and_writes_nothing(cli, tmp_path):
    cli("users", "add", "a1", "--role", "public")
    r = cli("audit", "export", "--out", str(tmp_path / "no" / "such" / "audit.jsonl"))
    assert r.exit_code == 2 and "does not exist" in r.stderr
    assert not (tmp_path / "no").exists()
    good = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--out", str(good)).exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("audit")] == ["audit.jsonl"]  # no .partial left
