"""Portal pages and API of supervision (licensing part): overview, the public register, the returns dashboard."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from biplomacy.supervision.results import RegisterView
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["supervision"])

AsOf = Annotated[date | None, Query(description="the register as it stood on this date (YYYY-MM-DD)")]
Search = Annotated[str, Query(max_length=100, description="filter by name, LEI, reference or activity")]


def _register(request: Request, as_of: date | None, q: str) -> RegisterView:
    from biplomacy.supervision.register import register_view

    return register_view(request.app.state.store, as_of=as_of, query=q)


@pages.get("/supervision", response_class=HTMLResponse, summary="Supervision overview")
def overview(request: Request) -> HTMLResponse:
    view = _register(request, None, "")
    counts: dict[str, int] = {}
    for e in view.entities:
        counts[e.status.value] = counts.get(e.status.value, 0) + 1
    return render(request, "supervision/index.html", view=view, counts=counts)


@pages.get("/supervision/register", response_class=HTMLResponse, summary="The public register of VASPs")
def register_page(request: Request, as_of: AsOf = None, q: Search = "") -> HTMLResponse:
    from biplomacy.supervision.register import register_chart

    view = _register(request, as_of, q)
    # ui.data_table reads mappings: its rows are the records' JSON form, the cells the API shows
    return render(request, "supervision/register.html", view=view, chart=register_chart(view.entities),
                  warnings=[w.to_json() for w in view.warnings])


@pages.get("/supervision/register/{reference}", response_class=HTMLResponse, summary="One entity's entry")
def entity_page(request: Request, reference: str, as_of: AsOf = None) -> HTMLResponse:
    from biplomacy.core.errors import NotFound

    view = _register(request, as_of, "")
    entry = next((e for e in view.entities if e.reference == reference.upper()), None)
    if entry is None:
        raise NotFound(f"{reference} is not on the register as of {view.as_of}", field="reference")
    return render(request, "supervision/entity.html", view=view, e=entry, history=[{**h.to_json(), "status": h.to_json()["status"].replace("_", " ")}  # in words
                           for h in entry.history])


@pages.get("/supervision/dashboard", response_class=HTMLResponse, summary="Returns across VASPs (supervisors)")
def dashboard_page(request: Request, actor: ActorDep) -> HTMLResponse:
    from biplomacy.core.permissions import authorize
    from biplomacy.supervision.returns import dashboard, dashboard_charts

    authorize(actor, "supervision.read")
    data = dashboard(request.app.state.store)
    # ui.data_table reads mappings: the page's tables show the rows as the dashboard's JSON API gives them
    return render(request, "supervision/dashboard.html", data=data.to_json(), charts=dashboard_charts(data))


class AttestationFiling(BaseModel):
    """A stablecoin issuer's reserve attestation filed against its licence."""

    model_config = ConfigDict(extra="forbid")

    licence: str = Field(min_length=1, max_length=40, description="the issuer's licence reference")
    attestation: dict[str, Any] = Field(description="issuer, token, as_of, currency, supply[], reserves[]")


@api.post("/supervision/stablecoin/attestations", status_code=201,
          summary="Record an issuer's reserve attestation with the rules' verdict (supervisors)")
def file_attestation(request: Request, body: AttestationFiling, actor: ActorDep) -> JSONResponse:
    from biplomacy.supervision.stablecoin import record_attestation_document

    result = record_attestation_document(request.app.state.store, actor, body.licence, body.attestation)
    return JSONResponse(result.to_json(), status_code=201)


@api.get("/supervision/dashboard", summary="Returns, solvency reports and stablecoin attestations across VASPs "
                                           "(supervisors)")
def dashboard_json(request: Request, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.core.permissions import authorize
    from biplomacy.supervision.returns import dashboard

    authorize(actor, "supervision.read")
    return dashboard(request.app.state.store).to_json()


@api.get("/supervision/register", summary="The public register as JSON (entities, history, warnings)")
def register_json(request: Request, as_of: AsOf = None, q: Search = "") -> dict[str, Any]:
    return _register(request, as_of, q).to_json()


@api.get("/supervision/register.csv", response_class=PlainTextResponse,
         summary="The public register as CSV (ESMA interim MiCA CASP columns, then pv_ columns)")
def register_csv_api(request: Request, as_of: AsOf = None, q: Search = "") -> PlainTextResponse:
    from biplomacy.supervision.register import register_csv

    text = register_csv(request.app.state.store, as_of=as_of, query=q)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="pvara-register.csv"'})
