"""Pages and API of the house: the home page, the provenance registry, login and logout, who-am-I, audit head."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from biplomacy.core.permissions import authorize
from biplomacy.core.provenance import PILLARS, Fact, load_registry
from biplomacy.house import users
from biplomacy.house.audit_cache import read_head
from biplomacy.web.auth import (
    ActorDep,
    clear_session_cookie,
    client_address,
    is_signed_in,
    login_throttle,
    session_claims,
    set_session_cookie,
)
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["house"])

PILLAR_CARDS = (
    {"title": "Energy", "href": "/energy",
     "text": "Where surplus power can run Bitcoin mining and AI data centres: zones, tariffs, economics and risk."},
    {"title": "Reserve", "href": "/reserve",
     "text": "The strategic Bitcoin reserve: multisig custody, approved spends, holdings over time and proofs."},
    {"title": "Supervision", "href": "/supervision",
     "text": "Licensing of virtual-asset providers, the public register, returns, solvency proofs and AML."},
    {"title": "Peers", "href": "/peers",
     "text": "Country programs side by side: Pakistan, El Salvador, Bhutan and the United States."},
)

PillarQuery = Annotated[str | None, Query(max_length=40, description=f"one of {', '.join(PILLARS)}")]


class SourcesOut(BaseModel):
    count: int
    pillar: str | None
    sources: list[Fact]  # the registry's own dataclass: its fields are the published keys


class AuditHeadOut(BaseModel):
    hash: str | None
    seq: int | None


class MeOut(BaseModel):
    name: str
    role: str
    signed_in: bool


def _facts(pillar: str | None) -> list[Fact]:
    return load_registry().for_pillar(pillar or None)


def _sources_chart(facts: list[Fact]) -> dict[str, Any]:
    """Vega-Lite spec: per pillar, how many figures are sourced and how many are assumptions."""
    counts = Counter((f.pillar, "assumption" if f.source is None else "sourced") for f in facts)
    values = [{"pillar": p, "kind": k, "figures": n} for (p, k), n in sorted(counts.items())]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Figures in the provenance registry per pillar, sourced or assumption",
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "height": 160,
        "config": {"axis": {"labelFontSize": 12, "titleFontSize": 12}, "legend": {"labelFontSize": 12}},
        "encoding": {
            "y": {"field": "pillar", "type": "nominal", "title": None, "sort": list(PILLARS)},
            "x": {"field": "figures", "type": "quantitative", "title": "figures", "axis": {"tickMinStep": 1}},
            "color": {"field": "kind", "type": "nominal", "title": None,
                      "scale": {"domain": ["sourced", "assumption"], "range": ["#0a5c3c", "#d08c00"]}},
        },
    }


@pages.get("/", response_class=HTMLResponse, summary="Home page: the program at a glance")
def home(request: Request) -> HTMLResponse:
    from biplomacy.house import audit_checkpoints
    from biplomacy.house.glance import glance

    seq, digest = read_head(request.app.state.store) or (None, None)
    latest = audit_checkpoints.listed(request.app.state.store, 1)
    return render(request, "home.html", pillars=PILLAR_CARDS, fact_count=len(load_registry().facts),
                  audit_head=digest, audit_entries=seq, checkpoint=latest[0] if latest else None,
                  g=glance(request.app.state.store))


@api.get("/glance", summary="The program at a glance: reserve (rehearsal apart), adopted plan, register, statement, "
                            "audit head")
def glance_api(request: Request) -> Response:
    from biplomacy.core.records import json_value
    from biplomacy.house.glance import glance

    doc = glance(request.app.state.store)
    doc["reserve"].pop("history")  # the chart spec is the page's; /api/v1/reserve/holdings has the series
    return Response(json.dumps(json_value(doc), ensure_ascii=False), media_type="application/json")


@pages.get("/sources", response_class=HTMLResponse, summary="The provenance registry")
def sources_page(request: Request, actor: ActorDep, pillar: PillarQuery = None) -> HTMLResponse:
    authorize(actor, "sources.read")
    return render(request, "sources.html", pillars=PILLARS, pillar=pillar or "", facts=_facts(pillar),
                  chart_spec=_sources_chart(load_registry().for_pillar(None)) if load_registry().facts else None)


@pages.get("/login", response_class=HTMLResponse, summary="Login form")
def login_form(request: Request, next_path: Annotated[str, Query(alias="next", max_length=500)] = "/") -> HTMLResponse:
    return render(request, "login.html", next_path=_safe_next(next_path), name="", error=None)


@pages.post("/login", response_class=HTMLResponse, summary="Log in (sets the session cookie)")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "/",
) -> Response:
    target = _safe_next(next_path)
    if not name.strip() or not password:
        return render(request, "login.html", status_code=422, next_path=target, name=name,
                      error="Enter your user name and password.")
    throttle, address = login_throttle(request), client_address(request)
    attempt = throttle.attempt(name, address)  # counted as a failure now (on every worker) unless refused
    if wait := attempt.wait:
        refused = render(request, "login.html", status_code=429, next_path=target, name=name,
                         error=f"Too many failed logins for this name from your address; try again in {wait} s.")
        refused.headers["Retry-After"] = str(wait)
        return refused
    found = users.authenticate_session(request.app.state.store, name.strip(), password)
    if found is None:
        return render(request, "login.html", status_code=401, next_path=target, name=name,
                      error="That user name and password do not match an active account.")
    throttle.succeeded(name, address, attempt)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, *found)
    return response


@pages.post("/logout", summary="Log out (ends the session on the server and clears the cookie)")
def logout(request: Request) -> RedirectResponse:
    claims = session_claims(request)
    if claims is not None:  # a copy of the cookie (another tab, a stolen one) must stop working too
        users.end_sessions(request.app.state.store, claims[0], claims[0].name)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


def _safe_next(target: str) -> str:
    """Only a local path: never redirect a user off the portal after login."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return "/"


@api.get("/sources", response_model=SourcesOut, summary="The provenance registry")
def sources_api(actor: ActorDep, pillar: PillarQuery = None) -> SourcesOut:
    authorize(actor, "sources.read")
    facts = _facts(pillar)
    return SourcesOut(count=len(facts), pillar=pillar or None,
                      sources=facts)


@api.get("/audit/head", response_model=AuditHeadOut, summary="Newest entry of the audit log")
def audit_head(request: Request) -> AuditHeadOut:
    seq, digest = read_head(request.app.state.store) or (None, None)
    return AuditHeadOut(hash=digest, seq=seq)


class CheckpointStatementOut(BaseModel):
    type: str
    version: int
    seq: int
    head: str
    at: str


class CheckpointOut(BaseModel):
    statement: CheckpointStatementOut
    public_key: str
    signature: str


@api.get("/audit/checkpoints", response_model=list[CheckpointOut],
         summary="Signed checkpoints of the audit log, newest first (keep them: `audit verify --checkpoint`)")
def audit_checkpoints_api(request: Request,
                          limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[CheckpointOut]:
    from biplomacy.house import audit_checkpoints

    return [CheckpointOut.model_validate(cp.as_dict()) for cp in audit_checkpoints.listed(request.app.state.store, limit)]


@api.get("/me", response_model=MeOut, summary="Who the request is acting as")
def me(actor: ActorDep) -> MeOut:
    return MeOut(name=actor.name, role=actor.role, signed_in=is_signed_in(actor))
