"""/peers/bundles, /peers/whatifs and /review in a real headless Chromium, at 1280 and 375 px: a bundle is checked
by uploading its file with the issuer's key, the diff shows, nothing scrolls sideways, no script error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.store.db import Store, make_engine
from tests.conftest import Cli
from tests.web.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


def _no_sideways_scroll(page: Any, viewport: dict[str, int]) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {viewport['width']}px"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1280", "phone-375"])
def test_check_a_bundle_and_read_the_what_ifs_and_the_review_pack(
        live_server: str, live_settings: Settings, browser_page: Any, viewport: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"BIPLOMACY_DATABASE_URL": live_settings.effective_database_url,
           "BIPLOMACY_VAR_DIR": str(live_settings.var_dir)}
    cli = Cli(env, monkeypatch)
    key = tmp_path / "office.key"
    public = cli("peers", "key", "new", "--out", str(key), "--json").json["public_key"]
    bundle = tmp_path / "office.bundle"
    made = cli("peers", "bundle", "export", "--key", str(key), "--out", str(bundle), "--part", "licensing",
               "--part", "cited-facts", "--country", "SV", "--json")
    assert made.exit_code == 0, made.stderr
    assert cli("peers", "whatif", "run", "sv-accumulation", "--json").exit_code == 0
    store = Store(make_engine(live_settings.effective_database_url), live_settings.effective_database_url)
    users.add_user(store, LOCAL_ADMIN, "imf", "auditor", password=PASSWORD)
    store.dispose()

    page = browser_page
    page.set_viewport_size(viewport)
    assert page.goto(live_server + "/peers/bundles").status == 200
    assert page.locator("code.public-key").first.inner_text() == public
    page.set_input_files('input[name="bundle"]', str(bundle))
    page.fill('input[name="trust"]', public)
    page.click("#check-form button[type=submit]")
    result = page.locator('#check-result[data-valid="true"]')
    result.wait_for(state="visible")
    assert page.locator("#part-licensing").is_visible() and "log in" in result.inner_text()
    _no_sideways_scroll(page, viewport)

    assert page.goto(live_server + "/peers/whatifs").status == 200
    assert "WHAT-IF" in page.locator(".whatif-banner").inner_text()
    page.click("#whatifs a")
    assert "2024-12-19" in page.locator("#flags").inner_text()
    _no_sideways_scroll(page, viewport)

    page.goto(live_server + "/login")
    page.fill("#name", "imf")
    page.fill("#password", PASSWORD)
    page.click("form.form button[type=submit]")
    assert page.goto(live_server + "/review").status == 200
    for section in ("subsidy", "strain", "reserve", "supervision", "audit", "sources"):
        assert page.locator(f"section#{section}").is_visible()
    _no_sideways_scroll(page, viewport)
    assert page.js_errors == []
