"""A record's JSON is its fields by name, in order, written exactly; the three field options keep published shapes."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from biplomacy.core.records import INLINED, OMITTED_WHEN_NONE, Record, json_key, json_value


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Inner(Record):
    state: Colour
    since: date


@dataclass(frozen=True)
class Outer(Record):
    amount_btc: Decimal
    from_state: str = field(metadata=json_key("from"))
    inner: Inner = field(metadata=INLINED)
    at: datetime | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    rows: tuple[Inner, ...] = ()


def test_fields_by_name_in_order_with_exact_values():
    doc = Outer(Decimal("0.00000001"), "draft", Inner(Colour.RED, date(2026, 1, 2)),
                datetime(2026, 1, 2, 3, 4, 5), (Inner(Colour.RED, date(2025, 12, 31)),)).to_json()
    assert list(doc) == ["amount_btc", "from", "state", "since", "at", "rows"]
    assert doc["amount_btc"] == "0.00000001"  # exact, never 1E-8
    assert doc["state"] == "red" and doc["since"] == "2026-01-02" and doc["at"] == "2026-01-02T03:04:05"
    assert doc["rows"] == [{"state": "red", "since": "2025-12-31"}]


def test_a_key_left_out_while_none_appears_once_it_has_a_value():
    inner = Inner(Colour.RED, date(2026, 1, 2))
    assert "at" not in Outer(Decimal(1), "x", inner).to_json()
    assert json_value([Outer(Decimal(1), "x", inner)])[0]["from"] == "x"


def test_a_record_that_publishes_itself_otherwise_is_written_its_own_way():
    @dataclass(frozen=True)
    class Kept(Record):
        stored: dict[str, int]

        def to_json(self) -> dict[str, int]:
            return dict(self.stored)

    assert json_value({"plan": Kept({"a": 1})}) == {"plan": {"a": 1}}
