"""Use case: what changed between two JSON documents, by path (a bundle's part against this installation's own,
a review pack against an earlier one). Lists of records are matched by their name, key, LEI or rule."""

from __future__ import annotations

from typing import Any

from biplomacy.peers.model.diff import diff

KEYS = ("name", "key", "lei", "rule", "source", "profile", "wallet", "txid")


def changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """Every difference: path, change (added/removed/changed), before, after."""
    return [{"path": c.path, "change": c.change, "before": c.ours, "after": c.theirs}
            for c in diff(before, after, KEYS)]
