"""A vasp user files supervisory returns only for its own entity (exit 2, nothing stored, otherwise)."""

import json

from sqlalchemy import func, select

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.house.tables import AuditRow
from biplomacy.supervision.tables import ReturnRow
from tests.supervision.test_returns_schema import good_return
from tests.vasps import ALPHA, BETA, register_vasps


def _counts(store):
    with store.read() as s:
        return (s.scalar(select(func.count()).select_from(ReturnRow)),
                s.scalar(select(func.count()).select_from(AuditRow)))


def test_a_vasp_files_its_own_return_and_not_another_entitys(cli, store, tmp_path):
    refs = register_vasps(store)
    users.add_user(store, LOCAL_ADMIN, "alpha", "vasp", lei=ALPHA[1])
    f = tmp_path / "r.json"
    f.write_text(json.dumps({**good_return(), "licence": refs[BETA[1]]}))
    before = _counts(store)
    r = cli("--as", "alpha", "supervise", "returns", "file", str(f), "--json")
    assert r.exit_code == 2
    assert f"acts only for its own entity (LEI {ALPHA[1]}); may not file returns of {refs[BETA[1]]}" in r.stderr
    assert _counts(store) == before

    f.write_text(json.dumps({**good_return(), "licence": refs[ALPHA[1]]}))
    r = cli("--as", "alpha", "supervise", "returns", "file", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["licence"] == refs[ALPHA[1]]
    with store.read() as s:
        assert s.scalars(select(ReturnRow.filed_by)).all() == ["alpha"]
