"""Portal pages and API of AML monitoring: stored scans and cases with their evidence, and streaming scoring."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from biplomacy.aml.web_score_body import ScoreRequest
from biplomacy.core.records import json_value
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["aml"])
_OPENING = threading.Lock()


@pages.get("/supervision/aml", response_class=HTMLResponse, summary="AML alerts of stored scans (supervisors)")
def aml_page(request: Request, actor: ActorDep) -> HTMLResponse:
    from biplomacy.aml.cases import list_cases, list_scans

    store = request.app.state.store  # the pages show what the API and --json print
    return render(request, "aml/index.html", scans=json_value(list_scans(store, actor)),
                  cases=json_value(list_cases(store, actor)))


@pages.get("/supervision/aml/cases/{case_id}", response_class=HTMLResponse, summary="One AML case with its evidence")
def case_page(request: Request, case_id: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: ActorDep) -> HTMLResponse:
    from biplomacy.aml.cases import show_case

    return render(request, "aml/case.html", case=show_case(request.app.state.store, actor, case_id).to_json())


@api.post("/supervision/aml/score", summary="Score one transaction with every AML rule (incremental state, kept)")
def score(request: Request, body: ScoreRequest, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.web_score_body import to_tx
    from biplomacy.core.permissions import authorize

    authorize(actor, "aml.scan")
    return _scorer(request).score(to_tx(body)).to_json()


def _scorer(request: Request) -> Any:
    """The portal's scorer, its state under var_dir/aml-stream (503 while `supervise aml serve` holds it)."""
    from biplomacy.aml.stream import StreamScorer
    from biplomacy.core.errors import ConfigError

    scorer = getattr(request.app.state, "aml_stream", None)
    if scorer is None:
        with _OPENING:
            scorer = getattr(request.app.state, "aml_stream", None)
            if scorer is None:
                try:
                    settings = request.app.state.settings
                    scorer = StreamScorer(settings.var_dir / "aml-stream", future_seconds=settings.aml_future_seconds)
                except ConfigError as exc:
                    raise HTTPException(503, str(exc)) from None
                request.app.state.aml_stream = scorer
    return scorer
