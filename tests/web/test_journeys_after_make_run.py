"""Journeys 1 and 4 of shared/JOURNEYS.md, and the public pages' rehearsal marks, in Chromium on what `make run`
really leaves: `biplomacy demo run` (the Makefile's `run` target) is run once, as a subprocess, into a fresh var
dir and its SQLite database, and the portal serves that database. The other browser journeys run on a quick
loader that imitates the demo (test_journeys_browser.py); this module is what catches the two drifting apart.

One test walks everything in order: under `pytest -n 2` separate tests of one module may land on both workers,
and each would run the demo again.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import load_settings
from tests.conftest import serve_portal
from tests.web.test_journeys_browser import PUBLIC_PAGES, UNMARKED

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIPLOMACY = str(Path(sys.executable).with_name("biplomacy"))  # the console script `make run` calls


@dataclass(frozen=True)
class MadeRun:
    url: str  # the portal serving the demo's database
    root: Path  # the analyst's working folder (scenarios/, out/)
    env: dict[str, str]
    demo: dict[str, Any]  # `demo run --json`

    def cli(self, *args: str, json_out: bool = True) -> Any:
        done = subprocess.run([BIPLOMACY, *args, *(["--json"] if json_out else [])], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"biplomacy {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
        return json.loads(done.stdout) if json_out else done.stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MadeRun]:
    """`make run` into a fresh var dir (its default SQLite database), then `biplomacy serve` on it."""
    root = tmp_path_factory.mktemp("make-run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIPLOMACY_")}
    env |= {"BIPLOMACY_VAR_DIR": str(root / "var"), "BIPLOMACY_SECRET_KEY": "test-secret-for-make-run",
            "COLUMNS": "200"}
    done = subprocess.run([BIPLOMACY, "demo", "run", "--json"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    settings = load_settings({k: env[k] for k in ("BIPLOMACY_VAR_DIR", "BIPLOMACY_SECRET_KEY")})
    with serve_portal(settings) as url:
        yield MadeRun(url, root, env, json.loads(done.stdout))


def test_the_journeys_walk_on_what_make_run_leaves(made: MadeRun, browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    _the_reviewer_checks_the_reserve_statement_and_the_audit_head(made, page, tmp_path)
    _no_rehearsal_figure_is_unmarked_on_a_public_page(made, page)
    _the_energy_analyst_reruns_a_copy_and_compares(made, page, tmp_path)
    _no_rehearsal_figure_is_unmarked_on_a_public_page(made, page)  # her plan added nothing unmarked
    assert page.js_errors == []


def _the_reviewer_checks_the_reserve_statement_and_the_audit_head(made: MadeRun, page: Any, tmp_path: Path) -> None:
    """Journey 4, not logged in: holdings over time, by source, the policy in force and the latest signed
    statement, each marked rehearsal; the statement and its chain data downloaded and checked with the one
    command the page shows; the audit head on the page is the CLI's."""
    assert page.goto(made.url + "/reserve").status == 200
    assert "Log out" not in page.locator("body").inner_text()
    rehearsal = page.locator("#rehearsal")
    assert "REHEARSAL" in rehearsal.inner_text()
    page.wait_for_selector("#rehearsal-history[data-chart-ready='true'] svg")  # over time
    assert "REHEARSAL" in page.locator("#rehearsal-history").locator("xpath=..").inner_text()
    by_source = rehearsal.locator("table", has_text="Rehearsal coins by source").inner_text()
    assert "seizure" in by_source and "transfer" in by_source
    policy = page.locator("section[aria-label='Policy in force']").inner_text()
    assert "pakistan-draft" in policy
    wallets = page.locator("section[aria-label='Wallets']").inner_text()
    assert "pakistan-draft" in wallets and "rehearsal" in wallets  # the profile, on a wallet marked rehearsal
    proof = page.locator("section[aria-label='Statement and audit']")
    assert proof.locator(".tag").first.inner_text().lower() == "rehearsal"
    assert "15.75 BTC" in proof.inner_text()
    command = proof.locator("code", has_text="verify-statement").inner_text()
    assert command == "biplomacy reserve verify-statement STATEMENT.json --chain-data CHAIN.json"

    files = {}
    for link, name in (("#statement-download", "STATEMENT.json"), ("#chain-data-download", "CHAIN.json")):
        answer = page.request.get(made.url + page.locator(link).get_attribute("href"))
        assert answer.status == 200, link
        (tmp_path / name).write_bytes(answer.body())
        files[name] = str(tmp_path / name)
    statement = json.loads((tmp_path / "STATEMENT.json").read_text(encoding="utf-8"))
    assert statement["network"] == "regtest" and statement["message"].startswith("REHEARSAL")
    argv = [files.get(word, word) for word in shlex.split(command)]
    assert argv[0] == "biplomacy"
    said = made.cli(*argv[1:], json_out=False)
    assert said.startswith("valid: 15.75 BTC in 2 coins"), said
    assert made.cli(*argv[1:])["valid"] is True

    shown = page.locator("section[aria-label='Statement and audit'] code").last.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", shown), shown
    assert shown == made.cli("audit", "head")["hash"] == made.cli("audit", "verify")["head_hash"]
    assert shown == made.demo["audit_head"]["hash"]  # what `make run` printed at its end


def _rehearsal_figures(made: MadeRun) -> list[str]:
    """The demo's rehearsal figures: its total and the start of each funding transaction id it printed."""
    reserve = next(s for s in made.demo["steps"] if s["pillar"] == "reserve")
    txids = re.findall(r"\(tx ([0-9a-f]{12})", " ".join(reserve["lines"]))
    assert len(txids) == 2, reserve
    return ["15.75", *txids]


def _no_rehearsal_figure_is_unmarked_on_a_public_page(made: MadeRun, page: Any) -> None:
    seen = set()
    for path in PUBLIC_PAGES:
        assert page.goto(made.url + path).status == 200, path
        text = page.locator("main").inner_text()
        for figure in _rehearsal_figures(made):
            seen |= {path} if figure in text else set()
            assert page.evaluate(UNMARKED, figure) == [], (path, figure)
    assert {"/", "/reserve"} <= seen and "/peers" not in seen


def _the_energy_analyst_reruns_a_copy_and_compares(made: MadeRun, page: Any, tmp_path: Path) -> None:
    """Journey 1: the adopted plan on /energy, a copy with another tariff and two zones' connection limits planned
    through the CLI as docs/energy.md says, both plans side by side, the tables as CSV and a chart downloaded."""
    page.goto(made.url + "/energy")
    assert page.locator("#plan-status").inner_text() == "adopted plan"
    assert "pakistan-2025 demo" in page.get_by_role("heading", level=2).first.inner_text()
    zones = page.get_by_role("table", name="Installed MW per zone").inner_text()
    assert all(z in zones for z in ("Thar", "Jamshoro", "Port Qasim"))
    page.wait_for_selector("#heatmap[data-chart-ready='true'] svg")
    assert re.fullmatch(r"P50 [\d,]+", page.locator("#btc-per-year").inner_text())
    tariffs = page.get_by_role("table", name="Each option's subsidy in PKR").inner_text()
    assert all(t in tariffs for t in ("incremental-package", "average-purchase-cost", "industrial", "Verdict"))
    sources = page.locator("section.sources li")
    assert sources.count() > 5 and page.locator("section.sources a[href^='http']").count() > 0
    with page.expect_download() as got:
        page.locator("a[href$='/allocation.csv']").click()
    rows = list(csv.reader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["zone", "mining_mw", "ai_mw"] and {r[0] for r in rows[1:]} >= {"Thar", "Port Qasim"}

    made.cli("energy", "scenario", "new", "my-case")
    toml = made.root / "scenarios" / "my-case" / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    for old, new in (("pkr_per_kwh = 22.98", "pkr_per_kwh = 27.5"),
                     ('name = "Thar"\nprovince = "Sindh"\nconnection_limit_mw = 500.0',
                      'name = "Thar"\nprovince = "Sindh"\nconnection_limit_mw = 200.0'),
                     ('name = "Jamshoro"\nprovince = "Sindh"\nconnection_limit_mw = 300.0',
                      'name = "Jamshoro"\nprovince = "Sindh"\nconnection_limit_mw = 100.0')):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    toml.write_text(text, encoding="utf-8")
    edited = tomllib.loads(text)
    assert {z["name"]: z["connection_limit_mw"] for z in edited["zone"]}["Thar"] == 200.0
    planned = made.cli("energy", "plan", "--scenario", "scenarios/my-case", "--out", "out/my-case", "--name", "my-case")
    assert planned.get("stored", True) is not False

    page.goto(made.url + "/energy")
    with page.expect_navigation():
        page.locator("#compare-link").click()
    page.get_by_label("Plan A (id or name)").fill("pakistan-2025 demo")
    page.get_by_label("Plan B (id or name)").fill("my-case")
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    table = page.locator("table").first.inner_text()
    assert "B less A" in table and "Mining in zone Thar" in table
    assert "22.98" in table and "27.5" in table
    page.wait_for_selector("#compare-zones[data-chart-ready='true'] svg")

    with page.expect_download() as got:
        page.locator("#compare-csv").click()
    rows = list(csv.reader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["figure", "label", "unit", "a", "b", "difference", "plan_a", "plan_b"]
    thar = next(r for r in rows[1:] if r[1] == "Mining in zone Thar")
    assert float(thar[3]) == 350.0 and float(thar[4]) <= 200.0  # the demo's 350 MW, the copy's 200 MW limit
    assert thar[7].endswith("my-case (draft)")

    figure = page.locator("#compare-zones").locator("xpath=..")
    with page.expect_download() as got:
        figure.locator("[data-chart-download='png']").click()
    png = Path(got.value.path()).read_bytes()
    assert got.value.suggested_filename == "compare-zones.png" and png[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as got:
        figure.locator("[data-chart-download='svg']").click()
    svg = Path(got.value.path()).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and "Thar" in svg
