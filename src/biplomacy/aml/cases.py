"""Use cases: keep a scan and its alerts (one transaction, audited), list and move cases, file STRs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.cases import check_transition
from biplomacy.aml.profile_store import profile_in_force
from biplomacy.aml.results import (
    Case,
    CaseEvent,
    CaseSummary,
    ScanListing,
    StoredAlert,
    StoredScan,
    StreamImport,
    SuspiciousTransactionReport,
)
from biplomacy.aml.scan import scan_paths
from biplomacy.aml.tables import AmlAlertRow, AmlCaseEventRow, AmlCaseRow, AmlScanRow, AmlStrRow
from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house.audit import record
from biplomacy.house.cluster import Engine
from biplomacy.store.db import Store


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def store_scan(store: Store, actor: Actor, path: Path | list[Path], profile: Path | None = None,
               engine: Engine | None = None) -> StoredScan:
    """Scan one file or several together (with the profile named, else the adopted one, else the shipped
    thresholds), then keep the scan, every alert and an open case per alert in one audited transaction that
    names the profile in force."""
    authorize(actor, "aml.scan")
    paths = [path] if isinstance(path, Path) else path
    result = scan_paths(paths, profile_in_force(store, profile), engine)  # no --profile: the adopted one, if any
    source = ", ".join(map(str, paths))
    summary = result.summary
    now = datetime.now(UTC)
    with store.transaction() as session:
        scan = AmlScanRow(source=source[:500], created_at=now, created_by=actor.name, transactions=summary.transactions,
                          thresholds_version=summary.thresholds_version, summary_json=json.dumps(summary.to_json()))
        session.add(scan)
        session.flush()
        stored = _open_cases(session, scan, result.alerts, actor, now)
        record(session, actor=actor.name, action="aml.scan", subject=f"aml-scan:{scan.id}",
               payload={"source": source, "transactions": scan.transactions, "alerts": len(result.alerts),
                        "by_rule": summary.by_rule, "thresholds_version": scan.thresholds_version,
                        "profile": summary.profile or summary.thresholds_version})
        return StoredScan(stored, summary, scan.id)


def _open_cases(session: Session, scan: AmlScanRow, alerts: Iterable[Alert], actor: Actor,
                now: datetime) -> tuple[StoredAlert, ...]:
    """Keep each alert of `scan` with an open case."""
    stored = []
    for a in alerts:
        shown = a.to_json()
        alert = AmlAlertRow(scan_id=scan.id, rule=a.rule, score=shown["score"], accounts_json=json.dumps(a.accounts),
                            transactions_json=json.dumps(a.transactions),
                            evidence_json=json.dumps({**a.evidence, "profile": a.profile} if a.profile else a.evidence))
        session.add(alert)
        session.flush()
        case = AmlCaseRow(alert_id=alert.id, state="open", assignee=None, state_since=now)
        session.add(case)
        session.flush()
        session.add(AmlCaseEventRow(case_id=case.id, at=now, actor=actor.name, from_state=None, to_state="open",
                                    detail=f"alert {alert.id} of scan {scan.id}"))
        stored.append(StoredAlert(a, alert.id, case.id))
    return tuple(stored)


def import_stream_alerts(store: Store, actor: Actor, state_dir: Path) -> StreamImport:
    """Open a case for every alert the streaming scorer stored in `state_dir` since the last import, as one
    stored scan whose source is `stream:<dir>` (its summary keeps how many alert lines it had read, so each
    line is imported once). Audited as aml.scan."""
    from biplomacy.aml.scan import thresholds
    from biplomacy.aml.stream_log import read_alert_lines

    authorize(actor, "aml.scan")
    if not state_dir.is_dir():
        raise InputError(f"{state_dir}: no such streaming state directory", field="state")
    source = f"stream:{state_dir.resolve()}"
    lines = read_alert_lines(state_dir)
    now = datetime.now(UTC)
    with store.transaction() as session:
        done = 0
        for (text,) in session.execute(select(AmlScanRow.summary_json).where(AmlScanRow.source == source)):
            done = max(done, int(json.loads(text).get("alert_lines_read", 0)))
        new = [line.alert for line in lines[done:]]
        if not new:
            return StreamImport(source, 0, done, (), None)
        by_rule: dict[str, int] = {}
        for a in new:
            by_rule[a.rule] = by_rule.get(a.rule, 0) + 1
        profiles = sorted({a.profile for a in new if a.profile})
        summary = {"alerts": len(new), "by_rule": by_rule, "alert_lines_read": len(lines),
                   "transactions": len({line.tx_id for line in lines[done:]}), "profiles": profiles}
        scan = AmlScanRow(source=source, created_at=now, created_by=actor.name, transactions=summary["transactions"],
                          thresholds_version=thresholds().version, summary_json=json.dumps(summary))
        session.add(scan)
        session.flush()
        stored = _open_cases(session, scan, new, actor, now)
        record(session, actor=actor.name, action="aml.scan", subject=f"aml-scan:{scan.id}",
               payload={"source": source, "alerts": len(new), "by_rule": by_rule, "profiles": profiles})
        return StreamImport(source, len(new), done, stored, scan.id)


def _summary(case: AmlCaseRow, alert: AmlAlertRow) -> dict[str, Any]:
    return {"id": case.id, "state": case.state, "assignee": case.assignee, "state_since": _aware(case.state_since),
            "alert_id": alert.id, "scan_id": alert.scan_id, "rule": alert.rule, "score": alert.score,
            "accounts": tuple(json.loads(alert.accounts_json))}


def _case(session: Session, case: AmlCaseRow, alert: AmlAlertRow) -> Case:
    events = session.scalars(select(AmlCaseEventRow).where(AmlCaseEventRow.case_id == case.id)
                             .order_by(AmlCaseEventRow.at, AmlCaseEventRow.id)).all()
    rep = session.scalars(select(AmlStrRow).where(AmlStrRow.case_id == case.id)).one_or_none()
    return Case(**_summary(case, alert), transactions=tuple(json.loads(alert.transactions_json)),
                evidence=json.loads(alert.evidence_json),
                history=tuple(CaseEvent(_aware(e.at), e.actor, e.from_state, e.to_state, e.detail) for e in events),
                report=None if rep is None else SuspiciousTransactionReport(
                    rep.id, _aware(rep.created_at), rep.created_by, rep.reason, json.loads(rep.evidence_json)))


def list_cases(store: Store, actor: Actor, state: str | None = None, limit: int = 1000) -> list[CaseSummary]:
    authorize(actor, "aml.read")
    with store.transaction() as session:
        q = select(AmlCaseRow, AmlAlertRow).join(AmlAlertRow, AmlAlertRow.id == AmlCaseRow.alert_id)
        if state:
            q = q.where(AmlCaseRow.state == state)
        rows = session.execute(q.order_by(AmlAlertRow.score.desc(), AmlCaseRow.id).limit(limit)).all()
        return [CaseSummary(**_summary(c, a)) for c, a in rows]


def _load(session: Session, case_id: int) -> tuple[AmlCaseRow, AmlAlertRow]:
    case = session.get(AmlCaseRow, case_id)
    if case is None:
        raise NotFound(f"no AML case {case_id}", field="id")
    alert = session.get(AmlAlertRow, case.alert_id)
    assert alert is not None  # foreign key
    return case, alert


def show_case(store: Store, actor: Actor, case_id: int) -> Case:
    authorize(actor, "aml.read")
    with store.transaction() as session:
        case, alert = _load(session, case_id)
        return _case(session, case, alert)


def move_case(store: Store, actor: Actor, case_id: int, *, assign: str | None = None, escalate: bool = False,
              close: bool = False, reason: str = "") -> Case:
    """Assign, escalate (files an STR with the alert's evidence) or close a case; a wrong move changes nothing."""
    authorize(actor, "aml.case")
    chosen = [t for t, on in (("assigned", assign is not None), ("escalated", escalate), ("closed", close)) if on]
    if len(chosen) != 1:
        raise InputError("give exactly one of --assign USER, --escalate, --close", field="action")
    target = chosen[0]
    now = datetime.now(UTC)
    with store.transaction() as session:
        case, alert = _load(session, case_id)
        check_transition(case.state, target, reason=reason, assignee=assign or "")
        before = case.state
        case.state, case.state_since = target, now
        if target == "assigned":
            case.assignee = (assign or "").strip()
        detail = f"assigned to {case.assignee}" if target == "assigned" else reason.strip()
        session.add(AmlCaseEventRow(case_id=case.id, at=now, actor=actor.name, from_state=before, to_state=target,
                                    detail=detail))
        payload: dict[str, Any] = {"from": before, "to": target, "detail": detail, "alert_id": alert.id}
        if target == "escalated":
            evidence = {"rule": alert.rule, "score": alert.score, "accounts": json.loads(alert.accounts_json),
                        "transactions": json.loads(alert.transactions_json),
                        "evidence": json.loads(alert.evidence_json), "scan_id": alert.scan_id}
            rep = AmlStrRow(case_id=case.id, created_at=now, created_by=actor.name, reason=reason.strip(),
                            evidence_json=json.dumps(evidence))
            session.add(rep)
            session.flush()
            payload["str_id"] = rep.id
        session.flush()
        record(session, actor=actor.name, action=f"aml.case.{target}", subject=f"aml-case:{case.id}", payload=payload)
        return _case(session, case, alert)


def list_scans(store: Store, actor: Actor, limit: int = 100) -> list[ScanListing]:
    authorize(actor, "aml.read")
    with store.transaction() as session:
        rows = session.scalars(select(AmlScanRow).order_by(AmlScanRow.id.desc()).limit(limit)).all()
        return [ScanListing(r.id, r.source, _aware(r.created_at), r.created_by, r.transactions, r.thresholds_version,
                            json.loads(r.summary_json).get("alerts", 0)) for r in rows]
