"""AML portal: stored alerts and case evidence for supervisors; streaming scoring with the batch rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from biplomacy.aml.cases import store_scan
from biplomacy.core.permissions import Actor
from tests.aml.test_aml_cases import CYCLE, HEADER
from tests.aml.test_aml_rules import write_csv
from tests.sessions import sign_in

T0 = datetime(2025, 9, 1, tzinfo=UTC)
SCORE = "/api/v1/supervision/aml/score"


def as_supervisor(c: TestClient) -> TestClient:
    return sign_in(c, "officer", "supervisor")  # type: ignore[no-any-return]


def tx(i: int, src: str, dst: str, amount: float, hours: float, vasp: str = "ExA") -> dict[str, object]:
    return {"tx_id": f"s{i}", "timestamp": (T0 + timedelta(hours=hours)).isoformat(), "from_account": src,
            "to_account": dst, "amount": str(amount), "asset": "USD", "vasp": vasp}


def test_aml_pages_are_for_supervisors(app_client: TestClient) -> None:
    assert app_client.get("/supervision/aml").status_code in {401, 403}
    assert app_client.post(SCORE, json=tx(1, "a", "b", 10, 0)).status_code in {401, 403}


def test_stored_alerts_and_a_case_with_its_evidence_path(app_client: TestClient, tmp_path) -> None:
    c = as_supervisor(app_client)
    f = tmp_path / "tx.csv"
    write_csv(f, HEADER, CYCLE)
    stored = store_scan(c.app.state.store, Actor("officer", "supervisor"), f)  # type: ignore[attr-defined]
    case_id = next(a.case_id for a in stored.alerts if a.alert.rule == "cross_vasp_cycle")
    page = c.get("/supervision/aml")
    assert page.status_code == 200 and "cross_vasp_cycle" in page.text and f"/supervision/aml/cases/{case_id}" in page.text
    case = c.get(f"/supervision/aml/cases/{case_id}")
    assert case.status_code == 200
    assert "k1-&gt;k2" in case.text and "k3-&gt;k1" in case.text and "ExA" in case.text
    assert c.get("/supervision/aml/cases/99999").status_code == 404


def test_streaming_raises_fan_out_when_the_eighth_counterparty_arrives(app_client: TestClient) -> None:
    c = as_supervisor(app_client)
    results = [c.post(SCORE, json=tx(i, "hub", f"r{i}", 100, i * 0.5)) for i in range(8)]
    assert all(r.status_code == 200 for r in results), results[-1].text
    assert not any(a["rule"] == "fan_out" for r in results[:7] for a in r.json()["alerts"])
    last = results[-1].json()
    assert any(a["rule"] == "fan_out" for a in last["alerts"]) and last["score"] > 0


def test_streaming_sees_a_cycle_across_vasps(app_client: TestClient) -> None:
    c = as_supervisor(app_client)
    legs = [tx(1, "k1", "k2", 9000, 1, "ExA"), tx(2, "k2", "k3", 8900, 5, "ExB"), tx(3, "k3", "k1", 8800, 9, "ExC")]
    out = [c.post(SCORE, json=b).json() for b in legs]
    assert [a["rule"] for a in out[2]["alerts"] if "cycle" in a["rule"]] == ["cross_vasp_cycle"]


def test_a_bad_body_is_422_naming_the_field_and_keeps_the_window(app_client: TestClient) -> None:
    c = as_supervisor(app_client)
    assert c.post(SCORE, json=tx(1, "a", "b", 10, 0)).status_code == 200
    for body, field in [({**tx(2, "a", "b", 10, 1), "amount": "-1"}, "amount"),
                        ({**tx(2, "a", "b", 10, 1), "amount": "1.123456789"}, "amount"),
                        ({**tx(2, "a", "b", 10, 1), "timestamp": "yesterday"}, "timestamp"),
                        ({k: v for k, v in tx(2, "a", "b", 10, 1).items() if k != "to_account"}, "to_account"),
                        ({**tx(2, "a", "b", 10, 1), "timestamp": "2025-09-01T00:00:00"}, "timestamp"),
                        (tx(1, "a", "b", 10, 0), "tx_id")]:
        r = c.post(SCORE, json=body, headers={"accept": "application/json"})
        assert r.status_code == 422 and field in r.text, (field, r.text)
    ok = c.post(SCORE, json=tx(3, "a", "b", 10, 2)).json()
    assert ok["window"]["scored"] == 2


def test_the_portal_answers_503_while_another_process_holds_the_streaming_state(app_client: TestClient) -> None:
    from biplomacy.aml.stream import StreamScorer

    c = as_supervisor(app_client)
    holder = StreamScorer(c.app.state.settings.var_dir / "aml-stream")  # type: ignore[attr-defined]
    try:
        r = c.post(SCORE, json=tx(1, "a", "b", 10, 0))
        assert r.status_code == 503 and "held by another process" in r.json()["detail"]
    finally:
        holder.close()
    assert c.post(SCORE, json=tx(1, "a", "b", 10, 0)).json()["stored"] is True


def test_cases_are_filtered_sorted_and_paged_and_an_escalated_case_exports_its_str(app_client: TestClient,
                                                                                  tmp_path) -> None:
    import csv
    import io

    from biplomacy.aml.cases import move_case

    c = as_supervisor(app_client)
    f = tmp_path / "tx.csv"
    write_csv(f, HEADER, CYCLE)
    officer = Actor("officer", "supervisor")
    stored = store_scan(c.app.state.store, officer, f)  # type: ignore[attr-defined]
    total = len(stored.alerts)
    answer = c.get("/api/v1/supervision/aml/cases", params={"rule": "cross_vasp_cycle"}).json()
    assert answer["total"] == sum(a.alert.rule == "cross_vasp_cycle" for a in stored.alerts) >= 1
    assert {x["rule"] for x in answer["cases"]} == {"cross_vasp_cycle"}
    first = c.get("/api/v1/supervision/aml/cases", params={"per_page": 25, "sort": "oldest"}).json()
    assert first["total"] == total and [x["id"] for x in first["cases"]] == sorted(x["id"] for x in first["cases"])
    assert c.get("/api/v1/supervision/aml/cases", params={"sort": "sideways"}).status_code == 422
    assert c.get("/api/v1/supervision/aml/cases", params={"per_page": 7}).status_code == 422
    page = c.get("/supervision/aml", params={"state": "open", "rule": "cross_vasp_cycle"}).text
    assert 'id="case-count"' in page and "page 1 of 1" in page

    case_id = next(a.case_id for a in stored.alerts if a.alert.rule == "cross_vasp_cycle")
    shown = c.get(f"/supervision/aml/cases/{case_id}").text
    assert "The transfers of this case, in time order" in shown and "Time (UTC)" in shown and "['" not in shown
    assert c.get(f"/api/v1/supervision/aml/cases/{case_id}/str.csv").status_code == 404  # not escalated yet
    move_case(c.app.state.store, officer, case_id, escalate=True, reason="cycle across three exchanges")  # type: ignore[attr-defined]
    assert 'id="str-export"' in c.get(f"/supervision/aml/cases/{case_id}").text
    report = c.get(f"/api/v1/supervision/aml/cases/{case_id}/str.csv")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(report.text)))
    case = c.get(f"/supervision/aml/cases/{case_id}")
    assert rows and {r["case_id"] for r in rows} == {str(case_id)} and all(r["amount"] and r["timestamp"] for r in rows)
    assert {r["reason"] for r in rows} == {"cycle across three exchanges"} and case.status_code == 200
