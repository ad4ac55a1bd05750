"""Reviewing AML cases: the case list filtered, sorted and paged; a case's transfers as a table (amounts, times,
VASPs) read back from its scan's file(s); and the suspicious transaction report as a documented CSV.

A stored alert keeps its transaction ids and the rule's evidence; the transfers themselves are read from the file
the scan was made from, while it is still there (a scan's `source` names it: several files joined by ", ").
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from biplomacy.aml.model.path_graph import Hop, PathGraph, path_graph
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.scan import read_columns
from biplomacy.aml.tables import AmlAlertRow, AmlCaseRow, AmlScanRow, AmlStrRow
from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.store.db import Store

SORTS = {"score": (AmlAlertRow.score.desc(), AmlCaseRow.id), "newest": (AmlCaseRow.id.desc(),),
         "oldest": (AmlCaseRow.id,), "state": (AmlCaseRow.state, AmlAlertRow.score.desc(), AmlCaseRow.id),
         "rule": (AmlAlertRow.rule, AmlAlertRow.score.desc(), AmlCaseRow.id)}
STATES = ("open", "assigned", "escalated", "closed")
PAGE_SIZES = (25, 50, 100)
# The STR's CSV: one row per transfer, the report's fields repeated on each (docs/aml.md describes every column).
STR_COLUMNS = ("str_id", "case_id", "filed_at", "filed_by", "reason", "rule", "score", "tx_id", "timestamp",
               "from_account", "to_account", "amount", "asset", "vasp")


def page_cases(store: Store, actor: Actor, *, state: str | None = None, rule: str | None = None,
               sort: str = "score", page: int = 1, per_page: int = 25) -> dict[str, Any]:
    """One page of cases, filtered by state and rule, sorted; with the total and the rules there are to filter by."""
    authorize(actor, "aml.read")
    if sort not in SORTS:
        raise InputError(f"sort {sort!r} is not one of {', '.join(SORTS)}", field="sort")
    if state and state not in STATES:
        raise InputError(f"state {state!r} is not one of {', '.join(STATES)}", field="state")
    if per_page not in PAGE_SIZES:
        raise InputError(f"per_page must be one of {', '.join(map(str, PAGE_SIZES))}", field="per_page")
    where = [c for c in (AmlCaseRow.state == state if state else None, AmlAlertRow.rule == rule if rule else None)
             if c is not None]
    with store.read() as session:
        joined = select(AmlCaseRow, AmlAlertRow).join(AmlAlertRow, AmlAlertRow.id == AmlCaseRow.alert_id).where(*where)
        total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = session.execute(joined.order_by(*SORTS[sort]).offset((page - 1) * per_page).limit(per_page)).all()
        rules = sorted(r for (r,) in session.execute(select(AmlAlertRow.rule).distinct()))
        cases = [{"id": c.id, "state": c.state, "assignee": c.assignee, "rule": a.rule, "score": a.score,
                  "scan_id": a.scan_id, "accounts": json.loads(a.accounts_json),
                  "transactions": len(json.loads(a.transactions_json))} for c, a in rows]
    return {"total": total, "page": page, "pages": pages, "per_page": per_page, "sort": sort, "state": state,
            "rule": rule, "rules": rules, "states": list(STATES), "cases": cases}


def _scan_files(source: str) -> list[Path]:
    return [Path(p) for p in source.split(", ") if p and not p.startswith("stream:")]


def case_transfers(store: Store, actor: Actor, case_id: int) -> dict[str, Any]:
    """The case's transfers in time order (id, time, accounts, amount, asset, VASP), read from its scan's file(s);
    `missing` names transaction ids no readable file holds (the file moved, or a streamed alert)."""
    authorize(actor, "aml.read")
    with store.read() as session:
        case = session.get(AmlCaseRow, case_id)
        if case is None:
            raise NotFound(f"no AML case {case_id}", field="id")
        alert = session.get(AmlAlertRow, case.alert_id)
        assert alert is not None  # foreign key
        scan = session.get(AmlScanRow, alert.scan_id)
        wanted = json.loads(alert.transactions_json)
        source = scan.source if scan is not None else ""
    found: dict[str, dict[str, Any]] = {}
    unread = []
    for path in _scan_files(source):
        try:
            tx = from_columns(read_columns(path), str(path))
        except (InputError, OSError):
            unread.append(str(path))
            continue
        index = {t: i for i, t in enumerate(tx.tx_id.tolist())}
        for t in wanted:
            i = index.get(t)
            if i is not None and t not in found:
                found[t] = {"tx_id": t, "timestamp": datetime.fromtimestamp(float(tx.ts[i]), UTC).isoformat(),
                            "from_account": str(tx.src[i]), "to_account": str(tx.dst[i]),
                            "amount": float(tx.amount[i]), "asset": str(tx.asset[i]), "vasp": str(tx.vasp[i])}
    rows = sorted(found.values(), key=lambda r: (r["timestamp"], r["tx_id"]))
    return {"case_id": case_id, "source": source, "transfers": rows,
            "missing": [t for t in wanted if t not in found], "unreadable_files": unread}


def transfers_graph(transfers: dict[str, Any]) -> PathGraph:
    """The case's readable transfers (case_transfers) as a graph to draw: accounts, arrows with amount, time, VASP."""
    return path_graph([Hop(t["tx_id"], t["timestamp"][:16].replace("T", " "), t["from_account"], t["to_account"],
                           f"{t['amount']:,.2f} {t['asset']}", t["vasp"]) for t in transfers["transfers"]])


@dataclass(frozen=True, slots=True)
class FiledStr:
    """An escalated case's stored report, as both exports (CSV and goAML XML) read it."""

    id: int
    filed_at: datetime
    filed_by: str
    reason: str
    evidence: dict[str, Any]


def filed_str(store: Store, case_id: int) -> FiledStr:
    """The case's suspicious transaction report; NotFound until the case is escalated."""
    with store.read() as session:
        rep = session.scalars(select(AmlStrRow).where(AmlStrRow.case_id == case_id)).one_or_none()
        if rep is None:
            raise NotFound(f"case {case_id} has no suspicious transaction report: escalate it first "
                           f"(supervise aml case {case_id} --escalate --reason TEXT)", field="id")
        filed_at = rep.created_at if rep.created_at.tzinfo else rep.created_at.replace(tzinfo=UTC)
        return FiledStr(rep.id, filed_at, rep.created_by, rep.reason, json.loads(rep.evidence_json))


def str_csv(store: Store, actor: Actor, case_id: int) -> str:
    """The case's suspicious transaction report as CSV (STR_COLUMNS), one row per transfer; refused until the case
    is escalated."""
    authorize(actor, "aml.case")
    rep = filed_str(store, case_id)
    head = [rep.id, case_id, rep.filed_at.isoformat(), rep.filed_by, rep.reason, rep.evidence.get("rule"),
            rep.evidence.get("score")]
    transfers = case_transfers(store, actor, case_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STR_COLUMNS)
    for t in transfers["transfers"]:
        writer.writerow([*head, *(t[c] for c in STR_COLUMNS[7:])])
    for t in transfers["missing"]:  # a transfer whose file is gone keeps its id, the other columns empty
        writer.writerow([*head, t, "", "", "", "", "", ""])
    return buffer.getvalue()
