"""The reserve's lifecycle in a real headless Chromium, at 1280 and 375 px (issue #14): after a signer rotation
the public page says which wallet holds the reserve, its paths in words and its predecessor; the link leads to the
wallet's page, and on to the retired wallet's, with its coins' timelocks; nothing scrolls sideways, no script
error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings
from tests.conftest import Cli
from tests.reserve.custody.conftest import Signer, make_signer
from tests.reserve.custody.recovery_fixtures import fund, recovery_descriptor
from tests.reserve.custody.test_ceremony import ok, write
from tests.web.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1280", "phone-375"])
def test_the_public_page_shows_who_holds_the_reserve_after_a_rotation(
        live_server: str, live_settings: Settings, browser_page: Any, viewport: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, signers: list[Signer]) -> None:
    cli = Cli({"BIPLOMACY_DATABASE_URL": live_settings.effective_database_url,
               "BIPLOMACY_VAR_DIR": str(live_settings.var_dir)}, monkeypatch)
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", recovery_descriptor(signers), "--json"))
    fund(cli, "treasury", [("1", "seizure")])
    successor = recovery_descriptor([*signers[:4], make_signer("new-custodian")])
    sweep = ok(cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", successor,
                   "--json"))["sweep"]
    for k, s in enumerate(signers[:3]):
        ok(cli("reserve", "spend", "submit", sweep["id"], "--psbt", write(tmp_path, f"{k}.psbt", s.sign(sweep["psbt"])),
               "--json"))
    ok(cli("reserve", "spend", "broadcast", sweep["id"], "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury-2", "--json"))

    page = browser_page
    page.set_viewport_size(viewport)
    assert page.goto(live_server + "/reserve").status == 200
    holder = page.locator('article.wallet-life[data-wallet="treasury-2"]')
    assert holder.is_visible() and page.locator('article.wallet-life[data-wallet="treasury"]').count() == 0
    text = holder.inner_text()
    assert "primary: any 3 of these 5 keys" in text and "recovery: any 2 of these 3 keys" in text
    assert "Predecessors" in text and "treasury" in text and "rehearsal" in text
    assert page.locator("section[aria-label=Lifecycle] table").is_visible()  # every rotation, with its date
    _no_sideways_scroll(page, viewport)

    holder.locator("h3 a").click()
    page.wait_for_url("**/reserve/wallets/treasury-2")
    assert "Rehearsal" in page.locator("main").inner_text()
    assert page.locator("section[aria-label='Coins against their timelocks'] table").is_visible()
    _no_sideways_scroll(page, viewport)
    page.locator("section[aria-label=Lifecycle] a", has_text="treasury").first.click()
    page.wait_for_url("**/reserve/wallets/treasury")
    assert "retired" in page.locator("main").inner_text()
    assert page.js_errors == []


def _no_sideways_scroll(page: Any, viewport: dict[str, int]) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {viewport['width']}px"
