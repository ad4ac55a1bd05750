"""Use cases: keep each loaded sanctions list as a new version (audited) and read the history or the latest."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from biplomacy.aml.model.sanctions import SanctionsList
from biplomacy.aml.results import SanctionsStored, SanctionsVersion
from biplomacy.aml.sanctions import load_file, load_list
from biplomacy.aml.tables import SanctionsListRow
from biplomacy.core.errors import Issue
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.records import json_value
from biplomacy.house.audit import record
from biplomacy.store.db import Store


def store_list(store: Store, actor: Actor, path: Path) -> SanctionsStored:
    """Validate a list (bad input stores nothing), then keep it as a new version in one audited transaction."""
    authorize(actor, "sanctions.update")
    summary = load_file(path)
    lst = load_list(path)
    text = "\n".join(sorted(lst.addresses))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with store.transaction() as session:
        row = SanctionsListRow(name=lst.name, sha256=digest, loaded_at=datetime.now(UTC), loaded_by=actor.name,
                               addresses=len(lst.addresses), addresses_text=text,
                               rejected_json=json.dumps(json_value(summary.rejected)))
        session.add(row)
        session.flush()
        record(session, actor=actor.name, action="sanctions.update", subject=f"sanctions-list:{row.id}",
               payload={"name": lst.name, "sha256": digest, "addresses": len(lst.addresses),
                        "rejected": len(summary.rejected)})
        return SanctionsStored(summary.list_name, summary.addresses, summary.rejected, row.id, digest)


def versions(store: Store, actor: Actor) -> list[SanctionsVersion]:
    authorize(actor, "aml.read")
    with store.transaction() as session:
        rows = session.scalars(select(SanctionsListRow).order_by(SanctionsListRow.id.desc())).all()
        return [SanctionsVersion(r.id, r.name, r.sha256, r.loaded_at, r.loaded_by, r.addresses,
                                 len(json.loads(r.rejected_json))) for r in rows]


def latest(store: Store) -> SanctionsList | None:
    """The most recently loaded version, or None when none was stored (callers fall back to the snapshot)."""
    with store.transaction() as session:
        r = session.scalars(select(SanctionsListRow).order_by(SanctionsListRow.id.desc()).limit(1)).first()
        if r is None:
            return None
        rejected = tuple(Issue(**d) for d in json.loads(r.rejected_json))
        return SanctionsList(f"{r.name} (version {r.id})", frozenset(r.addresses_text.split()), rejected)
