"""Use cases: keep a scan and its alerts (one transaction, audited), list and move cases, file STRs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.aml.model.cases import check_transition
from biplomacy.aml.scan import scan_file
from biplomacy.aml.tables import AmlAlertRow, AmlCaseEventRow, AmlCaseRow, AmlScanRow, AmlStrRow
from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house.audit import record
from biplomacy.store.db import Store


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def store_scan(store: Store, actor: Actor, path: Path) -> dict[str, Any]:
    """Scan a file, then keep the scan, every alert and an open case per alert in one audited transaction."""
    authorize(actor, "aml.scan")
    result = scan_file(path)
    now = datetime.now(UTC)
    with store.transaction() as session:
        scan = AmlScanRow(source=str(path), created_at=now, created_by=actor.name,
                          transactions=result["summary"]["transactions"],
                          thresholds_version=result["summary"]["thresholds_version"],
                          summary_json=json.dumps(result["summary"]))
        session.add(scan)
        session.flush()
        _open_cases(session, scan, result["alerts"], actor, now)
        record(session, actor=actor.name, action="aml.scan", subject=f"aml-scan:{scan.id}",
               payload={"source": str(path), "transactions": scan.transactions, "alerts": len(result["alerts"]),
                        "by_rule": result["summary"]["by_rule"], "thresholds_version": scan.thresholds_version})
        result["scan_id"] = scan.id
    return result


def _open_cases(session: Session, scan: AmlScanRow, alerts: list[dict[str, Any]], actor: Actor, now: datetime) -> None:
    """Keep each alert of `scan` with an open case (ids written back into each alert's dict)."""
    for a in alerts:
        alert = AmlAlertRow(scan_id=scan.id, rule=a["rule"], score=a["score"],
                            accounts_json=json.dumps(a["accounts"]), transactions_json=json.dumps(a["transactions"]),
                            evidence_json=json.dumps(a["evidence"]))
        session.add(alert)
        session.flush()
        case = AmlCaseRow(alert_id=alert.id, state="open", assignee=None, state_since=now)
        session.add(case)
        session.flush()
        session.add(AmlCaseEventRow(case_id=case.id, at=now, actor=actor.name, from_state=None, to_state="open",
                                    detail=f"alert {alert.id} of scan {scan.id}"))
        a["alert_id"], a["case_id"] = alert.id, case.id


def import_stream_alerts(store: Store, actor: Actor, state_dir: Path) -> dict[str, Any]:
    """Open a case for every alert the streaming scorer stored in `state_dir` since the last import, as one
    stored scan whose source is `stream:<dir>` (its summary keeps how many alert lines it had read, so each
    line is imported once). Audited as aml.scan."""
    from biplomacy.aml.scan import thresholds
    from biplomacy.aml.stream_log import read_alert_lines

    authorize(actor, "aml.scan")
    if not state_dir.is_dir():
        raise InputError(f"{state_dir}: no such streaming state directory", field="--state")
    source = f"stream:{state_dir.resolve()}"
    lines = read_alert_lines(state_dir)
    now = datetime.now(UTC)
    with store.transaction() as session:
        done = 0
        for (text,) in session.execute(select(AmlScanRow.summary_json).where(AmlScanRow.source == source)):
            done = max(done, int(json.loads(text).get("alert_lines_read", 0)))
        new = [line["alert"] for line in lines[done:]]
        by_rule: dict[str, int] = {}
        for a in new:
            by_rule[a["rule"]] = by_rule.get(a["rule"], 0) + 1
        summary = {"alerts": len(new), "by_rule": by_rule, "alert_lines_read": len(lines),
                   "transactions": len({line["tx_id"] for line in lines[done:]})}
        result: dict[str, Any] = {"source": source, "imported": len(new), "already_imported": done, "alerts": new,
                                  "scan_id": None}
        if not new:
            return result
        scan = AmlScanRow(source=source, created_at=now, created_by=actor.name, transactions=summary["transactions"],
                          thresholds_version=thresholds().version, summary_json=json.dumps(summary))
        session.add(scan)
        session.flush()
        _open_cases(session, scan, new, actor, now)
        record(session, actor=actor.name, action="aml.scan", subject=f"aml-scan:{scan.id}",
               payload={"source": source, "alerts": len(new), "by_rule": by_rule})
        result["scan_id"] = scan.id
    return result


def _case_view(session: Session, case: AmlCaseRow, alert: AmlAlertRow, full: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"id": case.id, "state": case.state, "assignee": case.assignee,
                            "state_since": _aware(case.state_since).isoformat(), "alert_id": alert.id,
                            "scan_id": alert.scan_id, "rule": alert.rule, "score": alert.score,
                            "accounts": json.loads(alert.accounts_json)}
    if full:
        view["transactions"] = json.loads(alert.transactions_json)
        view["evidence"] = json.loads(alert.evidence_json)
        events = session.scalars(select(AmlCaseEventRow).where(AmlCaseEventRow.case_id == case.id)
                                 .order_by(AmlCaseEventRow.at, AmlCaseEventRow.id)).all()
        view["history"] = [{"at": _aware(e.at).isoformat(), "actor": e.actor, "from": e.from_state, "to": e.to_state,
                            "detail": e.detail} for e in events]
        rep = session.scalars(select(AmlStrRow).where(AmlStrRow.case_id == case.id)).one_or_none()
        view["str"] = None if rep is None else {"id": rep.id, "created_at": _aware(rep.created_at).isoformat(),
                                                "created_by": rep.created_by, "reason": rep.reason,
                                                "evidence": json.loads(rep.evidence_json)}
    return view


def list_cases(store: Store, actor: Actor, state: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    authorize(actor, "aml.case")
    with store.transaction() as session:
        q = select(AmlCaseRow, AmlAlertRow).join(AmlAlertRow, AmlAlertRow.id == AmlCaseRow.alert_id)
        if state:
            q = q.where(AmlCaseRow.state == state)
        rows = session.execute(q.order_by(AmlAlertRow.score.desc(), AmlCaseRow.id).limit(limit)).all()
        return [_case_view(session, c, a, full=False) for c, a in rows]


def _load(session: Session, case_id: int) -> tuple[AmlCaseRow, AmlAlertRow]:
    case = session.get(AmlCaseRow, case_id)
    if case is None:
        raise NotFound(f"no AML case {case_id}", field="ID")
    alert = session.get(AmlAlertRow, case.alert_id)
    assert alert is not None  # foreign key
    return case, alert


def show_case(store: Store, actor: Actor, case_id: int) -> dict[str, Any]:
    authorize(actor, "aml.case")
    with store.transaction() as session:
        case, alert = _load(session, case_id)
        return _case_view(session, case, alert, full=True)


def move_case(store: Store, actor: Actor, case_id: int, *, assign: str | None = None, escalate: bool = False,
              close: bool = False, reason: str = "") -> dict[str, Any]:
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
        return _case_view(session, case, alert, full=True)


def list_scans(store: Store, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    authorize(actor, "aml.case")
    with store.transaction() as session:
        rows = session.scalars(select(AmlScanRow).order_by(AmlScanRow.id.desc()).limit(limit)).all()
        return [{"id": r.id, "source": r.source, "created_at": _aware(r.created_at).isoformat(),
                 "created_by": r.created_by, "transactions": r.transactions,
                 "thresholds_version": r.thresholds_version,
                 "alerts": json.loads(r.summary_json).get("alerts", 0)} for r in rows]
