"""Journey 10 on the portal: El Salvador's portal publishes its bundle and key; PVARA's portal (another
installation, its own database) checks the bundle against that key, shows the diff to anyone, lets only a
supervisor adopt a part, and refuses an altered bundle by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.web.app import create_app
from tests.peers.conftest import Installation
from tests.peers.test_exchange_cli import audit_entries, export

PASSWORD = "a long enough password"


def test_two_portals_exchange_a_bundle_end_to_end(two_installations: tuple[Installation, Installation]) -> None:
    sv, pk = two_installations
    export(sv)
    store = pk.store()
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    store.dispose()
    before = len(audit_entries(pk))  # the user's creation
    with TestClient(create_app(sv.settings)) as office, TestClient(create_app(pk.settings)) as pvara:
        # the Office publishes its key and bundle on its portal
        keys = office.get("/api/v1/peers/keys").json()
        assert len(keys) == 1 and keys[0]["country"] == "SV"
        key = keys[0]["public_key"]
        assert key in office.get("/peers/bundles").text
        download = office.get("/api/v1/peers/bundles/latest/file")
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        data = download.content

        # anyone at PVARA may check it: valid, with each part's diff, nothing adopted
        page = pvara.post("/peers/bundles/check", data={"trust": key}, files={"bundle": ("office.json", data)})
        assert page.status_code == 200 and 'data-valid="true"' in page.text
        assert 'id="part-register-extract"' in page.text and "added" in page.text
        assert 'name="adopt"' not in page.text and "log in" in page.text
        carried = re.search(r'name="bundle_b64" value="([^"]+)"', page.text)
        assert carried is not None

        # adopting needs a supervisor: the anonymous public is refused and nothing changes
        refused = pvara.post("/peers/bundles/adopt", data={"trust": key, "adopt": "aml-rules",
                                                           "bundle_b64": carried.group(1)})
        assert refused.status_code in (401, 403)
        assert pvara.get("/api/v1/peers/adoptions").json() == [] and len(audit_entries(pk)) == before

        assert pvara.post("/login", data={"name": "sana", "password": PASSWORD}).status_code == 200
        ticked = pvara.post("/peers/bundles/check", data={"trust": key}, files={"bundle": ("office.json", data)})
        assert 'name="adopt" value="aml-rules"' in ticked.text
        done = pvara.post("/peers/bundles/adopt", data={"trust": key, "adopt": "aml-rules",
                                                        "bundle_b64": carried.group(1)})
        assert done.status_code == 200 and 'id="adopted"' in done.text
        adoptions = pvara.get("/api/v1/peers/adoptions").json()
        assert [(a["part"], a["adopted_by"]) for a in adoptions] == [("aml-rules", "sana")]
        assert [e.action for e in audit_entries(pk)][-1] == "peers.bundle.adopt"
        assert "aml-rules" in pvara.get("/peers/bundles").text

        # an altered bundle is refused by name, on the page and in the API, and nothing more is adopted
        doc = json.loads(data)
        doc["parts"]["licensing"]["service_days"] = {"submitted": 999}
        altered = json.dumps(doc).encode()
        page = pvara.post("/peers/bundles/check", data={"trust": key}, files={"bundle": ("x.json", altered)})
        assert 'data-valid="false"' in page.text and "tampered" in page.text and "Nothing was adopted" in page.text
        api = pvara.post("/api/v1/peers/bundles/import", params={"trust": key, "adopt": "licensing"}, content=altered)
        assert api.status_code == 422 and "tampered" in api.json()["detail"]
        verdict = pvara.post("/api/v1/peers/bundles/verify", params={"trust": key}, content=altered).json()
        assert verdict["valid"] is False and [p["code"] for p in verdict["problems"]] == ["tampered"]
        assert len(pvara.get("/api/v1/peers/adoptions").json()) == 1


def test_bad_uploads_are_4xx_not_500(app_client: TestClient) -> None:
    r = app_client.post("/peers/bundles/check", data={"trust": "ed25519:AAAA"})
    assert r.status_code == 422
    r = app_client.post("/api/v1/peers/bundles/verify", params={"trust": "nonsense"}, content=b"{}")
    assert r.status_code == 422 and r.json()["field"] == "trust"
    assert app_client.get("/api/v1/peers/bundles/latest/file").status_code == 404
    r = app_client.post("/peers/bundles/adopt", data={"trust": "x", "adopt": "y", "bundle_b64": "%%%"})
    assert r.status_code in (401, 403, 422)


def test_the_portal_never_reads_a_server_file_named_as_the_key(app_client: TestClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ed25519:" + "A" * 43 + "=", encoding="utf-8")  # would parse as a key if it were read
    r = app_client.post("/api/v1/peers/bundles/verify", params={"trust": str(secret)}, content=b"{}")
    assert r.status_code == 422 and "AAAA" not in r.text
    r = app_client.post("/api/v1/peers/bundles/verify", params={"trust": "0" * 400}, content=b"{}")
    assert r.status_code == 422
