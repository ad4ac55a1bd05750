"""Stored scans and the case workflow: alerts kept with evidence, moves checked, STRs filed, all audited."""

from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from biplomacy.aml.tables import AmlCaseEventRow, AmlCaseRow, AmlStrRow
from biplomacy.house.tables import AuditRow, UserRow
from tests.aml.test_aml_rules import write_csv

HEADER = ["tx_id", "timestamp", "from_account", "to_account", "amount", "asset", "vasp"]
CYCLE = [["t1", "2025-03-01T01:00:00+00:00", "k1", "k2", "9000", "USD", "ExA"],
         ["t2", "2025-03-01T05:00:00+00:00", "k2", "k3", "8900", "USD", "ExB"],
         ["t3", "2025-03-01T09:00:00+00:00", "k3", "k1", "8800", "USD", "ExC"]]


def engine(db_url):
    return create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))


def counts(db_url):
    e = engine(db_url)
    with Session(e) as s:
        got = tuple(s.scalar(select(func.count()).select_from(t)) for t in (AmlCaseEventRow, AmlStrRow, AuditRow))
        states = sorted(s.scalars(select(AmlCaseRow.state)).all())
    e.dispose()
    return got, states


def stored_scan(cli, tmp_path):
    f = tmp_path / "tx.csv"
    write_csv(f, HEADER, CYCLE)
    r = cli("supervise", "aml", "scan", "--transactions", str(f), "--store", "--json")
    assert r.exit_code == 0, r.stderr
    return r.json


def cross_vasp_case(cli, tmp_path):
    d = stored_scan(cli, tmp_path)
    return next(a["case_id"] for a in d["alerts"] if a["rule"] == "cross_vasp_cycle"), d


def test_stored_scan_keeps_alerts_with_evidence_and_opens_cases(cli, tmp_path, db_url):
    case_id, d = cross_vasp_case(cli, tmp_path)
    assert d["scan_id"] >= 1
    listed = cli("supervise", "aml", "cases", "--json").json
    assert len(listed) == len(d["alerts"]) and all(c["state"] == "open" for c in listed)
    shown = cli("supervise", "aml", "case", str(case_id), "--json").json
    assert shown["evidence"]["vasps"] == ["ExA", "ExB", "ExC"] and shown["transactions"] == ["t1", "t2", "t3"]
    assert counts(db_url)[0][2] >= 1  # the scan is audited


def test_assign_escalate_close_files_an_str_with_the_evidence(cli, tmp_path, db_url):
    case_id, _ = cross_vasp_case(cli, tmp_path)
    assert cli("supervise", "aml", "case", str(case_id), "--assign", "amina", "--json").json["assignee"] == "amina"
    esc = cli("supervise", "aml", "case", str(case_id), "--escalate", "--reason", "round trip via 3 VASPs", "--json")
    assert esc.exit_code == 0, esc.stderr
    assert esc.json["state"] == "escalated"
    assert esc.json["str"]["evidence"]["evidence"]["path"] == ["k1->k2", "k2->k3", "k3->k1"]
    closed = cli("supervise", "aml", "case", str(case_id), "--close", "--reason", "STR sent to FMU", "--json").json
    assert [h["to"] for h in closed["history"]] == ["open", "assigned", "escalated", "closed"]


def test_a_wrong_transition_is_exit_2_and_changes_nothing(cli, tmp_path, db_url):
    case_id, _ = cross_vasp_case(cli, tmp_path)
    cli("supervise", "aml", "case", str(case_id), "--close", "--reason", "false positive: same owner")
    before = counts(db_url)
    r = cli("supervise", "aml", "case", str(case_id), "--escalate", "--reason", "late")
    assert r.exit_code == 2 and "closed cannot become escalated" in r.stderr
    r = cli("supervise", "aml", "case", str(case_id), "--assign", "x", "--close")
    assert r.exit_code == 2 and "exactly one" in r.stderr
    assert counts(db_url) == before


def test_closing_needs_a_reason_and_unknown_case_is_named(cli, tmp_path, db_url):
    case_id, _ = cross_vasp_case(cli, tmp_path)
    before = counts(db_url)
    r = cli("supervise", "aml", "case", str(case_id), "--close")
    assert r.exit_code == 2 and "--reason" in r.stderr
    r = cli("supervise", "aml", "case", "99999", "--json")
    assert r.exit_code == 2 and "99999" in r.stderr
    assert counts(db_url) == before


def test_an_analyst_may_not_move_cases(cli, tmp_path, db_url):
    case_id, _ = cross_vasp_case(cli, tmp_path)
    e = engine(db_url)
    with Session(e) as s, s.begin():
        s.add(UserRow(name="ana", role="analyst", institution="", password_hash="", active=True,
                      created_at=datetime.now(UTC)))
    e.dispose()
    before = counts(db_url)
    r = cli("--as", "ana", "supervise", "aml", "case", str(case_id), "--assign", "ana")
    assert r.exit_code == 2
    assert counts(db_url) == before


def test_a_bad_file_with_store_keeps_nothing(cli, tmp_path, db_url):
    f = tmp_path / "bad.csv"
    write_csv(f, HEADER, [["t1", "yesterday", "a", "b", "1", "USD", "A"]])
    before = counts(db_url)
    r = cli("supervise", "aml", "scan", "--transactions", str(f), "--store")
    assert r.exit_code == 2 and "timestamp" in r.stderr
    assert counts(db_url) == before and cli("supervise", "aml", "cases", "--json").json == []


def test_a_case_shows_its_transfers_and_its_str_exports_as_csv(cli, tmp_path, db_url):
    import csv
    import io

    case_id, _ = cross_vasp_case(cli, tmp_path)
    transfers = cli("supervise", "aml", "case-transfers", str(case_id), "--json").json
    assert [t["tx_id"] for t in transfers["transfers"]] == ["t1", "t2", "t3"] and transfers["missing"] == []
    assert transfers["transfers"][0]["amount"] == 9000.0 and transfers["transfers"][0]["vasp"] == "ExA"
    early = cli("supervise", "aml", "str-export", str(case_id))
    assert early.exit_code == 2 and "escalate it first" in early.stderr
    cli("supervise", "aml", "case", str(case_id), "--escalate", "--reason", "round trip via 3 VASPs")
    printed = cli("supervise", "aml", "str-export", str(case_id))
    assert printed.exit_code == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert [r["tx_id"] for r in rows] == ["t1", "t2", "t3"] and rows[0]["vasp"] == "ExA"
    assert rows[0]["timestamp"].startswith("2025-03-01T01:00:00") and rows[0]["reason"] == "round trip via 3 VASPs"
    (tmp_path / "tx.csv").unlink()  # the scan's file is gone: the STR keeps the ids
    gone = cli("supervise", "aml", "str-export", str(case_id), "--out", str(tmp_path / "str.csv"))
    assert gone.exit_code == 0 and "t1,,,,,," in (tmp_path / "str.csv").read_text()
