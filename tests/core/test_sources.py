"""The provenance registry: loads, every figure sourced or labelled an assumption, FACTS.md's figures present."""

import re
from datetime import date
from decimal import Decimal

import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.provenance import load_registry, parse_registry

# (unit, value) pairs from shared/FACTS.md that the shipped registry must carry.
# Issue #15 corrected the tariffs (22.98 is the Roshan Maeeshat package; 33.48 the uniform industrial tariff; 33.38
# the cost of service from 1 Jan 2026, 34.01 FY2026's; 25.98 the national purchase price, 26.34 the XWDISCOs') and
# replaced the unsourced fuel costs with CPPA-G's December 2025 figures.
FACTS_MD = [
    ("MW", "2000"), ("MW", "46605"), ("PKR/kWh", "26.34"), ("PKR/kWh", "25.98"), ("PKR/kWh", "33.38"),
    ("PKR/kWh", "34.01"), ("PKR/kWh", "22.98"), ("PKR/kWh", "33.48"), ("PKR/kWh", "3.23"),
    ("PKR/USD", "281"), ("BTC", "6238"), ("BTC", "13029"),
    ("BTC", "6262"), ("USD", "1400000000"), ("USD", "7000000000"), ("PKR", "100000000"), ("USD", "1000"),
    ("lines", "435"), ("transactions", "120558"),
]


def test_shipped_registry_loads_and_every_fact_is_sourced_or_an_assumption():
    facts = load_registry().for_pillar()
    assert len(facts) >= 100
    for f in facts:
        assert f.source is not None or f.assumption, f.key
        assert f.date, f.key


def test_every_sourced_figure_has_an_exact_date_and_a_url_or_a_document_reference():
    day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    for f in load_registry().for_pillar():
        assert day.match(f.date), f"{f.key}: date {f.date!r}"
        if f.source is not None:
            assert day.match(f.source.date), f"{f.key}: source date {f.source.date!r}"
            assert f.source.url.startswith("https://") or f.source.reference.strip(), f"{f.key} has no URL or reference"


def test_a_sourced_figure_without_a_link_or_an_exact_date_is_refused():
    text = ('[[fact]]\nkey="a"\nlabel="x"\nvalue="1"\nunit="MW"\ndate="2025"\nsource="s"\npublisher="p"\n'
            'url="https://example.org/a"\n'
            '[[fact]]\nkey="b"\nlabel="y"\nvalue="2"\nunit="MW"\ndate="2025-02-30"\nsource="s"\npublisher="p"\n'
            'reference="p. 3"\n'
            '[[fact]]\nkey="c"\nlabel="z"\nvalue="3"\nunit="MW"\ndate="2025-02-03"\nsource="s"\npublisher="p"\n')
    with pytest.raises(InputError) as exc:
        parse_registry({"energy": text})
    messages = " | ".join(i.message for i in exc.value.issues)
    assert "a: date '2025' is not an exact date" in messages
    assert "b: date '2025-02-30' is not an exact date" in messages
    assert "c has a source but neither a url nor a reference" in messages


def test_stale_lists_figures_older_than_a_year_and_leaves_standing_rules_out():
    text = ('[[fact]]\nkey="old"\nlabel="x"\nvalue="1"\nunit="MW"\ndate="2024-01-01"\nsource="s"\npublisher="p"\n'
            'reference="t. 1"\n'
            '[[fact]]\nkey="rule"\nlabel="y"\nvalue="2"\nunit="MW"\ndate="2009-01-03"\nsource="s"\npublisher="p"\n'
            'reference="t. 2"\nstanding=true\n'
            '[[fact]]\nkey="fresh"\nlabel="z"\nvalue="3"\nunit="MW"\ndate="2025-06-01"\nassumption="because"\n')
    reg = parse_registry({"energy": text})
    assert [f.key for f in reg.stale(date(2025, 12, 31))] == ["old"]
    assert [f.key for f in reg.stale(date(2026, 6, 2))] == ["old", "fresh"]


@pytest.mark.parametrize(("unit", "value"), FACTS_MD)
def test_figures_of_facts_md_are_in_the_registry(unit, value):
    found = [f for f in load_registry().for_pillar()
             if f.unit == unit and _same(f.value, value)]
    assert found, f"{value} {unit} from FACTS.md is missing from the registry"


def _same(a: str, b: str) -> bool:
    try:
        return Decimal(a) == Decimal(b)
    except ArithmeticError:
        return a == b


def test_every_pillar_has_figures():
    reg = load_registry()
    for pillar in ("house", "energy", "reserve", "supervision", "peers"):
        assert reg.for_pillar(pillar), pillar


def test_unsourced_figure_and_duplicate_key_are_both_reported():
    text = '[[fact]]\nkey="a"\nlabel="x"\nvalue="1"\nunit="MW"\ndate="2025-01-01"\n' \
           '[[fact]]\nkey="b"\nlabel="y"\nvalue="2"\nunit="MW"\ndate="2025-01-01"\nassumption="because"\n'
    with pytest.raises(InputError) as exc:
        parse_registry({"energy": text, "energy-x": text.replace('key="a"', 'key="c"')})
    messages = [i.message for i in exc.value.issues]
    assert any("neither a source nor an assumption" in m for m in messages)
    assert any("defined twice" in m for m in messages)


def test_sources_stale_json_lists_the_old_figures_with_their_age(cli_nodb):
    res = cli_nodb("sources", "--stale", "--as-of", "2026-12-06", "--pillar", "energy", "--json")
    assert res.exit_code == 0, res.stderr
    rows = res.json
    keys = {r["key"] for r in rows}
    assert "energy.pk.avg_purchase_cost_pkr_kwh" in keys  # 2025-06-24: older than a year on 2026-12-06
    assert "energy.network.subsidy_btc" not in keys  # a standing consensus rule
    assert all(r["age_days"] > 365 for r in rows)
    assert all(r["source"] is None or r["source"]["url"] or r["source"]["reference"] for r in rows)


def test_sources_as_of_without_stale_and_a_bad_day_are_refused(cli_nodb):
    assert cli_nodb("sources", "--as-of", "2026-01-01").exit_code == 2
    bad = cli_nodb("sources", "--stale", "--as-of", "2026-13-01")
    assert bad.exit_code == 2 and "--as-of" in bad.stderr
