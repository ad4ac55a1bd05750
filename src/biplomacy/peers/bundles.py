"""Use cases of the knowledge exchange: build a signed bundle, keep it as published, verify a peer's bundle
against its pinned key, show what each part would change here, and adopt parts on an explicit choice.

Import reads the bundle -> verifies signature, hashes, schema and dates (every problem named) -> diffs each part
against this installation's own -> adopts only the parts named, each in the audit log with the bundle's hash,
all in one transaction. An invalid bundle is refused whole and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from biplomacy.aml import profile_store
from biplomacy.core.errors import InputError, Issue, NotFound
from biplomacy.core.networks import is_rehearsal
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.house.audit import record
from biplomacy.peers import bundle_parts
from biplomacy.peers.keys import load_key
from biplomacy.peers.model.bundle import (
    PartEntry,
    build_manifest,
    canonical,
    content_hash,
    parse_public_key,
    public_key_text,
    sign_bundle,
    verify_document,
)
from biplomacy.peers.model.diff import diff
from biplomacy.peers.model.parts import PART_KINDS
from biplomacy.peers.results import Adoption, BuiltBundle, BundleCheck, PartDiff, PublishedBundle
from biplomacy.peers.tables import AdoptionRow, PublishedBundleRow
from biplomacy.reserve import statements as reserve_statements
from biplomacy.store.db import Store

MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_CHANGES = 200
DEFAULT_DAYS = 365
NOT_COMPARED = {"aml-rules": ("evaluation",)}  # the issuer's measured scores: this side has none stored


def build_bundle(store: Store | None, actor: Actor, key_file: Path, *, program: str, country: str,
                 bundle_version: str = "1", parts: Sequence[str] = (), days: int = DEFAULT_DAYS,
                 aml_evaluation: Path | None = None, now: datetime | None = None) -> BuiltBundle:
    """A bundle of this installation's parts (`parts`: names from bundle_parts.READERS; none: all it has),
    signed with the key in `key_file`. Nothing is written; `keep_published` records it once the file is out."""
    authorize(actor, "peers.bundle.export")
    unknown = [p for p in parts if p not in bundle_parts.READERS]
    if unknown:
        raise InputError(f"unknown part {', '.join(unknown)}; known: {', '.join(bundle_parts.READERS)}", field="part")
    if not 1 <= days <= 3650:
        raise InputError("a bundle is valid for 1 to 3,650 days", field="days")
    if not program.strip() or not country.strip():
        raise InputError("a bundle names its issuing program and country", field="program")
    key = load_key(key_file)
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    entries, left_out = [], []
    for name in parts or tuple(bundle_parts.READERS):
        reader = bundle_parts.READERS[name]
        content = (bundle_parts.aml_rules(store, aml_evaluation) if name == "aml-rules" else reader(store))
        if content is None:
            left_out.append(name)
            continue
        entries.append(PartEntry(name, name, PART_KINDS[name].title, content))
    if not entries:
        raise InputError("this installation has none of the parts asked for", field="part")
    reg = load_registry()
    sources = reg.cited(k for e in entries for k in bundle_parts.source_keys(e.name, e.content) if k in reg.facts)
    manifest = build_manifest(bundle_version=bundle_version, program=program.strip(), country=country.strip().upper(),
                              public_key=public_key_text(key.public_key()), issued_at=issued,
                              expires_at=issued + timedelta(days=days), parts=entries, sources=sources)
    doc = sign_bundle(manifest, entries, key)
    text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return BuiltBundle(text, hashlib.sha256(text.encode("utf-8")).hexdigest(), manifest, tuple(left_out))


def keep_published(store: Store, actor: Actor, built: BuiltBundle, *, out: str) -> int:
    """Record an exported bundle (offered for download on the portal), audited; returns its id."""
    authorize(actor, "peers.bundle.export")
    m = built.manifest
    with store.transaction() as s:
        existing = s.scalars(select(PublishedBundleRow).where(PublishedBundleRow.sha256 == built.sha256)).first()
        if existing is not None:
            return existing.id
        row = PublishedBundleRow(sha256=built.sha256, program=m["issuer"]["program"], country=m["issuer"]["country"],
                                 public_key=m["issuer"]["public_key"], bundle_version=m["bundle_version"],
                                 issued_at=datetime.fromisoformat(m["issued_at"]),
                                 expires_at=datetime.fromisoformat(m["expires_at"]),
                                 parts=json.dumps([p["name"] for p in m["parts"]]), content=built.text,
                                 created_by=actor.name)
        s.add(row)
        s.flush()
        record(s, actor=actor.name, action="peers.bundle.export", subject=f"bundle/{built.sha256}",
               payload={"sha256": built.sha256, "public_key": m["issuer"]["public_key"], "file": out,
                        "parts": {p["name"]: p["sha256"] for p in m["parts"]}, "expires_at": m["expires_at"]})
        return row.id


def _parse(data: bytes) -> tuple[Any, list[Issue]]:
    if len(data) > MAX_BUNDLE_BYTES:
        return None, [Issue("format", "", f"the file is {len(data):,} bytes; a bundle is at most {MAX_BUNDLE_BYTES:,}")]
    try:
        return json.loads(data.decode("utf-8")), []
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [Issue("format", "", f"not a bundle: the file is not UTF-8 JSON ({exc})")]


def verify_bundle(data: bytes, trust: str, now: datetime | None = None) -> BundleCheck:
    """Every problem of the bundle `data` against the pinned public key `trust` (`ed25519:<base64>`; the CLI reads
    it from a file when given one, the portal never reads files)."""
    trusted = parse_public_key(trust)
    sha = hashlib.sha256(data).hexdigest()
    doc, problems = _parse(data)
    manifest = None
    if not problems:
        verdict = verify_document(doc, trusted, now or datetime.now(UTC))
        problems, manifest = list(verdict.problems), verdict.manifest
        if not problems:
            problems = _statement_problems(doc)
    m = manifest if isinstance(manifest, dict) else {}
    issuer = m.get("issuer") if isinstance(m.get("issuer"), dict) else None
    return BundleCheck(not problems, tuple(p.as_dict() for p in problems), sha, public_key_text(trusted), issuer,
                       m.get("bundle_version"), m.get("issued_at"), m.get("expires_at"))


def _statement_problems(doc: dict[str, Any]) -> list[Issue]:
    """A signed bundle may still carry a reserve statement whose own signatures fail, or a rehearsal statement
    (regtest coins) presented as a national one: each is a problem of that part."""
    problems = []
    kinds = {p["name"]: p["kind"] for p in doc["manifest"]["parts"]}
    for name, content in doc["parts"].items():
        if kinds.get(name) != "reserve-statement":
            continue
        statement = content["statement"]
        verdict = reserve_statements.check(statement)
        if not verdict.valid:
            problems.append(Issue("statement-invalid", f"parts.{name}.statement",
                                  f"the reserve statement does not verify: {verdict.reason}"))
        if is_rehearsal(str(statement.get("network") or "").lower()) and content["rehearsal"] is not True:
            problems.append(Issue("rehearsal-as-real", f"parts.{name}.rehearsal",
                                  f"the statement is on the {statement.get('network')} rehearsal chain but the part "
                                  "does not mark it as a rehearsal"))
    return problems


def _ours(store: Store, kind: str) -> tuple[Any, str]:
    """What this installation has of `kind`, for the diff, and how to name it."""
    if kind == "aml-rules":
        return bundle_parts.aml_rules(store, scores=False), "this installation's AML thresholds and rules"
    reader = bundle_parts.READERS.get(kind)
    if reader is None:
        return None, "nothing of this kind here"
    return reader(store), f"this installation's {PART_KINDS[kind].title.lower()}" if kind in PART_KINDS else kind


def _compared(kind: str, content: Any) -> Any:
    drop = NOT_COMPARED.get(kind, ())
    return {k: v for k, v in content.items() if k not in drop} if isinstance(content, dict) and drop else content


def import_bundle(store: Store, actor: Actor, data: bytes, trust: str, adopt: Sequence[str] = (),
                  now: datetime | None = None) -> BundleCheck:
    """Verify `data` against `trust`, diff every part against this installation, and adopt the parts named in
    `adopt` (each recorded with the bundle's hash). An invalid bundle, or an unknown part, changes nothing."""
    if adopt:
        authorize(actor, "peers.bundle.adopt")
    check = verify_bundle(data, trust, now)
    if not check.valid:
        names = ", ".join(sorted({p["code"] for p in check.problems}))
        issues = [Issue(p["code"], p["path"], p["message"]) for p in check.problems]
        raise InputError(f"bundle {check.sha256[:16]} refused ({names}); nothing was adopted or changed",
                         field="bundle", issues=issues)
    doc = json.loads(data.decode("utf-8"))
    manifest, contents = doc["manifest"], doc["parts"]
    listed = {p["name"]: p for p in manifest["parts"]}
    unknown = [a for a in adopt if a not in listed]
    if unknown:
        raise InputError(f"the bundle has no part {', '.join(unknown)}; its parts: {', '.join(listed)}",
                         field="adopt")
    with store.read() as s:
        done = set(s.scalars(select(AdoptionRow.part).where(AdoptionRow.bundle_sha256 == check.sha256)))
    diffs = []
    for name, entry in listed.items():
        kind = entry["kind"]
        ours, label = _ours(store, kind)
        changes = diff(_compared(kind, ours), _compared(kind, contents[name]), PART_KINDS[kind].item_keys)
        diffs.append(PartDiff(name, kind, entry.get("title", kind), entry["sha256"],
                              tuple({"path": c.path, "change": c.change, "ours": c.ours, "theirs": c.theirs}
                                    for c in changes[:MAX_CHANGES]), len(changes), label,
                              adopted=name in adopt and name not in done, already_adopted=name in done))
    fresh = [a for a in dict.fromkeys(adopt) if a not in done]
    if fresh:
        profiles = {name: _aml_profile(check.sha256, manifest, name, contents[name]) for name in fresh
                    if listed[name]["kind"] == "aml-rules"}  # checked before anything is stored
        _adopt(store, actor, check.sha256, manifest, contents, fresh, profiles)
    return BundleCheck(True, (), check.sha256, check.trusted_key, check.issuer, check.bundle_version,
                       check.issued_at, check.expires_at, tuple(diffs), tuple(fresh))


def _aml_profile(sha: str, manifest: dict[str, Any], name: str, content: Any) -> Any:
    """An adopted aml-rules part as the AML rule profile it puts in force (its thresholds over the shipped ones)."""
    text = content.get("thresholds_toml") if isinstance(content, dict) else None
    source = f"bundle {sha[:16]} part {name}"
    if not isinstance(text, str):
        raise InputError(f"{source}: has no thresholds_toml to adopt; nothing was adopted or changed", field="adopt")
    issuer = manifest["issuer"]
    return profile_store.profile_from_thresholds(text, source, {
        "bundle_sha256": sha, "part": name, "issuer": issuer["program"], "country": issuer["country"],
        "issued_at": manifest["issued_at"], "thresholds_version": content.get("thresholds_version")})


def _adopt(store: Store, actor: Actor, sha: str, manifest: dict[str, Any], contents: dict[str, Any],
           names: list[str], aml_profiles: dict[str, Any]) -> None:
    issuer = manifest["issuer"]
    listed = {p["name"]: p for p in manifest["parts"]}
    at = datetime.now(UTC)
    with store.transaction() as s:
        for name in names:
            entry = listed[name]
            s.add(AdoptionRow(bundle_sha256=sha, part=name, kind=entry["kind"], part_sha256=entry["sha256"],
                              program=issuer["program"], country=issuer["country"], public_key=issuer["public_key"],
                              issued_at=datetime.fromisoformat(manifest["issued_at"]),
                              content=canonical(contents[name]).decode("utf-8"), adopted_at=at,
                              adopted_by=actor.name))
            record(s, actor=actor.name, action="peers.bundle.adopt", subject=f"bundle/{sha}/{name}",
                   payload={"bundle_sha256": sha, "part": name, "kind": entry["kind"], "part_sha256": entry["sha256"],
                            "issuer": issuer["program"], "country": issuer["country"],
                            "public_key": issuer["public_key"], "bundle_version": manifest["bundle_version"]})
            if name in aml_profiles:  # the AML scan and streaming scorer run with it from now on
                profile_store.keep_in_force(s, actor, aml_profiles[name], None, f"bundle/{sha}/{name}",
                                            {"learned": False, "fitted_on": aml_profiles[name].fitted_on})


def adoptions(store: Store) -> list[Adoption]:
    with store.read() as s:
        rows = s.scalars(select(AdoptionRow).order_by(AdoptionRow.id)).all()
        return [Adoption(r.id, r.bundle_sha256, r.part, r.kind, r.part_sha256, r.program, r.country, r.public_key,
                         _iso(r.issued_at), _iso(r.adopted_at), r.adopted_by) for r in rows]


def adopted_content(store: Store, adoption_id: int) -> tuple[Adoption, Any]:
    """One adopted part and its content (e.g. the AML thresholds to pass to `supervise aml scan`)."""
    found = {a.id: a for a in adoptions(store)}.get(adoption_id)
    if found is None:
        raise NotFound(f"no adopted part {adoption_id} (see `biplomacy peers adopted`)", field="id")
    with store.read() as s:
        row = s.get(AdoptionRow, adoption_id)
        assert row is not None
        content = json.loads(row.content)
    if content_hash(content) != found.part_sha256:
        raise InputError(f"adopted part {adoption_id} no longer matches its recorded hash", field="id")
    return found, content


def canonical_text(content: Any) -> str:
    """A part's content as indented JSON, for a file a person reads."""
    return json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def published(store: Store) -> list[PublishedBundle]:
    with store.read() as s:
        rows = s.scalars(select(PublishedBundleRow).order_by(PublishedBundleRow.id.desc())).all()
        return [PublishedBundle(r.id, r.sha256, r.program, r.country, r.public_key, r.bundle_version,
                                _iso(r.issued_at), _iso(r.expires_at), tuple(json.loads(r.parts))) for r in rows]


def published_file(store: Store, ident: str) -> tuple[PublishedBundle, str]:
    """A published bundle's file, by id or "latest"."""
    items = published(store)
    chosen = items[0] if ident == "latest" and items else next((b for b in items if str(b.id) == ident), None)
    if chosen is None:
        raise NotFound(f"no published bundle {ident!r}", field="id")
    with store.read() as s:
        row = s.get(PublishedBundleRow, chosen.id)
        assert row is not None
        return chosen, row.content


def _iso(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat(timespec="seconds")
