"""The template macros pillar pages build on: tables, empty states, source lists and charts."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from biplomacy.core.provenance import parse_registry
from biplomacy.web.rendering import make_templates

FACTS = """
[[fact]]
key = "energy.surplus"
label = "Surplus <power>"
value = "2000"
unit = "MW"
date = "2025-05-28"
source = "Press release"
publisher = "Ministry"
url = "https://example.org/pr"

[[fact]]
key = "energy.guess"
label = "Utilisation"
value = "0.8"
unit = "ratio"
date = "2025-01-01"
assumption = "a planning guess"
"""


def _render(source: str, **context: object) -> str:
    env = make_templates().env
    return env.from_string('{% import "_macros.html" as ui %}' + source).render(**context)


def test_a_table_takes_mappings_or_sequences_and_right_aligns_numbers() -> None:
    columns = [("zone", "Zone"), ("mw", "MW")]
    as_maps = _render("{{ ui.data_table(columns, rows) }}", columns=columns,
                      rows=[{"zone": "Sindh", "mw": Decimal("1200.5")}, {"zone": "Punjab", "mw": None}])
    as_lists = _render("{{ ui.data_table(columns, rows) }}", columns=columns,
                       rows=[("Sindh", Decimal("1200.5")), ("Punjab", None)])
    for html in (as_maps, as_lists):
        assert re.findall(r"<th scope=\"col\">(\w+)</th>", html) == ["Zone", "MW"]
        assert '<td data-label="MW" class="num">1200.5</td>' in html
        assert '<td data-label="MW">—</td>' in html


def test_an_empty_table_is_an_empty_state() -> None:
    html = _render('{{ ui.data_table(["a"], [], caption="Zones", empty="No zones yet.") }}')
    assert 'class="empty-state"' in html and "No zones yet." in html and "<table" not in html


def test_sources_list_cites_sources_and_labels_assumptions_and_escapes_text() -> None:
    facts = list(parse_registry({"energy": FACTS}).facts.values())
    for given in (facts, [f.as_dict() for f in facts]):
        html = _render("{{ ui.sources_list(facts) }}", facts=given)
        assert '<a href="https://example.org/pr"' in html and "Ministry" in html
        assert "Assumption</span> a planning guess" in html
        assert "Surplus &lt;power&gt;" in html


def test_a_chart_carries_its_spec_as_inert_json() -> None:
    spec = {"mark": "bar", "description": "</script><script>alert(1)</script>", "data": {"values": [{"a": 1}]}}
    html = _render('{{ ui.chart("c1", spec, caption="A chart") }}', spec=spec)
    payload = re.search(r'<script type="application/json" data-chart-spec="c1">(.*?)</script>', html, re.S)
    assert payload is not None
    assert json.loads(payload.group(1)) == spec  # the embedded </script> was escaped, not executed
    assert 'role="img" aria-label="A chart"' in html


def test_an_empty_state_can_carry_a_next_step() -> None:
    html = _render('{% call ui.empty_state("No plan yet", "Nothing planned.") %}<code>biplomacy energy plan</code>'
                   '{% endcall %}')
    assert "No plan yet" in html and "<code>biplomacy energy plan</code>" in html
