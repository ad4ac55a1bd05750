"""The portal shell in-process: public pages, errors as pages or JSON, never a 500 for bad input."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from biplomacy.core.permissions import ANONYMOUS, LOCAL_ADMIN, authorize
from biplomacy.core.provenance import PILLARS, load_registry
from biplomacy.house import users

NAV_LINKS = ("/", "/energy", "/reserve", "/supervision", "/peers", "/sources", "/login")


def test_home_page_is_public_and_links_every_pillar(app_client: TestClient) -> None:
    response = app_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for href in NAV_LINKS:
        assert f'href="{href}"' in response.text
    assert "Audit log head" in response.text


def test_pages_fetch_nothing_from_another_host(app_client: TestClient) -> None:
    for path in ("/", "/sources", "/login", "/peers", "/api/docs"):
        html = app_client.get(path).text
        assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert assets, path
        assert all(a.startswith("/static/") for a in assets), (path, assets)


def test_sources_page_lists_every_registered_figure(app_client: TestClient) -> None:
    html = app_client.get("/sources").text
    for fact in load_registry().facts.values():
        assert str(escape(fact.label)) in html


def test_sources_api_filters_by_pillar(app_client: TestClient) -> None:
    every = app_client.get("/api/v1/sources").json()
    assert every["count"] == len(load_registry().facts)
    for pillar in PILLARS:
        body = app_client.get("/api/v1/sources", params={"pillar": pillar}).json()
        assert all(f["pillar"] == pillar for f in body["sources"])
        assert body["count"] == len(load_registry().for_pillar(pillar))


def test_an_unknown_pillar_is_a_422_naming_the_field(app_client: TestClient) -> None:
    api = app_client.get("/api/v1/sources", params={"pillar": "mining"})
    assert api.status_code == 422
    assert api.json()["field"] == "pillar"
    page = app_client.get("/sources", params={"pillar": "mining"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "mining" in page.text and "is not one of" in page.text


def test_missing_things_are_404_pages_or_json(app_client: TestClient) -> None:
    page = app_client.get("/no-such-page")
    assert page.status_code == 404 and "Not found" in page.text
    api = app_client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_anonymous_visitors_are_the_public(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/me").json() == {"name": "anonymous", "role": "public", "signed_in": False}


def test_an_unknown_token_is_refused_not_treated_as_anonymous(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    malformed = app_client.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert malformed.status_code == 401


def test_a_tampered_session_cookie_is_ignored(app_client: TestClient) -> None:
    app_client.cookies.set("biplomacy_session", "eyJuIjoicm9vdCIsInIiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0.forged")
    assert app_client.get("/api/v1/me").json()["role"] == "public"


def test_wrong_password_is_a_401_form_and_no_cookie(app_client: TestClient) -> None:
    response = app_client.post("/login", data={"name": "nobody", "password": "wrong"}, follow_redirects=False)
    assert response.status_code == 401
    assert "do not match" in response.text
    assert "biplomacy_session" not in response.cookies


def test_an_empty_login_form_is_a_422_form(app_client: TestClient) -> None:
    response = app_client.post("/login", data={}, follow_redirects=False)
    assert response.status_code == 422
    assert "Enter your user name and password" in response.text


def test_health_openapi_and_docs(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    spec = app_client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/sources", "/api/v1/me", "/api/v1/audit/head"} <= set(spec["paths"])
    docs = app_client.get("/api/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui-bundle.js" in docs.text


def test_audit_head_is_public(app_client: TestClient) -> None:
    body = app_client.get("/api/v1/audit/head").json()
    assert set(body) == {"hash", "seq"}


def test_a_form_posted_from_another_site_is_refused(app_client: TestClient) -> None:
    response = app_client.post("/logout", headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert response.status_code == 403
    same_site = app_client.post("/logout", headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert same_site.status_code == 303


def test_login_never_redirects_off_the_portal(app_client: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        page = app_client.get("/login", params={"next": target})
        assert 'name="next" value="/"' in page.text, target


def _add_officer(client: TestClient, name: str = "amina", role: str = "analyst") -> str:
    password = "correct horse battery staple"
    users.add_user(client.app.state.store, LOCAL_ADMIN, name, role, password=password)  # type: ignore[attr-defined]
    return password


def test_an_officer_logs_in_and_out_with_the_session_cookie(app_client: TestClient) -> None:
    password = _add_officer(app_client)
    response = app_client.post("/login", data={"name": "amina", "password": password, "next": "/sources"},
                               follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sources"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert app_client.get("/api/v1/me").json() == {"name": "amina", "role": "analyst", "signed_in": True}
    assert "Log out" in app_client.get("/").text

    app_client.post("/logout", follow_redirects=False)
    assert app_client.get("/api/v1/me").json()["signed_in"] is False


def test_a_wrong_password_for_a_real_user_is_refused(app_client: TestClient) -> None:
    _add_officer(app_client)
    response = app_client.post("/login", data={"name": "amina", "password": "not her password"},
                               follow_redirects=False)
    assert response.status_code == 401
    assert app_client.get("/api/v1/me").json()["signed_in"] is False


def test_an_api_token_acts_as_its_user(app_client: TestClient) -> None:
    _add_officer(app_client, "bilal", "supervisor")
    _, token = users.issue_token(app_client.app.state.store, LOCAL_ADMIN, "bilal")  # type: ignore[attr-defined]
    me = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"name": "bilal", "role": "supervisor", "signed_in": True}


def test_a_refused_visitor_gets_a_403_page_offering_login_or_json_under_api(app_client: TestClient) -> None:
    def officers_only() -> None:
        authorize(ANONYMOUS, "licensing.review")

    app: FastAPI = app_client.app  # type: ignore[assignment]
    app.add_api_route("/officers-only", officers_only)
    app.add_api_route("/api/v1/officers-only", officers_only)
    page = app_client.get("/officers-only")
    assert page.status_code == 403
    assert 'href="/login?next=/officers-only"' in page.text
    api = app_client.get("/api/v1/officers-only")
    assert api.status_code == 403 and "may not licensing.review" in api.json()["detail"]


def test_the_landing_page_shows_the_program_at_a_glance_with_rehearsal_kept_apart(app_client, tmp_path):
    """The home page's figures, each linking to its page: rehearsal coins are marked, never the reserve."""
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.energy.plan import adopt_plan, keep_plan, plan_scenario
    from biplomacy.supervision.demo import load_demo_register

    store = app_client.app.state.store
    empty = app_client.get("/")
    assert empty.status_code == 200 and "no plan adopted" in empty.text and "none yet" in empty.text
    from tests.energy.plan.conftest import write_scenario

    small = write_scenario(tmp_path / "small", demand=[700.0] * 24, hydro=[600.0 + 10 * t for t in range(24)],
                           rlng=[200.0] * 24, zones=(("A", 100.0, 50.0, True),), cap=150.0)
    pid = keep_plan(store, LOCAL_ADMIN, plan_scenario(LOCAL_ADMIN, str(small)), out_dir=tmp_path / "o")
    adopt_plan(store, LOCAL_ADMIN, str(pid))
    load_demo_register(store)
    page = app_client.get("/").text
    for link in ('href="/energy"', 'href="/reserve"', 'href="/supervision/register"', 'href="/api/v1/audit/head"',
                 'href="/energy#sources"'):
        assert link in page
    assert "MW mining" in page and "licensed VASPs" in page and "USD 90,922" in page
    doc = app_client.get("/api/v1/glance").json()
    assert doc["energy"]["id"] == pid and doc["reserve"]["btc"] is None and doc["rehearsal"] is None
    assert doc["register"]["licensed"] <= doc["register"]["on_register"] and doc["audit"]["seq"] >= 2
    cited = load_registry().get("energy.network.btc_price_usd")  # the snapshot, dated by its primary source
    assert doc["price"]["usd"] == cited.value == "90922" and doc["price"]["date"] == cited.date
