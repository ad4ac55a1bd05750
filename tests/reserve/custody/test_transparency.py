"""The public page and its JSON/CSV: totals by source and wallet; addresses only where the operator chose."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reserve.custody.test_ceremony import ok


@pytest.fixture
def portal(settings: Any) -> Any:
    try:
        from biplomacy.web.app import create_app
    except ImportError as exc:  # the portal shell depends on the house engineer's modules
        pytest.skip(f"portal not importable yet: {exc}")
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings)) as client:
        yield client


def test_public_page_and_api_show_holdings_by_source_without_private_addresses(
        cli: Any, portal: Any, treasury_descriptor: str, cold_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--public-addresses",
           "--policy", "us-eo-no-sale", "--json"))
    hidden = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    shown = ok(cli("reserve", "address", "cold", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", hidden, "1", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "fund", shown, "0.5", "--source", "donation", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    ok(cli("reserve", "sync", "cold", "--json"))

    answer = portal.get("/api/v1/reserve/holdings").json()
    # regtest wallets are rehearsal wallets: the reserve holds nothing, the rehearsal figures stand apart, unvalued
    assert answer["total_btc"] == "0" and answer["mark"] == "reserve" and answer["entries"] == []
    holdings = answer["rehearsal"]
    assert holdings["mark"] == "rehearsal" and holdings["value_usd"] is None and holdings["value_pkr"] is None
    assert holdings["total_btc"] == "1.5"
    assert {s["source"]: s["btc"] for s in holdings["by_source"]} == {"seizure": "1", "donation": "0.5"}
    addresses = {e["wallet"]: e["address"] for e in holdings["entries"]}
    assert addresses == {"treasury": None, "cold": shown}
    wallets = {w["name"]: w for w in portal.get("/api/v1/reserve/wallets").json()}
    assert "descriptor" not in wallets["treasury"] and "descriptor" in wallets["cold"]
    assert {w["mark"] for w in wallets.values()} == {"rehearsal"}
    csv_text = portal.get("/api/v1/reserve/holdings?format=csv").text
    assert csv_text.splitlines()[0].startswith("wallet,txid") and hidden not in csv_text
    assert csv_text.splitlines()[0].endswith(",mark") and all(r.endswith(",rehearsal") for r in csv_text.splitlines()[1:])
    page = portal.get("/reserve")
    assert page.status_code == 200
    for text in ("1.5 BTC (rehearsal)", "us-eo-no-sale", "pakistan-draft", "seizure", "REHEARSAL installation",
                 "No reserve wallet yet"):
        assert text in page.text
    assert "USD" not in page.text.split('id="rehearsal"')[1].split("</section>")[0]  # rehearsal coins are not valued
    assert hidden not in page.text and shown in page.text


def test_esplora_api_is_mounted_under_api_v1(portal: Any) -> None:
    assert portal.get("/api/v1/rehearsal/esplora/blocks/tip/height").text == "0"
    assert portal.get("/api/v1/reserve/holdings?format=xml").status_code == 422


def test_a_signer_downloads_the_psbt_and_uploads_the_signed_one_over_the_api(
        cli: Any, portal: Any, settings: Any, signers: Any, treasury_descriptor: str, cold_descriptor: str) -> None:
    from tests.reserve.custody.test_ceremony import funded_treasury
    from tests.sessions import sign_in

    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.4", "--purpose", "api",
                      "--json"))
    path = f"/api/v1/reserve/spends/{proposal['id']}"
    assert portal.get(f"{path}/psbt").status_code == 403  # the public may not
    sign_in(portal, "sbp-signer", "signer")
    unsigned = portal.get(f"{path}/psbt").text
    assert unsigned == proposal["psbt"]
    result = portal.post(f"{path}/signatures", content=signers[0].sign(unsigned)).json()
    assert result["accepted"] is True and result["valid_signers"] == [signers[0].fingerprint]
    again = portal.post(f"{path}/signatures", content=signers[0].sign(unsigned)).json()
    assert again["accepted"] is False and "duplicate" in again["reason"]
    garbage = portal.post(f"{path}/signatures", content=b"not a psbt")
    assert garbage.status_code == 422 and "PSBT" in garbage.json()["detail"]
    assert portal.get(path).json()["threshold"] == 3
    assert portal.get("/api/v1/reserve/spends/sp-none").status_code == 404


def test_the_page_shows_a_new_receipt_and_a_reorg_flag_as_soon_as_they_are_stored(
        cli: Any, portal: Any, treasury_descriptor: str) -> None:
    """The page is computed once per state of the audit log: each stored change must show on the next request."""
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    first = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", first, "2", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    assert "2 BTC (rehearsal)" in portal.get("/reserve").text
    assert portal.get("/api/v1/reserve/holdings").json()["rehearsal"]["total_btc"] == "2"

    second = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    gone = ok(cli("reserve", "chain", "fund", second, "0.7", "--source", "donation", "--json"))["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    page = portal.get("/reserve").text
    assert "2.7 BTC (rehearsal)" in page and gone in page and "Receipts that left the chain" not in page
    assert portal.get("/api/v1/reserve/holdings").json()["rehearsal"]["total_btc"] == "2.7"
    assert gone in portal.get("/api/v1/reserve/holdings?format=csv").text
    assert portal.get("/api/v1/reserve/wallets").json()[0]["balance_btc"] == "2.7"

    ok(cli("reserve", "chain", "reorg", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    page = portal.get("/reserve").text
    assert "2 BTC (rehearsal)" in page and "Receipts that left the chain" in page
    holdings = portal.get("/api/v1/reserve/holdings").json()["rehearsal"]
    assert holdings["total_btc"] == "2" and [v["txid"] for v in holdings["vanished"]] == [gone]
    assert f"{gone},0,,0.7,70000000,donation,,vanished" in portal.get("/api/v1/reserve/holdings?format=csv").text

    ok(cli("reserve", "ledger", "classify", "treasury", f"{holdings['entries'][0]['txid']}:0", "--source", "purchase",
           "--json"))
    assert {s["source"] for s in portal.get("/api/v1/reserve/holdings").json()["rehearsal"]["by_source"]} == {"purchase"}


def test_the_public_view_is_reused_until_the_audit_log_moves(store: Any, treasury_descriptor: str) -> None:
    from biplomacy.core.permissions import Actor
    from biplomacy.reserve import wallets as reserve_wallets
    from biplomacy.reserve.transparency import PublicViewCache

    cache = PublicViewCache()
    empty = cache.get(store)
    assert cache.get(store) is empty and empty.data.total_btc == 0 and empty.wallets == []
    reserve_wallets.add_wallet(store, Actor("admin", "admin"), "regtest", "treasury", treasury_descriptor)
    added = cache.get(store)
    assert added is not empty and [w.name for w in added.wallets] == ["treasury"]
    assert added.head is not None and added.page["audit_head"] == added.head[1]
    assert cache.get(store) is added


def test_the_page_rendered_for_one_visitor_is_never_served_to_another(portal: Any) -> None:
    from tests.sessions import sign_in

    assert "Log in" in portal.get("/reserve").text
    sign_in(portal, "sbp-signer", "signer")
    signed_in = portal.get("/reserve").text
    assert "sbp-signer" in signed_in and "Log in" not in signed_in
    portal.cookies.clear()
    public = portal.get("/reserve")
    assert "Log in" in public.text and "sbp-signer" not in public.text
    assert "default-src 'self'" in public.headers["content-security-policy"]
