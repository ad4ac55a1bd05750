"""Use cases: adopt a rule profile as the one in force (kept with its model, audited), read the one in force."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from biplomacy.aml.model.profile import from_json
from biplomacy.aml.profiles import Loaded, load, loaded
from biplomacy.aml.results import AdoptedProfile
from biplomacy.aml.tables import AmlProfileRow
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
    now = datetime.now(UTC)
    with store.transaction() as s:
        row = AmlProfileRow(version=used.profile.version, adopted_at=now, adopted_by=actor.name,
                            source=str(path)[:500], profile_json=json.dumps(used.profile.to_json()),
                            model_text=model_text)
        s.add(row)
        s.flush()
        record(s, actor=actor.name, action="aml.profile.adopt", subject=f"aml-profile:{row.id}",
               payload={"profile": used.profile.version, "source": str(path), "learned": used.scorer is not None,
                        "fitted_on": used.profile.fitted_on, "scores": used.profile.scores})
        return AdoptedProfile(row.id, row.version, now, actor.name, row.source, used.scorer is not None)


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
