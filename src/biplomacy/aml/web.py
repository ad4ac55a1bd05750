"""Portal pages and API of AML monitoring: stored scans and cases with their evidence, and streaming scoring."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from biplomacy.aml.web_score_body import ScoreRequest
from biplomacy.core.records import json_value
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["aml"])
_OPENING = threading.Lock()


StateQuery = Annotated[str | None, Query(max_length=20, description="open, assigned, escalated or closed")]
RuleQuery = Annotated[str | None, Query(max_length=60, description="an AML rule's name")]
SortQuery = Annotated[str, Query(max_length=10, description="score, newest, oldest, state or rule")]
PageQuery = Annotated[int, Query(ge=1, lt=2**31)]
PerPageQuery = Annotated[int, Query(ge=1, le=100, description="25, 50 or 100")]
CaseId = Annotated[int, Path(ge=1, lt=2**31)]


@pages.get("/supervision/aml", response_class=HTMLResponse, summary="AML alerts of stored scans (supervisors)")
def aml_page(request: Request, actor: ActorDep, state: StateQuery = None, rule: RuleQuery = None,
             sort: SortQuery = "score", page: PageQuery = 1, per_page: PerPageQuery = 25) -> HTMLResponse:
    from biplomacy.aml.case_review import page_cases
    from biplomacy.aml.cases import list_scans
    from biplomacy.aml.profile_store import adopted
    from biplomacy.core.errors import PermissionDenied

    store = request.app.state.store  # the pages show what the API and --json print
    cases = page_cases(store, actor, state=state or None, rule=rule or None, sort=sort, page=page, per_page=per_page)
    try:
        profile = adopted(store, actor)
    except PermissionDenied:  # who may read cases but not scan sees no profile line
        profile = None
    return render(request, "aml/index.html", scans=json_value(list_scans(store, actor)), cases=cases, profile=profile)


@api.get("/supervision/aml/cases", summary="AML cases: filtered by state and rule, sorted, one page at a time")
def cases_api(request: Request, actor: ActorDep, state: StateQuery = None, rule: RuleQuery = None,
              sort: SortQuery = "score", page: PageQuery = 1, per_page: PerPageQuery = 25) -> Any:
    from biplomacy.aml.case_review import page_cases

    return page_cases(request.app.state.store, actor, state=state or None, rule=rule or None, sort=sort, page=page,
                      per_page=per_page)


@pages.get("/supervision/aml/cases/{case_id}", response_class=HTMLResponse, summary="One AML case with its evidence")
def case_page(request: Request, case_id: CaseId, actor: ActorDep) -> HTMLResponse:
    from biplomacy.aml.case_review import case_transfers, transfers_graph
    from biplomacy.aml.cases import show_case

    store = request.app.state.store
    case = show_case(store, actor, case_id).to_json()
    transfers = case_transfers(store, actor, case_id)
    rows = [{**t, "timestamp": t["timestamp"][:19].replace("T", " "), "amount_text": f"{t['amount']:,.2f}",
             "vasp": t["vasp"] or "—"} for t in transfers["transfers"]]
    return render(request, "aml/case.html", case=case, transfers=transfers, transfer_rows=rows,
                  rentity_id=request.app.state.settings.goaml_rentity_id or None,
                  graph=transfers_graph(transfers) if transfers["transfers"] else None,
                  evidence_rows=[{"key": k.replace("_", " "), "value": _evidence_text(v)}
                                 for k, v in sorted(case["evidence"].items()) if k != "path"])


def _evidence_text(value: object) -> str:
    """An evidence value as people read it: lists joined, numbers grouped."""
    if isinstance(value, list | tuple):
        return ", ".join(_evidence_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@api.get("/supervision/aml/cases/{case_id}/str.csv", summary="The case's suspicious transaction report as CSV "
                                                               "(columns in docs/aml.md)")
def str_export(request: Request, case_id: CaseId, actor: ActorDep) -> Response:
    from biplomacy.aml.case_review import str_csv

    return Response(str_csv(request.app.state.store, actor, case_id), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="str-case-{case_id}.csv"'})


@api.get("/supervision/aml/cases/{case_id}/str.xml", summary="The case's suspicious transaction report as goAML XML "
                                                               "(UNODC goAML, the format FIUs take; docs/aml.md)")
def str_goaml_export(request: Request, case_id: CaseId, actor: ActorDep,
                     rentity_id: Annotated[int | None, Query(ge=1, lt=2**31, description="the reporting entity's "
                                                             "number at the FIU (default: the goaml_rentity_id setting)")]
                     = None,
                     reporting_user: Annotated[str | None, Query(max_length=50, description="the filer's goAML user "
                                                                 "code (default: who escalated the case)")] = None
                     ) -> Response:
    from biplomacy.aml.str_goaml import str_goaml

    xml = str_goaml(request.app.state.store, actor, case_id,
                    rentity_id=rentity_id or request.app.state.settings.goaml_rentity_id,
                    reporting_user=reporting_user or None)
    return Response(xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="str-case-{case_id}-goaml.xml"'})


@api.post("/supervision/aml/score", summary="Score one transaction with every AML rule (incremental state, kept)")
def score(request: Request, body: ScoreRequest, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.web_score_body import to_tx
    from biplomacy.core.permissions import authorize

    authorize(actor, "aml.scan")
    return _scorer(request).score(to_tx(body)).to_json()


def _scorer(request: Request) -> Any:
    """The portal's scorer, its state under var_dir/aml-stream (503 while `supervise aml serve` holds it)."""
    from biplomacy.aml.profile_store import profile_in_force
    from biplomacy.aml.stream import StreamScorer
    from biplomacy.core.errors import ConfigError, InputError

    scorer = getattr(request.app.state, "aml_stream", None)
    if scorer is None:
        with _OPENING:
            scorer = getattr(request.app.state, "aml_stream", None)
            if scorer is None:
                try:  # the adopted rule profile, if any, as `supervise aml serve` uses it
                    settings = request.app.state.settings
                    scorer = StreamScorer(settings.var_dir / "aml-stream", future_seconds=settings.aml_future_seconds,
                                          profile=profile_in_force(request.app.state.store, None))
                except (ConfigError, InputError) as exc:
                    raise HTTPException(503, str(exc)) from None
                request.app.state.aml_stream = scorer
    return scorer
