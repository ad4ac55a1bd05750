"""Use cases: adopt a rule profile as the one in force (kept with its model, audited), read the one in force.

A peer's `aml-rules` bundle part, once adopted (`peers bundle import --adopt aml-rules`), becomes a profile in
force too: its thresholds laid over the shipped ones, without a learned scorer (peers/bundles.py)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.aml.model.profile import Profile, from_json, version_of
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.profiles import Loaded, load, loaded
from biplomacy.aml.results import AdoptedProfile
from biplomacy.aml.scan import thresholds
from biplomacy.aml.tables import AmlProfileRow
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house.audit import record
from biplomacy.store.db import Store


def adopt_profile(store: Store, actor: Actor, path: Path) -> AdoptedProfile:
    """Check the profile and its model (nothing is stored when either is wrong), then keep both as in force."""
    authorize(actor, "aml.scan")
    used = load(path)
    model_text = None
    if used.profile.model is not None:
        model_text = path.with_name(used.profile.model.file).read_text(encoding="utf-8")
    with store.transaction() as s:
        return keep_in_force(s, actor, used.profile, model_text, str(path),
                             {"learned": used.scorer is not None, "fitted_on": used.profile.fitted_on,
                              "scores": used.profile.scores})


def profile_from_thresholds(text: str, source: str, origin: dict[str, Any]) -> Profile:
    """A profile without a learned scorer from a thresholds TOML (an `aml-rules` part adopted from a peer's
    bundle), laid over the shipped thresholds; `origin` says where it came from. A TOML that does not parse or
    gives a figure of the wrong type is an InputError naming `source`."""
    try:
        th = thresholds(text)
        given = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
        raise InputError(f"{source}: its AML thresholds are not a readable thresholds TOML ({exc})",
                         field="adopt") from None
    known = {f.name for f in fields(Thresholds)}
    origin = {**origin, "thresholds_given": sorted(set(given) & known),  # the rest are v3's
              "left_out": sorted(set(given) - known)}  # e.g. an older release's names: recorded, not applied
    created = datetime.now(UTC).isoformat(timespec="seconds")
    body = Profile("", created, th, (), {}, origin, {"metric": "adopted from a peer's bundle"}, {}, None).to_json()
    return from_json({**body, "version": version_of(body)}, source)


def keep_in_force(s: Session, actor: Actor, profile: Profile, model_text: str | None, source: str,
                  audit: dict[str, Any]) -> AdoptedProfile:
    """Store `profile` as the one in force (the newest row) in the caller's transaction, audited."""
    now = datetime.now(UTC)
    row = AmlProfileRow(version=profile.version, adopted_at=now, adopted_by=actor.name, source=source[:500],
                        profile_json=json.dumps(profile.to_json()), model_text=model_text)
    s.add(row)
    s.flush()
    record(s, actor=actor.name, action="aml.profile.adopt", subject=f"aml-profile:{row.id}",
           payload={"profile": profile.version, "source": source, **audit})
    return AdoptedProfile(row.id, row.version, now, actor.name, row.source, model_text is not None)


def adopted(store: Store, actor: Actor) -> AdoptedProfile | None:
    authorize(actor, "aml.scan")
    with store.read() as s:
        row = s.execute(select(AmlProfileRow).order_by(AmlProfileRow.id.desc()).limit(1)).scalar_one_or_none()
        if row is None:
            return None
        return AdoptedProfile(row.id, row.version, row.adopted_at, row.adopted_by, row.source, row.model_text is not None)


def profile_in_force(store: Store, path: Path | None) -> Loaded | None:
    """The profile a scorer runs with: the file named, else the newest adopted one, else None (shipped thresholds)."""
    if path is not None:
        return load(path)
    with store.read() as s:
        row = s.execute(select(AmlProfileRow).order_by(AmlProfileRow.id.desc()).limit(1)).scalar_one_or_none()
        if row is None:
            return None
        profile = from_json(json.loads(row.profile_json), f"adopted profile {row.id}")
        return loaded(profile, row.model_text, f"adopted profile {row.id}")
