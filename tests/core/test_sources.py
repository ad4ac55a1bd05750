"""The provenance registry: loads, every figure sourced or labelled an assumption, FACTS.md's figures present."""

from decimal import Decimal

import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.provenance import load_registry, parse_registry

# (unit, value) pairs from shared/FACTS.md that the shipped registry must carry.
FACTS_MD = [
    ("MW", "2000"), ("MW", "46605"), ("MW", "30000"), ("MW", "12000"), ("PKR/kWh", "26.34"),
    ("PKR/kWh", "34.01"), ("PKR/kWh", "22.98"), ("PKR/kWh", "34.9"), ("PKR/kWh", "11.2"), ("PKR/kWh", "16.6"),
    ("PKR/kWh", "24.3"), ("PKR/kWh", "2.1"), ("PKR/USD", "281"), ("BTC", "6238"), ("BTC", "13029"),
    ("BTC", "6262"), ("USD", "1400000000"), ("USD", "7000000000"), ("PKR", "100000000"), ("USD", "1000"),
    ("lines", "435"), ("transactions", "120558"),
]


def test_shipped_registry_loads_and_every_fact_is_sourced_or_an_assumption():
    facts = load_registry().for_pillar()
    assert len(facts) >= 100
    for f in facts:
        assert f.source is not None or f.assumption, f.key
        assert f.date, f.key


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
    text = '[[fact]]\nkey="a"\nlabel="x"\nvalue="1"\nunit="MW"\ndate="2025"\n' \
           '[[fact]]\nkey="b"\nlabel="y"\nvalue="2"\nunit="MW"\ndate="2025"\nassumption="because"\n'
    with pytest.raises(InputError) as exc:
        parse_registry({"energy": text, "energy-x": text.replace('key="a"', 'key="c"')})
    messages = [i.message for i in exc.value.issues]
    assert any("neither a source nor an assumption" in m for m in messages)
    assert any("defined twice" in m for m in messages)
