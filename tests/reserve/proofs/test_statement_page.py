"""The public /reserve page shows the latest finalized statement, and its JSON downloads and verifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from biplomacy.core.config import Settings
from biplomacy.reserve.model.statement import verify_statement
from biplomacy.web.app import create_app
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import ok
from tests.reserve.proofs.test_statement_ceremony import _signed_statement


def test_reserve_page_links_the_latest_statement_which_verifies(
        cli: Any, settings: Settings, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/reserve/statements/latest").status_code == 404
        assert "none published yet" in client.get("/reserve").text
        built = _signed_statement(cli, tmp_path, signers, treasury_descriptor, cold_descriptor)
        ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
        page = client.get("/reserve").text
        assert "1.75 BTC" in page and f"block height {built['height']}" in page
        assert 'href="/api/v1/reserve/statements/latest"' in page
        download = client.get("/api/v1/reserve/statements/latest")
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        check = verify_statement(download.json())
        assert check.valid and check.total_sats == 175_000_000
        assert 'href="/api/v1/reserve/statements/latest/chain-data"' in page and "rehearsal" in page
        chain = client.get("/api/v1/reserve/statements/latest/chain-data")
        assert chain.status_code == 200 and "rehearsal-chain-data" in chain.headers["content-disposition"]
        assert chain.json()["mark"] == "rehearsal" and chain.json()["height"] == built["height"]
        checked = verify_statement(download.json(), chain.json())
        assert checked.valid and checked.chain_checked
        by_id = client.get(f"/api/v1/reserve/statements/{built['id']}/chain-data")
        assert by_id.json()["utxos"] == chain.json()["utxos"]


def test_signers_sign_a_statement_over_the_api_and_the_public_may_not(
        cli: Any, settings: Settings, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    from tests.reserve.custody.test_ceremony import funded_treasury
    from tests.sessions import sign_in

    funded_treasury(cli, treasury_descriptor, cold_descriptor)
    built = ok(cli("reserve", "statement", "build", "treasury", "--message", "API ceremony", "--json"))
    path = f"/api/v1/reserve/statements/{built['id']}"
    with TestClient(create_app(settings)) as portal:
        assert portal.get(f"{path}/psbt").status_code == 403
        assert portal.get(path).status_code == 422  # not final yet: nothing to download
        sign_in(portal, "sbp-signer", "signer")
        unsigned = portal.get(f"{path}/psbt").text
        assert unsigned == built["psbt"]
        for signer in signers[:3]:
            result = portal.post(f"{path}/signatures", content=signer.sign(unsigned)).json()
            assert result["accepted"] is True, result["reason"]
        assert portal.get(f"{path}/status").json()["ready"] is True
        garbage = portal.post(f"{path}/signatures", content=b"not a psbt")
        assert garbage.status_code == 422 and "PSBT" in garbage.json()["detail"]
        assert portal.get("/api/v1/reserve/statements/rs-none/status").status_code == 404
    ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
    with TestClient(create_app(settings)) as public:
        assert verify_statement(public.get(path).json()).valid
