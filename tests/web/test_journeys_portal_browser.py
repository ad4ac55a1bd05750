"""The journeys of shared/JOURNEYS.md that test_journeys_browser.py does not walk, in Chromium, on one portal seeded
once for the module (as `make run` and the users' own steps leave it): the risk officer (2), the signers' portal part
(3, 8), the licensing officer and the bank (5), El Salvador's delegation (7), the recovery's public page (9), the
IMF mission (11), and the supervisor who calibrated AML (12); plus the one BTC price that /, /reserve, /energy and
the El Salvador what-if all show. The steps that are CLI-only by design (making keys, signing in Electrum, running
`review pack`, `peers bundle export`) are done through the same use cases; the walks are of what the user sees."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings, load_settings
from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.core.provenance import load_registry
from biplomacy.store.db import open_store
from tests.conftest import fresh_database_url, serve_portal
from tests.web.conftest import PHONE

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AML_FIXTURE = Path(__file__).resolve().parents[1] / "aml" / "data" / "amlsim-20K_fanin200-cut"
PASSWORD = "a long enough password"
WALLET = "national-reserve-rehearsal"
CONDITION = "quarterly proof of reserves to PVARA"


def _seed(settings: Settings, tmp: Path) -> dict[str, Any]:
    """An adopted plan made at the default BTC price, a funded rehearsal wallet (pakistan-draft) with two spend
    proposals waiting, the fictional register and a new licence approved with a condition, the El Salvador
    what-if, an adopted AML profile, and the users who walk."""
    from biplomacy.aml.calibrate import calibrate_files
    from biplomacy.aml.profile_store import adopt_profile
    from biplomacy.energy.plan import adopt_plan, keep_plan, plan_scenario
    from biplomacy.house import users
    from biplomacy.peers.bundles import build_bundle
    from biplomacy.peers.keys import new_key
    from biplomacy.peers.whatifs import run_whatif
    from biplomacy.reserve import spend, wallets
    from biplomacy.reserve.rehearsal import chain
    from biplomacy.reserve.rehearsal.source import chain_for
    from biplomacy.supervision.demo import load_demo_register
    from biplomacy.supervision.licensing import apply_for_licence, transition_licence
    from tests.energy.plan.conftest import write_scenario

    store = open_store(settings)
    try:
        scenario = write_scenario(tmp / "small", demand=[700.0] * 24, hydro=[600.0 + 10 * t for t in range(24)],
                                  rlng=[200.0] * 24, zones=(("A", 100.0, 50.0, True),), cap=150.0)
        toml = scenario / "scenario.toml"  # the plan takes the registry's BTC price, as the shipped scenario does
        toml.write_text(toml.read_text(encoding="utf-8").replace("btc_price_usd = 91000\n", ""), encoding="utf-8")
        plan = keep_plan(store, LOCAL_ADMIN, plan_scenario(LOCAL_ADMIN, str(scenario)), out_dir=tmp / "plan",
                         name="ministry plan")
        adopt_plan(store, LOCAL_ADMIN, str(plan))
        descriptor = (EXAMPLES / "rehearsal-wallet-descriptor.txt").read_text(encoding="utf-8").strip()
        wallets.add_wallet(store, LOCAL_ADMIN, settings.network, WALLET, descriptor, "pakistan-draft")
        source = chain_for(store, settings)
        address = wallets.next_address(store, LOCAL_ADMIN, WALLET).address
        chain.fund(store, LOCAL_ADMIN, settings.network, address, "2.5", "seizure")
        chain.fund(store, LOCAL_ADMIN, settings.network, wallets.next_address(store, LOCAL_ADMIN, WALLET).address,
                   "1.0", "seizure")
        chain.mine(store, LOCAL_ADMIN, 1)
        wallets.sync(store, LOCAL_ADMIN, source, WALLET)
        cold = wallets.next_address(store, LOCAL_ADMIN, WALLET).address  # stands for the cold wallet's address
        first = spend.propose(store, LOCAL_ADMIN, source, WALLET, cold, "0.5", "to the cold wallet")
        other = spend.propose(store, LOCAL_ADMIN, source, WALLET, cold, "0.25", "a second transfer")
        load_demo_register(store)
        licence = apply_for_licence(store, LOCAL_ADMIN, __import__("json").loads(
            (EXAMPLES / "licence-application.json").read_text(encoding="utf-8")))
        officer = Actor("amina", "supervisor")
        ref = licence.reference
        transition_licence(store, officer, ref, "under_review", "checklist complete")
        transition_licence(store, officer, ref, "information_requested", "the custody insurance policy is missing")
        transition_licence(store, officer, ref, "under_review", "insurance policy received")
        transition_licence(store, officer, ref, "approved_with_conditions", "approved", conditions=[CONDITION])
        whatif = run_whatif(store, LOCAL_ADMIN, "sv-accumulation")
        key = tmp / "office.key"  # the Bitcoin Office's key and bundle (made before this program adopts a profile)
        public = new_key(key).public_key
        bundle = build_bundle(None, LOCAL_ADMIN, key, program="Bitcoin Office", country="SV",
                              parts=("aml-rules", "licensing"))
        (tmp / "office.bundle").write_text(bundle.text, encoding="utf-8")
        altered = bundle.text.replace('"country": "SV"', '"country": "PK"', 1)
        assert altered != bundle.text
        (tmp / "altered.bundle").write_text(altered, encoding="utf-8")
        profile = tmp / "profile" / "fanin.json"
        profile.parent.mkdir()
        calibrate_files([AML_FIXTURE / "transactions.csv"], AML_FIXTURE / "nodes.csv", profile, model=None)
        adopted = adopt_profile(store, officer, profile)
        for name, role in (("amina", "supervisor"), ("signer1", "signer"), ("imf", "auditor")):
            users.add_user(store, LOCAL_ADMIN, name, role, password=PASSWORD)
        return {"bundle": tmp / "office.bundle", "altered": tmp / "altered.bundle", "office_key": public,
                "plan": plan, "proposals": (first.id, other.id), "psbts": (first.psbt, other.psbt), "licence": ref,
                "whatif": whatif["id"], "profile": adopted.version}
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def portal(_templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """One seeded portal for every walk of this module (the walks read; each writes only what it alone reads)."""
    tmp = tmp_path_factory.mktemp("journeys")
    settings = load_settings({"BIPLOMACY_DATABASE_URL": fresh_database_url("sqlite", _templates, tmp),
                              "BIPLOMACY_VAR_DIR": str(tmp / "var"), "BIPLOMACY_SECRET_KEY": "test-secret-journeys"})
    seeded = _seed(settings, tmp)
    with serve_portal(settings) as url:
        yield url, seeded


def _login(page: Any, base: str, user: str, then: str = "/") -> None:
    page.goto(f"{base}/login?next={then}")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_one_btc_price_with_its_date_on_the_landing_reserve_energy_and_what_if_pages(portal, browser_page):
    base, seeded = portal
    page = browser_page
    cited = load_registry().get("energy.network.btc_price_usd")
    price = f"USD {int(cited.value):,}"
    page.goto(base + "/")
    glance = page.locator("#glance-price").inner_text()
    assert price in glance and cited.date in glance
    page.goto(base + "/reserve")
    cap = page.locator("#policy-cap").inner_text()  # the pakistan-draft cap, valued at the one price
    assert f"{price} per BTC" in cap and cited.date in cap and "87,000" not in page.locator("main").inner_text()
    page.goto(base + "/energy")
    plan_price = page.locator(".btc-price").first.inner_text()
    assert plan_price == f"{price} per BTC" and cited.date in page.locator("main").inner_text()
    page.goto(f"{base}/peers/whatifs/{seeded['whatif']}")
    assert "WHAT-IF" in page.locator(".whatif-banner").inner_text()
    shown = page.locator("#whatif-price").inner_text()
    assert f"{price} per BTC" in shown and cited.date in shown
    reg = load_registry()  # the cap the what-if flags is the one /reserve states, in BTC
    limit = (reg.value("reserve.policy.pakistan_fx_reserves_usd") * reg.value("reserve.policy.pakistan_cap_share_of_fx")
             / reg.value("energy.network.btc_price_usd"))
    assert f"{limit:,.2f} BTC" in cap
    flags = page.locator("#flags").inner_text()
    assert f"BTC at {price}, price of {cited.date}" in flags
    assert page.js_errors == []


def test_2_the_risk_officer_reads_p5_p50_p95_and_the_probability_of_loss_and_gets_them_again(portal, browser_page):
    base, _ = portal
    page = browser_page
    page.goto(base + "/energy")
    assert page.get_by_role("link", name=re.compile("Risk \\(Monte Carlo\\)")).get_attribute("href") == "/energy/risk"
    # the risk page's form, submitted with a small run (the default is the plan's full headline run: minutes)
    page.goto(base + "/energy/risk?scenario=pakistan-2025&paths=200&years=1&seed=7&price_shock=-0.5")  # BTC halves
    page.wait_for_selector("#probability-of-loss", timeout=120_000)
    assert page.locator("#paths").input_value() == "200" and page.locator("#price_shock").input_value() == "-0.5"
    first = {k: page.locator(f"#{k}").inner_text() for k in ("btc-per-year", "btc-per-year-p5", "btc-per-year-p95",
                                                             "probability-of-loss")}
    assert first["btc-per-year"].startswith("P50") and first["probability-of-loss"].endswith("%")
    url = page.url
    page.goto(url)  # the same seed again
    page.wait_for_selector("#probability-of-loss", timeout=120_000)
    again = {k: page.locator(f"#{k}").inner_text() for k in first}
    assert again == first and "seed=7" in url and "price_shock=-0.5" in url
    assert page.js_errors == []


def test_3_and_8_a_signer_is_told_what_waits_downloads_the_psbt_and_a_wrong_upload_is_refused_with_why(
        portal, browser_page):
    base, seeded = portal
    page = browser_page
    page.goto(f"{base}/reserve/wallets/{WALLET}")
    assert "log in" in page.locator("#spends-waiting").inner_text()  # the public is not shown the proposals
    _login(page, base, "signer1", f"/reserve/wallets/{WALLET}")
    table = page.locator("#pending-spends")
    assert "rehearsal" in table.locator("caption").inner_text()
    first, other = seeded["proposals"]
    row = table.locator(f'tr[data-proposal="{first}"]')
    assert "0.5" in row.inner_text() and "0 of" in row.inner_text() and "to the cold wallet" in row.inner_text()
    with page.expect_download() as download:
        row.get_by_role("link", name="download").click()
    assert Path(download.value.path()).read_text(encoding="utf-8").strip() == seeded["psbts"][0]
    # she uploads, by mistake, the PSBT of the other proposal: refused, with the reason, and nothing changes
    wrong = page.request.post(f"{base}/api/v1/reserve/spends/{first}/signatures", data=seeded["psbts"][1])
    answer = wrong.json()
    assert wrong.status == 200 and answer["accepted"] is False and answer["reason"]
    page.reload()
    assert "0 of" in page.locator(f'tr[data-proposal="{first}"]').inner_text()
    assert page.js_errors == []


def test_5_the_licence_shows_at_once_with_its_conditions_and_history_and_the_bank_downloads_the_register(
        portal, browser_page):
    base, seeded = portal
    page = browser_page
    ref = seeded["licence"]
    page.goto(base + "/supervision/register")
    page.get_by_label("Search").fill("Example Exchange")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    with page.expect_navigation():
        page.get_by_role("link", name=ref).click()
    main = page.locator("main").inner_text()
    assert CONDITION in main and "approved_with_conditions" not in main  # statuses in words
    history = page.get_by_role("table", name="Public history since authorisation").inner_text()
    assert "approved with conditions" in history  # at once; the review before it is the supervisors' record
    page.goto(base + "/supervision/register")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert any(r["pv_reference"] == ref for r in rows)
    assert page.js_errors == []


def test_7_el_salvadors_delegation_compares_the_programs_each_cell_cited(portal, browser_page):
    base, _ = portal
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(base + "/peers")
    for dim in ("reserve_btc", "reserve_sources", "mining_mw", "mining_energy", "regulator", "imf"):
        row = page.locator(f"#dim-{dim}")
        assert row.locator('td[data-label="Pakistan"]').count() == 1, dim
        assert row.locator('td[data-label="El Salvador"]').count() == 1, dim
    cell = page.locator('#dim-reserve_btc td[data-label="El Salvador"]')
    cite = cell.locator(".cites a").first
    target = cite.get_attribute("href")
    cite.click()
    fact = page.locator(target.replace(".", "\\."))
    assert fact.is_visible() and fact.locator("a[href^='http']").count() >= 1  # the source, with its address
    _fits(page)
    assert page.js_errors == []


def test_9_the_public_page_shows_which_wallet_holds_the_reserve_and_that_it_is_a_rehearsal(portal, browser_page):
    base, _ = portal
    page = browser_page
    page.goto(base + "/reserve")
    holder = page.locator(f'article.wallet-life[data-wallet="{WALLET}"]')
    text = holder.inner_text()
    assert "rehearsal" in text.lower() and "primary" in text and "pakistan-draft" in text
    with page.expect_navigation():
        holder.get_by_role("link", name=WALLET).click()
    assert page.get_by_role("heading", level=2, name="Predecessors").is_visible()
    assert page.js_errors == []


def test_11_the_imf_reviewer_reads_the_pack_downloads_its_pdf_and_diffs_it_with_the_last_one(portal, browser_page,
                                                                                              tmp_path):
    base, _ = portal
    page = browser_page
    _login(page, base, "imf", "/review")
    assert page.url.endswith("/review")
    for section in ("subsidy", "strain", "reserve", "supervision", "audit", "sources"):
        assert page.locator(f"section#{section} h2").is_visible(), section
    pdf = page.request.get(base + "/review/pack.pdf")
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    earlier = tmp_path / "review.json"  # last quarter's pack, kept as the page says
    earlier.write_bytes(page.request.get(base + "/api/v1/review").body())
    page.set_input_files('input[name="earlier"]', str(earlier))
    with page.expect_navigation():
        page.get_by_role("button", name="Show what changed since").click()
    assert page.locator("#diff").inner_text().startswith("Changed since")
    assert page.js_errors == []


def test_12_the_supervisor_sees_the_calibrated_profile_in_force_and_a_cases_path_as_a_graph(portal, browser_page):
    base, seeded = portal
    page = browser_page
    _login(page, base, "amina", "/supervision/aml")
    line = page.locator("#profile-in-force").inner_text()
    assert seeded["profile"] in line and "amina" in line and "streaming scorer" in line
    assert page.js_errors == []


def test_10_pvara_verifies_the_offices_bundle_adopts_the_aml_rules_only_and_an_altered_bundle_is_refused(
        portal, browser_page):
    """Last in the file: it changes the AML profile in force, which test 12 reads."""
    base, seeded = portal
    page = browser_page
    _login(page, base, "amina", "/peers/bundles")
    page.set_input_files('input[name="bundle"]', str(seeded["bundle"]))
    page.fill('input[name="trust"]', seeded["office_key"])
    with page.expect_navigation():
        page.click("#check-form button[type=submit]")
    assert page.locator('#check-result[data-valid="true"]').is_visible()
    assert "Bitcoin Office" in page.locator("#check-result").inner_text()
    for part in ("aml-rules", "licensing"):
        assert "change(s) against" in page.locator(f"#part-{part}").inner_text(), part
    page.locator('#part-aml-rules input[name="adopt"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="Adopt the parts ticked").click()
    assert "aml-rules" in page.locator("#adopted").inner_text()
    adopted = page.request.get(base + "/api/v1/peers/adoptions").json()
    assert [a["part"] for a in adopted] == ["aml-rules"]  # the AML rules only, recorded with the bundle's hash
    page.goto(base + "/peers/bundles")
    page.set_input_files('input[name="bundle"]', str(seeded["altered"]))
    page.fill('input[name="trust"]', seeded["office_key"])
    with page.expect_navigation():
        page.click("#check-form button[type=submit]")
    refused = page.locator('#check-result[data-valid="false"]')
    assert refused.is_visible() and "Nothing was adopted" in refused.inner_text()
    assert page.js_errors == []
