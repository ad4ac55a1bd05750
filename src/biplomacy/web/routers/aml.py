"""Portal pages and API of AML monitoring: stored scans and cases with their evidence, and streaming scoring."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["aml"])


class ScoreRequest(BaseModel):
    """One transaction to score (the same fields as a row of a transactions file)."""

    model_config = ConfigDict(extra="forbid")

    tx_id: str = Field(min_length=1, max_length=100)
    timestamp: datetime = Field(description="ISO 8601 with a UTC offset")
    from_account: str = Field(min_length=1, max_length=200)
    to_account: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=0, max_digits=30, decimal_places=8, description="at most 8 decimals")
    asset: str = Field(default="USD", min_length=1, max_length=20)
    vasp: str = Field(default="", max_length=100)


@pages.get("/supervision/aml", response_class=HTMLResponse, summary="AML alerts of stored scans (supervisors)")
def aml_page(request: Request, actor: ActorDep) -> HTMLResponse:
    from biplomacy.services.aml_cases import list_cases, list_scans

    store = request.app.state.store
    return render(request, "aml/index.html", scans=list_scans(store, actor), cases=list_cases(store, actor))


@pages.get("/supervision/aml/cases/{case_id}", response_class=HTMLResponse, summary="One AML case with its evidence")
def case_page(request: Request, case_id: int, actor: ActorDep) -> HTMLResponse:
    from biplomacy.services.aml_cases import show_case

    return render(request, "aml/case.html", case=show_case(request.app.state.store, actor, case_id))


@api.post("/supervision/aml/score", summary="Score one transaction with every AML rule (bounded per-process window)")
def score(request: Request, body: ScoreRequest, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.permissions import authorize
    from biplomacy.services.aml_stream import StreamScorer, make_tx

    authorize(actor, "aml.scan")
    scorer = getattr(request.app.state, "aml_stream", None)
    if scorer is None:
        scorer = request.app.state.aml_stream = StreamScorer()
    tx = make_tx(body.tx_id, body.timestamp, body.from_account, body.to_account, float(body.amount), body.asset,
                 body.vasp)
    return scorer.score(tx)
