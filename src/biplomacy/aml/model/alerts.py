"""The alert an AML rule raises: the accounts and transfers it names, a score from 0 to 1, and what it saw."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Alert:
    rule: str
    accounts: list[str]
    transactions: list[str]
    score: float
    evidence: dict[str, object] = field(default_factory=dict)
    profile: str = ""  # the rule profile in force when it was raised (the shipped thresholds' version without one)

    def to_json(self) -> dict[str, Any]:
        """The alert as printed and stored: its fields in order, the score rounded to 4 places (a streaming
        answer's overall score is the unrounded highest)."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["score"] = round(self.score, 4)
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Alert:
        """An alert read back from its JSON (an alerts file of the streaming scorer)."""
        return cls(**{f.name: doc[f.name] for f in fields(cls) if f.name in doc})
