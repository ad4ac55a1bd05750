"""What a bundle's part would change against what this installation has: a diff of two JSON values by path.

Lists of objects are matched by an identifying field (a rule's name, an entity's LEI, a fact's key), so that a
list in another order is not reported as changed; other lists are compared item by item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MISSING = object()


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: `ours` is what this installation has, `theirs` what the bundle holds (None when absent)."""

    path: str
    change: str  # "added" (only in the bundle), "removed" (only here), "changed"
    ours: Any
    theirs: Any


def _id_of(item: Any, keys: Sequence[str]) -> str | None:
    if not isinstance(item, dict):
        return None
    for k in keys:
        if isinstance(item.get(k), (str, int)) and not isinstance(item.get(k), bool):
            return f"{k}={item[k]}"
    return None


def _flatten(value: Any, path: str, keys: Sequence[str], out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for k in sorted(value):
            _flatten(value[k], f"{path}.{k}" if path else str(k), keys, out)
    elif isinstance(value, list):
        ids = [_id_of(v, keys) for v in value]
        keyed = all(i is not None for i in ids) and len(set(ids)) == len(ids)
        if not value:
            out[path] = []
        for n, v in enumerate(value):
            _flatten(v, f"{path}[{ids[n] if keyed else n}]", keys, out)
    else:
        out[path] = value


def diff(ours: Any, theirs: Any, keys: Sequence[str] = ("name", "key", "lei", "rule")) -> list[Change]:
    """The differences between `ours` (None: nothing of the kind here) and `theirs`, by path, sorted."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    if ours is not None:
        _flatten(ours, "", keys, a)
    _flatten(theirs, "", keys, b)
    out = []
    for path in sorted(a.keys() | b.keys()):
        x, y = a.get(path, MISSING), b.get(path, MISSING)
        if x is MISSING:
            out.append(Change(path, "added", None, y))
        elif y is MISSING:
            out.append(Change(path, "removed", x, None))
        elif x != y:
            out.append(Change(path, "changed", x, y))
    return out
