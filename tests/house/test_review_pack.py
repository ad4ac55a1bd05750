"""Journey 11: the IMF reviewer's pack. `biplomacy review pack --out DIR` writes review.html and review.pdf (and
review.json) from stored inputs alone: the subsidy verdict per tariff with its range, grid strain, the reserve by
source against its policy profile with every flag, register statistics, the audit head, every source. The PDF's
pages are rendered to images and checked; two packs of different dates are diffed; the same pack is a page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.store.db import Store
from biplomacy.supervision.demo import load_demo_register
from tests.energy.plan.conftest import small_scenario  # noqa: F401 - a fixture used below
from tests.reserve.custody.conftest import signers, treasury_descriptor  # noqa: F401 - fixtures used below
from tests.reserve.custody.test_ceremony import ok

TITLE_GREEN = (11, 61, 46)  # h1 colour of the pack (#0b3d2e)
REHEARSAL_PINK = (251, 233, 231)  # the rehearsal banner (#fbe9e7)


def _stored_inputs(cli: Any, store: Store, scenario: Path, descriptor: str, out: Path) -> None:
    """A stored plan, a rehearsal reserve under the IMF's no-accumulation profile with a purchase (flagged) and a
    seizure (not flagged), and the fictional register."""
    ok(cli("energy", "plan", "--scenario", str(scenario), "--out", str(out / "plan"), "--json"))
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", descriptor, "--policy", "imf-no-accumulation",
           "--json"))
    for amount, source in (("2.5", "seizure"), ("0.75", "purchase")):
        address = ok(cli("reserve", "address", "treasury", "--json"))["address"]
        ok(cli("reserve", "chain", "fund", address, amount, "--source", source, "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    load_demo_register(store)


def _colour_near(image: Any, rgb: tuple[int, int, int], box: tuple[int, int, int, int], tolerance: int = 40) -> int:
    """How many pixels inside `box` are within `tolerance` of `rgb`."""
    crop = image.convert("RGB").crop(box)
    return sum(1 for px in crop.get_flattened_data() if all(abs(a - b) <= tolerance for a, b in zip(px, rgb, strict=True)))


def test_the_pack_is_html_and_a_pdf_whose_pages_show_every_section(
        cli: Any, store: Store, small_scenario: Path, treasury_descriptor: str, tmp_path: Path) -> None:  # noqa: F811
    _stored_inputs(cli, store, small_scenario, treasury_descriptor, tmp_path)
    d = ok(cli("review", "pack", "--out", str(tmp_path / "q1"), "--json"))
    folder = tmp_path / "q1"
    assert sorted(p.name for p in folder.iterdir()) == ["review.html", "review.json", "review.pdf"]
    pack = json.loads((folder / "review.json").read_text(encoding="utf-8"))

    tariffs = pack["energy"]["tariffs"]
    assert tariffs and all(t["range_pkr_bn"][0] <= t["range_pkr_bn"][1] and t["verdict"] for t in tariffs)
    assert 0 <= pack["energy"]["strain"]["share_of_surplus_used"] <= 1
    reserve = pack["reserve"]
    assert reserve["rehearsal"] is True and reserve["total_btc"] == "3.25"
    assert {x["source"]: x["btc"] for x in reserve["by_source"]} == {"purchase": "0.75", "seizure": "2.5"}
    assert reserve["flag_count"] == 1 and reserve["flags"][0]["source"] == "purchase"
    assert "voluntary accumulation" in reserve["flags"][0]["flags"][0]
    assert [p["profile"] for p in reserve["profiles_in_force"]] == ["imf-no-accumulation"]
    assert pack["supervision"]["entities"] == pack["supervision"]["fictional_entities"] > 0
    head = ok(cli("audit", "verify", "--json"))
    assert pack["audit"]["head_hash"] == head["head_hash"] == d["audit_head"] and pack["audit"]["valid"] is True
    keys = {s["key"] for s in pack["sources"]}
    assert "energy.pk.avg_purchase_cost_pkr_kwh" in keys and "energy.network.btc_price_usd" in keys
    assert "supervision.regulator" in keys and "reserve.policy.pakistan_fx_reserves_usd" in keys
    html = (folder / "review.html").read_text(encoding="utf-8")
    for section in ("subsidy", "strain", "reserve", "supervision", "audit", "sources"):
        assert f'<section id="{section}">' in html

    pdf = pdfium.PdfDocument(str(folder / "review.pdf"))
    assert len(pdf) >= 2
    text = ""
    for i in range(len(pdf)):
        page = pdf[i]
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        image = page.render(scale=1).to_pil()
        grey = image.convert("L")
        inked = sum(1 for v in grey.get_flattened_data() if v < 200) / (grey.width * grey.height)
        assert inked > 0.01, f"page {i + 1} is blank"
        text += page.get_textpage().get_text_range()
    first = pdf[0].render(scale=1).to_pil()
    assert _colour_near(first, TITLE_GREEN, (0, 0, first.width, first.height // 6)) > 200  # the title, at the top
    assert _colour_near(first, REHEARSAL_PINK, (0, 0, first.width, first.height // 3), tolerance=6) > 2000
    for words in ("IMF review pack", "Subsidy verdict per tariff", "Grid strain", "REHEARSAL", "Every flag (1)",
                  "Register and supervision statistics", pack["audit"]["head_hash"][:24], "Every source cited",
                  tariffs[0]["name"]):
        assert words in text.replace("\r\n", "\n").replace("\n", " ") or words in text, words

    # a later pack, after one more receipt: the diff names what changed and how the audit log grew
    address = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    ok(cli("review", "pack", "--out", str(tmp_path / "q2"), "--json"))
    diff = ok(cli("review", "diff", str(tmp_path / "q1"), str(tmp_path / "q2" / "review.json"), "--json"))
    changed = {c["path"]: (c["before"], c["after"]) for c in diff["changes"]}
    assert changed["reserve.total_btc"] == ("3.25", "4.25")
    assert changed["reserve.by_source[source=seizure].btc"] == ("2.5", "3.5")
    assert diff["audit"]["entries_after"] > diff["audit"]["entries_before"]
    assert "reserve.total_btc" in cli("review", "diff", str(tmp_path / "q1"), str(tmp_path / "q2")).stdout


def test_bad_input_exits_2_naming_it(cli: Any, tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    r = cli("review", "pack", "--out", str(afile))
    assert r.exit_code == 2 and "not a folder" in r.stderr
    r = cli("review", "diff", str(afile), str(afile))
    assert r.exit_code == 2 and "not JSON" in r.stderr
    (tmp_path / "other.json").write_text('{"format": "something-else"}', encoding="utf-8")
    r = cli("review", "diff", str(tmp_path / "other.json"), str(tmp_path / "other.json"))
    assert r.exit_code == 2 and "not a review pack" in r.stderr
    assert cli("review", "diff", str(tmp_path / "absent"), str(afile)).exit_code == 2


def test_the_same_pack_is_a_portal_page_for_the_reviewer(app_client: TestClient, store: Store,
                                                         cli: Any) -> None:
    users.add_user(store, LOCAL_ADMIN, "imf-reviewer", "auditor", password="a long enough password")
    assert app_client.get("/review").status_code in (401, 403)  # not public
    earlier = ok(cli("review", "pack", "--out", "q1", "--json"))
    assert app_client.post("/login", data={"name": "imf-reviewer", "password": "a long enough password"}).status_code == 200
    page = app_client.get("/review")
    assert page.status_code == 200 and "IMF review pack" in page.text and 'id="subsidy"' in page.text
    assert "No stored energy plan" in page.text or "no stored energy plan" in page.text
    pdf = app_client.get("/review/pack.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    before = Path(earlier["json"]).read_bytes()
    users.add_user(store, LOCAL_ADMIN, "second-reviewer", "auditor")  # an audited change since the earlier pack
    diff = app_client.post("/api/v1/review/diff", content=before).json()
    assert diff["audit"]["entries_after"] == diff["audit"]["entries_before"] + 1
    shown = app_client.post("/review/diff", files={"earlier": ("review.json", before)})
    assert shown.status_code == 200 and 'id="pack-diff"' in shown.text
    assert app_client.post("/api/v1/review/diff", content=b"nope").status_code == 422


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
