"""The comparison: four countries, every cell cited from the registry or saying "not published", no invented number."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.provenance import load_registry
from biplomacy.peers.model.programs import (
    COUNTRIES,
    DIMENSIONS,
    NOT_PUBLISHED,
    Cell,
    compare,
    parse_countries,
)

REG = load_registry()


def _cells(c) -> list[tuple[str, str, Cell]]:
    return [(dim, code, cell) for dim, row in c.cells.items() for code, cell in row.items()]


def test_all_four_countries_on_every_dimension_by_default():
    c = compare(REG)
    assert c.countries == ("PK", "SV", "BT", "US")
    assert list(c.cells) == [key for key, _ in DIMENSIONS]
    assert all(list(row) == list(COUNTRIES) for row in c.cells.values())


def test_every_cell_cites_registry_facts_or_says_not_published():
    for dim, code, cell in _cells(compare(REG)):
        if cell.kind == "not published":
            assert cell.text == NOT_PUBLISHED and not cell.cites and cell.value is None, (dim, code)
            continue
        assert cell.kind in ("figure", "estimate", "statement"), (dim, code)
        assert cell.cites, (dim, code)
        for cited in cell.cites:
            fact = REG.get(cited.key)  # raises for a key the registry does not hold
            assert (cited.value, cited.unit, cited.date, cited.source) == (fact.value, fact.unit, fact.date,
                                                                           fact.cite())
            assert fact.pillar in ("peers", "house"), cited.key  # FACTS.md "The program described"


def test_a_figure_is_the_registry_value_of_its_first_cited_fact():
    figures = [(dim, code, cell) for dim, code, cell in _cells(compare(REG)) if cell.kind in ("figure", "estimate")]
    assert len(figures) >= 5
    for dim, code, cell in figures:
        first = REG.get(cell.cites[0].key)
        assert (cell.value, cell.unit, cell.date) == (first.value, first.unit, first.date), (dim, code)


def _numbers(text: str) -> set[Decimal]:
    return {Decimal(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def test_every_number_in_a_statement_or_note_comes_from_a_cited_fact():
    """A statement may only restate what it cites: each number in its text is in a cited fact's value (also in
    millions or billions), label, date or source."""
    for dim, code, cell in _cells(compare(REG)):
        allowed: set[Decimal] = set()
        for cited in cell.cites:
            fact = REG.get(cited.key)
            allowed |= _numbers(f"{fact.label} {fact.date} {fact.cite()}")
            try:
                v = Decimal(fact.value)
                allowed |= {v, v / 1_000_000, v / 1_000_000_000}
            except ArithmeticError:
                pass
        said = _numbers(f"{cell.text} {cell.note}")
        assert said <= allowed, f"{dim}/{code}: {sorted(said - allowed)} in {cell.text!r} / {cell.note!r}"


def test_el_salvador_shows_the_offices_7474_btc_and_the_imfs_unchanged_stock_beside_it():
    row = compare(REG, ["SV", "BT"]).cells["reserve_btc"]
    sv = row["SV"]
    assert (sv.value, sv.date, sv.kind) == ("7474", "2025-11-18", "figure")
    assert [c.key for c in sv.cites] == ["peers.sv.reserve_btc", "peers.sv.reserve_usd", "peers.sv.imf_stock_unchanged"]
    assert "unchanged" in sv.note and "both shown" in sv.note
    assert (row["BT"].value, row["BT"].date, row["BT"].kind) == ("6262", "2025-10-20", "estimate")


def test_bhutans_600_mw_is_labelled_bitdeers_plan():
    cell = compare(REG, ["BT"]).cells["mining_mw"]["BT"]
    assert cell.value == "100" and "Bitdeer's plan" in cell.note
    assert "Bitdeer's plan" in REG.get("peers.bt.hydro_mining_mw_target").label


def test_the_us_reserve_is_not_for_sale_and_its_size_is_an_estimate_labelled_so():
    c = compare(REG, ["US"])
    size = c.cells["reserve_btc"]["US"]
    assert (size.kind, size.value) == ("estimate", "198012") and "(estimate)" in size.text
    assert "28,988.356" in size.note  # the Marshals Service's own figure, shown beside the estimate
    sale = c.cells["reserve_sale"]["US"]
    assert "shall not be sold" in sale.text and sale.cites[0].key == "peers.us.sbr_executive_order"


def test_pakistan_shows_only_the_announced_figures():
    c = compare(REG, ["PK"])
    assert c.cells["mining_mw"]["PK"].value == "2000"
    assert c.cells["reserve_btc"]["PK"].kind == "statement" and "no size published" in c.cells["reserve_btc"]["PK"].text


def test_every_peer_fact_has_an_exact_date_and_most_a_url():
    facts = REG.for_pillar("peers")
    dated = [f for f in facts if len(f.date) == 10]
    assert {f.key for f in facts} - {f.key for f in dated} <= {"peers.sv.volcano_energy_mw"}
    assert all(f.source is not None and f.source.url.startswith("https://") for f in dated)


@pytest.mark.parametrize("text", ["PK,XX", "FR", " , ", "pakistan"])
def test_an_unknown_country_code_is_refused_naming_the_known_ones(text):
    with pytest.raises(InputError) as exc:
        parse_countries(text)
    assert "unknown country code" in str(exc.value) and "SV (El Salvador)" in str(exc.value)


def test_compare_refuses_an_unknown_code_too():
    with pytest.raises(InputError, match="unknown country code FR"):
        compare(REG, ["PK", "FR"])


def test_country_codes_are_case_insensitive_and_deduplicated():
    assert parse_countries("sv, pk,SV") == ("SV", "PK")
    assert parse_countries(None) == ("PK", "SV", "BT", "US")
