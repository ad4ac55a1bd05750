"""The audit log proves its length: a log cut short, emptied, or rewritten with every later hash recomputed
still chains, so `audit verify` checks it against a head published earlier (or a signed checkpoint)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from biplomacy.core.errors import InputError, PermissionDenied
from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.house import audit, audit_checkpoints
from biplomacy.house.tables import AuditRow
from tests.conftest import Cli


def _write(store, n: int = 5) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        with store.transaction() as s:
            audit.record(s, actor="alice", action="test.write", subject=f"thing/{i}", payload={"i": i})


def _head(store) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        h = audit.head(s)
    assert h is not None
    return h.seq, h.hash


def _rewrite_from(store, seq: int) -> None:  # type: ignore[no-untyped-def]
    """What an insider with database access does: change entry `seq` and recompute every later hash."""
    with store.transaction() as s:
        rows = list(s.execute(select(AuditRow).where(AuditRow.seq >= seq).order_by(AuditRow.seq)).scalars())
        prev = s.execute(select(AuditRow.hash).where(AuditRow.seq == seq - 1)).scalar() or audit.GENESIS
        for row in rows:
            if row.seq == seq:
                row.payload = '{"i":"rewritten"}'
                row.payload_hash = audit.sha256_hex(row.payload)
            row.prev_hash = prev
            row.hash = audit.entry_hash(row.seq, audit._iso(row.at), row.actor, row.action, row.subject,
                                        row.payload_hash, prev)
            prev = row.hash


def test_finding_a_truncated_log_passes_the_chain_check_alone_but_not_the_published_head(store) -> None:
    _write(store)
    count, head = _head(store)
    with store.transaction() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq > 3))
    with store.read() as s:
        assert audit.verify(audit.entries(s)).ok  # the finding: the chain alone cannot see it
        result = audit.verify_published(audit.entries(s), head, count)
    assert not result.ok and "3 entries, fewer than the 5 published" in (result.reason or "")
    with store.read() as s:
        by_head = audit.verify_published(audit.entries(s), head)
    assert not by_head.ok and "no entry has the published head" in (by_head.reason or "")


def test_finding_an_emptied_log_fails_against_its_published_count(store) -> None:
    _write(store, 2)
    count, head = _head(store)
    with store.transaction() as s:
        s.execute(delete(AuditRow))
    with store.read() as s:
        assert audit.verify(audit.entries(s)).ok
        result = audit.verify_published(audit.entries(s), head, count)
    assert not result.ok and "0 entries" in (result.reason or "")


def test_finding_a_rewritten_log_with_recomputed_hashes_fails_against_the_published_head(store) -> None:
    _write(store)
    count, head = _head(store)
    _rewrite_from(store, 2)
    with store.read() as s:
        assert audit.verify(audit.entries(s)).ok
        result = audit.verify_published(audit.entries(s), head, count)
    assert not result.ok and "rewritten" in (result.reason or "")


def test_a_log_that_only_grew_since_the_published_head_passes(store) -> None:
    _write(store, 3)
    count, head = _head(store)
    _write(store, 2)
    with store.read() as s:
        result = audit.verify_published(audit.entries(s), head, count)
    assert result.ok and result.chain.count == 5


def test_cli_verify_exits_1_naming_the_problem_against_a_published_head(cli: Cli) -> None:
    cli("users", "add", "amina", "--role", "analyst")
    cli("users", "add", "sana", "--role", "analyst")
    published = cli("audit", "head", "--json").json
    ok = cli("audit", "verify", "--expect-head", published["hash"], "--expect-count", str(published["seq"]), "--json")
    assert ok.exit_code == 0 and ok.json["valid"] is True and ok.json["expected"]["count"] == 2
    wrong = cli("audit", "verify", "--expect-head", "ab" * 32, "--expect-count", "2", "--json")
    assert wrong.exit_code == 1 and wrong.json["valid"] is False and "rewritten" in wrong.json["reason"]
    longer = cli("audit", "verify", "--expect-head", published["hash"], "--expect-count", "9", "--json")
    assert longer.exit_code == 1 and "fewer than the 9 published" in longer.json["reason"]
    bad = cli("audit", "verify", "--expect-head", "not-a-hash")
    assert bad.exit_code == 2 and "--expect-head" in bad.stderr


def test_a_signed_checkpoint_catches_truncation_without_trusting_the_database(cli: Cli, store, tmp_path: Path) -> None:
    key = cli("audit", "key", "new", "--out", str(tmp_path / "audit.key"), "--json").json
    assert (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600
    _write(store, 3)
    cp = cli("audit", "checkpoint", "--key", str(tmp_path / "audit.key"), "--out", str(tmp_path / "cp.json"),
             "--json")
    assert cp.exit_code == 0 and cp.json["statement"]["seq"] == 3
    _write(store, 1)
    good = cli("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"), "--trust", key["public_key"], "--json")
    assert good.exit_code == 0 and good.json["valid"], good.stdout
    with store.transaction() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq > 2))
    cut = cli("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"), "--trust", key["public_key"], "--json")
    assert cut.exit_code == 1 and "fewer than the 3 published" in cut.json["reason"]


def test_a_forged_or_altered_checkpoint_is_refused(cli: Cli, store, tmp_path: Path) -> None:
    key = cli("audit", "key", "new", "--out", str(tmp_path / "k"), "--json").json["public_key"]
    other = cli("audit", "key", "new", "--out", str(tmp_path / "other"), "--json").json["public_key"]
    _write(store, 2)
    doc = cli("audit", "checkpoint", "--key", str(tmp_path / "k"), "--json").json
    (tmp_path / "cp.json").write_text(json.dumps(doc))
    assert cli("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"), "--trust", other).exit_code == 1
    doc["statement"]["seq"] = 1  # claim a shorter log than was signed
    (tmp_path / "cp.json").write_text(json.dumps(doc))
    altered = cli("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"), "--trust", key, "--json")
    assert altered.exit_code == 1 and "does not verify" in altered.json["reason"]
    assert cli("audit", "verify", "--checkpoint", str(tmp_path / "cp.json")).exit_code == 2  # no --trust


def test_checkpoints_are_published_on_the_portal(app_client) -> None:  # type: ignore[no-untyped-def]
    store = app_client.app.state.store
    key = audit_checkpoints.Ed25519PrivateKey.generate()
    cp = audit_checkpoints.sign(store, LOCAL_ADMIN, key)
    listed = app_client.get("/api/v1/audit/checkpoints").json()
    assert listed[0] == cp.as_dict()
    assert audit_checkpoints.check_signature(audit_checkpoints.parse(listed[0], "api"), key.public_key()) is None
    assert cp.head in app_client.get("/").text


def test_only_auditors_and_admins_sign_checkpoints_and_a_key_is_never_overwritten(store, tmp_path: Path) -> None:
    key = audit_checkpoints.Ed25519PrivateKey.generate()
    with pytest.raises(PermissionDenied):
        audit_checkpoints.sign(store, Actor("a", "analyst"), key)
    audit_checkpoints.sign(store, Actor("imf", "auditor"), key)
    audit_checkpoints.new_key(tmp_path / "k")
    with pytest.raises(InputError, match="never overwritten"):
        audit_checkpoints.new_key(tmp_path / "k")
