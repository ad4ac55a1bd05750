"""The recovery and rotation steps on the portal (issue #14, JOURNEYS step 9): the operator designs the policy and
adds the wallet, proposes a recovery spend (refused too early with the blocks left, nothing stored), the recovery
quorum signs over the API, the operator broadcasts and rotates; the public page and the wallet's page show which
wallet holds the reserve now, its paths in words, its predecessors and the rotation's date. Funding and mining
stay on the rehearsal chain's CLI (the portal has no faucet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.reserve.custody.conftest import Signer, make_signer, multisig
from tests.reserve.custody.recovery_fixtures import TIMELOCK, fund, recovery_signers
from tests.reserve.custody.test_ceremony import ok, snapshot
from tests.reserve.custody.test_recovery import buidl_sign
from tests.reserve.custody.test_transparency import portal  # noqa: F401 - the fixture
from tests.sessions import sign_in


def _design(signers: list[Signer]) -> dict[str, Any]:
    def keys(group: list[Signer]) -> list[str]:
        return [f"[{s.fingerprint}/48h/1h/0h/2h]{s.xpub}" for s in group]

    return {"script": "wsh", "primary": {"threshold": 3, "keys": keys(signers)},
            "recovery": [{"threshold": 2, "after_blocks": TIMELOCK, "keys": keys(recovery_signers(signers))}]}


def test_recover_and_rotate_from_the_portal(cli: Any, portal: Any, db_url: str, tmp_path: Path,  # noqa: F811
                                            signers: list[Signer], cold_descriptor: str) -> None:
    designed = portal.post("/api/v1/reserve/policies/design", json=_design(signers))
    assert designed.status_code == 200, designed.text
    words = [p["words"] for p in designed.json()["paths"]]
    assert f"once a coin has been in the wallet for {TIMELOCK} blocks" in words[1]
    descriptor = designed.json()["descriptor"]
    assert portal.post("/api/v1/reserve/wallets", json={"name": "treasury", "descriptor": descriptor}).status_code \
        == 403  # the public may not add a wallet
    sign_in(portal, "operator", "admin")
    added = portal.post("/api/v1/reserve/wallets", json={"name": "treasury", "descriptor": descriptor})
    assert added.status_code == 201 and [p["name"] for p in added.json()["paths"]] == ["primary", "recovery"]
    assert portal.post("/api/v1/reserve/wallets", json={"name": "cold", "descriptor": cold_descriptor}).status_code \
        == 201
    bad = portal.post("/api/v1/reserve/policies/design", json={**_design(signers), "recovery": [
        {"threshold": 4, "after_blocks": 70_000, "keys": _design(signers)["recovery"][0]["keys"]}]})
    assert bad.status_code == 422 and "65,535" in bad.text and "4 of 3 keys" in bad.text

    funded_at, _ = fund(cli, "treasury", [("1", "seizure")])
    portal.cookies.clear()
    assert portal.post("/api/v1/reserve/wallets/treasury/sync").status_code == 403  # not the public's to start
    sign_in(portal, "operator", "admin")
    assert portal.post("/api/v1/reserve/wallets/treasury/sync").json()["balance_btc"] == "1"
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    spend = {"wallet": "treasury", "to": cold, "amount": "0.6", "purpose": "three keys lost", "path": "recovery"}
    before = snapshot(db_url)
    early = portal.post("/api/v1/reserve/spends", json=spend)
    assert early.status_code == 422 and f"enough coins open in {TIMELOCK - 1} blocks" in early.json()["detail"]
    assert snapshot(db_url) == before
    shown = portal.get("/api/v1/reserve/wallets/treasury").json()
    assert shown["coins"][0]["opens_at"] == funded_at + TIMELOCK - 1 and shown["state"] == "active"

    ok(cli("reserve", "chain", "mine", str(TIMELOCK - 1), "--json"))
    proposal = portal.post("/api/v1/reserve/spends", json=spend)
    assert proposal.status_code == 201 and proposal.json()["path"] == "recovery"
    sign_in(portal, "auditor-general", "signer")
    _, ag, court = recovery_signers(signers)
    url = f"/api/v1/reserve/spends/{proposal.json()['id']}"
    for who in (ag, court):
        receipt = portal.post(f"{url}/signatures", content=buidl_sign(portal.get(f"{url}/psbt").text, who)).json()
        assert receipt["accepted"], receipt["reason"]
    assert portal.post(f"{url}/broadcast").status_code == 403  # a signer does not broadcast
    sign_in(portal, "operator", "admin")
    assert len(portal.post(f"{url}/broadcast").json()["txid"]) == 64
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert portal.post("/api/v1/reserve/wallets/cold/sync").json()["balance_btc"] == "0.6"
    portal.post("/api/v1/reserve/wallets/treasury/sync")

    # the custodian institution changed: rotate to a new 3-of-5, signed by the primary path
    successor = multisig(3, [*signers[:4], make_signer("new-custodian")])
    rotated = portal.post("/api/v1/reserve/wallets/treasury/rotate", json={"to": "treasury-2",
                                                                          "descriptor": successor})
    assert rotated.status_code == 201, rotated.text
    sweep = rotated.json()["sweep"]
    sign_in(portal, "signers", "signer")
    for s in signers[:3]:
        assert portal.post(f"/api/v1/reserve/spends/{sweep['id']}/signatures", content=s.sign(sweep["psbt"])).json()[
            "accepted"]
    sign_in(portal, "operator", "admin")
    txid = portal.post(f"/api/v1/reserve/spends/{sweep['id']}/broadcast").json()["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    portal.post("/api/v1/reserve/wallets/treasury-2/sync")

    wallets = {w["name"]: w for w in portal.get("/api/v1/reserve/wallets").json()}
    assert wallets["treasury"]["state"] == "retired" and wallets["treasury"]["successor"] == "treasury-2"
    assert wallets["treasury"]["rotated_at"] and [p["wallet"] for p in wallets["treasury-2"]["predecessors"]] == [
        "treasury"]
    assert [p["name"] for p in wallets["treasury"]["paths"]] == ["primary", "recovery"]
    page = portal.get("/reserve").text
    holds = page.split("Which wallet holds the reserve")[1].split("Policy in force")[0]
    assert "treasury-2" in holds and "Predecessors" in holds and txid in holds and "Every signer rotation" in holds
    assert 'data-wallet="treasury"' not in holds  # the retired wallet no longer holds the reserve
    old = portal.get("/reserve/wallets/treasury").text
    assert "retired" in old and "once a coin has been in the wallet for" in old and "Rehearsal" in old
    assert portal.get("/reserve/wallets/nobody").status_code == 404


def test_the_portal_warns_of_coins_near_their_recovery_path_and_refreshes_them(
        cli: Any, portal: Any, tmp_path: Path, signers: list[Signer]) -> None:  # noqa: F811
    sign_in(portal, "operator", "admin")
    descriptor = portal.post("/api/v1/reserve/policies/design", json=_design(signers)).json()["descriptor"]
    assert portal.post("/api/v1/reserve/wallets", json={"name": "treasury", "descriptor": descriptor}).status_code \
        == 201
    assert "Timelock warning" not in portal.get("/reserve").text
    fund(cli, "treasury", [("1", "seizure")])
    # the registry's window (4,320 blocks, about 30 days) is longer than this rehearsal's timelock: warned at once
    page = portal.get("/reserve").text
    assert "Timelock warning" in page and "reach the recovery path within 4,320 blocks" in page
    nothing = portal.post("/api/v1/reserve/wallets/treasury/refresh", json={"within": 3})
    assert nothing.status_code == 422 and "nothing to refresh" in nothing.json()["detail"]
    ok(cli("reserve", "chain", "mine", str(TIMELOCK), "--json"))
    portal.post("/api/v1/reserve/wallets/treasury/sync")  # no new coin, but one opened: the sync is audited
    page = portal.get("/reserve").text  # so the public page, computed once per audit head, shows it at once
    assert "can already be spent by the recovery path" in page
    assert "open now" in portal.get("/reserve/wallets/treasury").text
    refresh = portal.post("/api/v1/reserve/wallets/treasury/refresh", json={})
    assert refresh.status_code == 201 and (refresh.json()["kind"], refresh.json()["path"]) == ("refresh", "primary")
