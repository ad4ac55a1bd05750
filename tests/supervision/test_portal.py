"""Portal pages and API of the register and the returns dashboard, on the fictional demo data."""

from __future__ import annotations

import csv
import io
from datetime import date

from fastapi.testclient import TestClient

from biplomacy.supervision.demo import load_demo_register
from biplomacy.supervision.model.identity import Identity
from biplomacy.supervision.model.licensing import Activity, State
from biplomacy.supervision.results import RegisterEntry


def loaded(client: TestClient) -> TestClient:
    load_demo_register(client.app.state.store)  # type: ignore[attr-defined]
    return client


def test_register_page_searches_and_shows_a_date(app_client: TestClient) -> None:
    c = loaded(app_client)
    page = c.get("/supervision/register", params={"as_of": "2025-09-01"})
    assert page.status_code == 200
    assert "Indus Digital Exchange" in page.text and "Karakoram" not in page.text and "fictional" in page.text
    assert "QuickCoin PK" in page.text and "Crescent Yield Club" not in page.text  # published 2025-09-15
    found = c.get("/supervision/register", params={"q": "ravi", "as_of": "2025-12-01"})
    assert "Ravi Custody" in found.text and "Indus Digital" not in found.text


def test_entity_page_shows_its_history(app_client: TestClient) -> None:
    c = loaded(app_client)
    api = c.get("/api/v1/supervision/register", params={"as_of": "2025-12-01"}).json()
    karakoram = next(e for e in api["entities"] if e["legal_name"].startswith("Karakoram"))
    page = c.get(f"/supervision/register/{karakoram['reference']}", params={"as_of": "2025-12-01"})
    assert page.status_code == 200 and "suspended" in page.text and "client money shortfall" in page.text
    assert c.get("/supervision/register/PVARA-2025-0000").status_code == 404


def test_register_csv_api_has_the_esma_columns(app_client: TestClient) -> None:
    c = loaded(app_client)
    r = c.get("/api/v1/supervision/register.csv", params={"as_of": "2025-12-01"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 5 and rows[0]["ae_competentAuthority"].startswith("Pakistan Virtual Assets")


def test_a_bad_as_of_date_is_a_422_naming_the_field(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/supervision/register", params={"as_of": "2025-13-45"})
    assert r.status_code == 422 and "as_of" in r.text


def test_dashboard_is_for_supervisors_and_charts_the_reserve_ratio(app_client: TestClient) -> None:
    c = loaded(app_client)
    assert c.get("/supervision/dashboard").status_code in {401, 403}
    assert c.get("/supervision").status_code == 200


def test_a_supervisor_sees_returns_and_reserve_ratios_on_the_dashboard(app_client: TestClient) -> None:
    from tests.sessions import sign_in

    c = sign_in(loaded(app_client), "officer", "supervisor")
    page = c.get("/supervision/dashboard")
    assert page.status_code == 200
    assert "IndusX" in page.text and "BTC 1.0448" in page.text and "data-chart-spec" in page.text


def entry(activities: list[str], status: str) -> RegisterEntry:
    """A register entry with these activities and status; the chart reads nothing else."""
    day = date(2025, 12, 1)
    return RegisterEntry("PVARA-2025-0001", Identity("X Ltd", "X", None, "Lahore", "PK", ""),
                         tuple(Activity(a) for a in activities), State(status), day, None, (), day, None, None, False,
                         (), ())


def test_the_register_page_charts_entities_by_activity_and_status(app_client: TestClient) -> None:
    from biplomacy.supervision.register import register_chart

    spec = register_chart([entry(["exchange", "custody"], "approved"), entry(["custody"], "approved_with_conditions"),
                           entry(["custody"], "approved")])
    assert spec is not None
    assert spec["data"]["values"] == [
        {"activity": "custody", "status": "approved", "entities": 2},
        {"activity": "custody", "status": "approved with conditions", "entities": 1},
        {"activity": "exchange", "status": "approved", "entities": 1}]
    assert spec["encoding"]["x"]["axis"]["values"] == [0, 1, 2, 3]
    assert register_chart([]) is None
    c = loaded(app_client)
    page = c.get("/supervision/register", params={"as_of": "2025-12-01"})
    assert 'data-chart-spec="register-activities"' in page.text and "vega-lite.min.js" in page.text
    empty = c.get("/supervision/register", params={"as_of": "2020-01-01"})
    assert "register-activities" not in empty.text and "vega-lite.min.js" not in empty.text
