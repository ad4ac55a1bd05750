"""The audit log's hash chain: intact after writes, and any edit, deletion or reordering is named."""

from sqlalchemy import delete, update

from biplomacy.house import audit
from biplomacy.house.tables import AuditRow


def _write(store, n=3):
    for i in range(n):
        with store.transaction() as s:
            audit.record(s, actor="alice", action="test.write", subject=f"thing/{i}", payload={"i": i, "amt": "1.5"})


def test_chain_of_committed_entries_verifies(store):
    _write(store)
    with store.read() as s:
        result = audit.verify(audit.entries(s))
        assert result.ok and result.count == 3
        assert result.head_hash == audit.head(s).hash


def test_entry_rolled_back_with_its_change_leaves_no_trace(store):
    _write(store, 1)
    try:
        with store.transaction() as s:
            audit.record(s, actor="bob", action="test.fail", subject="x", payload={})
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    with store.read() as s:
        assert [e.action for e in audit.entries(s)] == ["test.write"]


def test_edited_payload_is_named(store):
    _write(store)
    with store.transaction() as s:
        s.execute(update(AuditRow).where(AuditRow.seq == 2).values(payload='{"i":99}'))
    with store.read() as s:
        result = audit.verify(audit.entries(s))
    assert not result.ok and result.first_bad_seq == 2


def test_deleted_entry_is_named(store):
    _write(store)
    with store.transaction() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq == 2))
    with store.read() as s:
        result = audit.verify(audit.entries(s))
    assert not result.ok and result.first_bad_seq == 2 and "deleted" in result.reason


def test_reordered_export_is_named(store):
    _write(store)
    import json

    with store.read() as s:
        lines = [json.loads(x) for x in audit.export_lines(s)]
    lines[1], lines[2] = lines[2], lines[1]
    result = audit.verify(lines)
    assert not result.ok and result.first_bad_seq == 3
