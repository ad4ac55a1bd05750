"""A rule profile: the thresholds fitted to a supervisor's labelled cases, what they were fitted on, the scores
they reached there, and optionally a learned scorer (its model file named by SHA-256).

Written as JSON by `supervise aml calibrate`, read by `aml scan --profile`, `aml evaluate --profile` and the
streaming scorer; its `version` is shown on every alert and audit entry. FORMAT changes when the meaning of
a field does; a profile of another format is refused with both formats named.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.core.errors import InputError

FORMAT = "biplomacy-aml-profile/1"
DEFAULT_VERSION = "v3"  # what alerts say when no profile is in force: the shipped thresholds' version


@dataclass(frozen=True)
class LearnedModel:
    kind: str  # gbt
    library: str  # e.g. lightgbm 4.7.0
    file: str  # the model file's name, beside the profile
    sha256: str
    features: tuple[str, ...]
    threshold: float  # an account is raised at or above this probability


@dataclass(frozen=True)
class Profile:
    version: str
    created_at: str
    thresholds: Thresholds
    amount_grid: tuple[float, ...]  # the fitted-on amounts' 0.0 %, 0.1 %, ... 100 % quantiles
    amount_quantiles: dict[str, float]  # rule -> the quantile its amount ceiling was fitted as (1.0: none)
    fitted_on: dict[str, Any]
    objective: dict[str, Any]
    scores: dict[str, Any]
    model: LearnedModel | None

    def to_json(self) -> dict[str, Any]:
        th = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in asdict(self.thresholds).items()}
        th["disabled"] = list(self.thresholds.disabled)
        return {"format": FORMAT, "version": self.version, "created_at": self.created_at, "thresholds": th,
                "amount_quantiles": self.amount_quantiles, "fitted_on": self.fitted_on, "objective": self.objective,
                "scores": self.scores, "model": None if self.model is None else
                {**asdict(self.model), "features": list(self.model.features)},
                "amount_grid": list(self.amount_grid)}


def version_of(body: dict[str, Any]) -> str:
    """A profile's version: its date and the first 12 hex digits of the SHA-256 of what it decides with."""
    canon = json.dumps({k: body[k] for k in ("thresholds", "model", "amount_grid")}, sort_keys=True)
    return f"{body['created_at'][:10]}-{hashlib.sha256(canon.encode()).hexdigest()[:12]}"


def from_json(doc: Any, source: str) -> Profile:
    """A profile read back; another format, a missing field or a thresholds field of the wrong type is an
    InputError naming it (field "profile")."""
    if not isinstance(doc, dict):
        raise InputError(f"{source}: not a rule profile (a JSON object is expected)", field="profile")
    if doc.get("format") != FORMAT:
        raise InputError(f"{source}: profile format {doc.get('format')!r}; this Biplomacy reads {FORMAT!r} "
                         "(recalibrate with `supervise aml calibrate`)", field="profile")
    try:
        known = {f.name: f for f in fields(Thresholds)}
        raw = doc["thresholds"]
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise InputError(f"{source}: thresholds {unknown} are not known to this Biplomacy", field="profile")
        missing = sorted(set(known) - set(raw) - {"version"})
        if missing:  # a rule added since: the profile cannot say whether it should run or how
            raise InputError(f"{source}: the profile has no thresholds {missing[:5]} (written by another version of "
                             "Biplomacy; recalibrate with `supervise aml calibrate`)", field="profile")
        th: dict[str, Any] = {}
        for k, v in raw.items():
            default = getattr(Thresholds(), k)
            if k == "disabled":
                th[k] = tuple(str(x) for x in v)
            elif v is None and isinstance(default, float):
                th[k] = math.inf
            elif isinstance(default, bool) or not isinstance(v, type(default) if not isinstance(default, float)
                                                                 else (int, float)):
                raise InputError(f"{source}: thresholds.{k} is {v!r}, not a {type(default).__name__}", field="profile")
            else:
                th[k] = type(default)(v)
        th["version"] = str(doc["version"])
        m = doc.get("model")
        model = None if m is None else LearnedModel(str(m["kind"]), str(m["library"]), str(m["file"]),
                                                     str(m["sha256"]), tuple(m["features"]), float(m["threshold"]))
        grid = tuple(float(x) for x in doc["amount_grid"])
        return Profile(str(doc["version"]), str(doc["created_at"]), Thresholds(**th), grid,
                       dict(doc.get("amount_quantiles", {})), dict(doc.get("fitted_on", {})),
                       dict(doc.get("objective", {})), dict(doc.get("scores", {})), model)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{source}: not a complete rule profile ({type(exc).__name__}: {exc})",
                         field="profile") from None
