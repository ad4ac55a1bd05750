"""The records use cases return, and their one JSON form: a record's fields by name, in declaration order.

The field names are the published keys (CLI --json, /api/v1, files), declared once. Values are written as
core.jsonable writes them: Decimals as exact strings, dates in ISO 8601, enums by value; a record or any other
dataclass inside one is written the same way. Three field options keep published shapes:

- `field(metadata=json_key("from"))`: the key, where it cannot be the field's name (a Python keyword);
- `field(metadata=INLINED)`: a record whose keys are written into its parent's object (a result that extends
  another);
- `field(metadata=OMITTED_WHEN_NONE)`: a key that appears only while it has a value.
(Written as dataclasses.field() calls so that type checkers see which fields have defaults.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from biplomacy.core.jsonable import to_jsonable

_KEY, _INLINED, _OMITTED = "json_key", "json_inlined", "json_omitted_when_none"
_PLAIN, _INLINE, _OMIT = 0, 1, 2
_SCALARS = frozenset({str, int, float, bool, type(None)})  # exactly these: a StrEnum is written by its value
_LAYOUTS: dict[type, tuple[tuple[str, str, int], ...]] = {}


INLINED: Mapping[str, bool] = MappingProxyType({_INLINED: True})
OMITTED_WHEN_NONE: Mapping[str, bool] = MappingProxyType({_OMITTED: True})


def json_key(key: str) -> Mapping[str, str]:
    """Field metadata: publish the field under `key` rather than its name."""
    return MappingProxyType({_KEY: key})


def _layout(kind: type) -> tuple[tuple[str, str, int], ...]:
    """(name, key, how) of each field, read once per class: a ledger's JSON holds thousands of records."""
    layout = _LAYOUTS.get(kind)
    if layout is None:
        layout = _LAYOUTS[kind] = tuple(
            (f.name, f.metadata.get(_KEY, f.name),
             _INLINE if f.metadata.get(_INLINED) else _OMIT if f.metadata.get(_OMITTED) else _PLAIN)
            for f in fields(kind))
    return layout


def record_json(record: Any) -> dict[str, Any]:
    """The JSON object of a dataclass instance, by the field options above."""
    out: dict[str, Any] = {}
    for name, key, how in _layout(type(record)):
        value = getattr(record, name)
        if type(value) in _SCALARS:  # most fields: no call (a streaming answer is built per transfer)
            if value is not None or how != _OMIT:
                out[key] = value
        elif how == _INLINE:
            out.update(json_value(value))
        else:
            out[key] = json_value(value)
    return out


def json_value(value: Any) -> Any:
    """The JSON value of a record, a dataclass, a mapping or sequence of them, or a plain value."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is Decimal:
        return format(value, "f")
    if kind is datetime or kind is date:
        return value.isoformat()
    publish = getattr(value, "to_json", None)
    if callable(publish):  # a record, or a model record that publishes itself its own way (a rounded score)
        return publish()
    if is_dataclass(value) and not isinstance(value, type):
        return record_json(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return to_jsonable(value)


class Record:
    """Base of the frozen dataclasses use cases return: `to_json()` is the published document."""

    __slots__ = ()  # adds no __dict__ to a slotted record (those built per streamed transfer)

    def to_json(self) -> dict[str, Any]:
        return record_json(self)
