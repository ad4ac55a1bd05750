"""The public transparency page of the reserve (/reserve) and its data as JSON and CSV (/api/v1/reserve/*)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from biplomacy.cli.output import to_jsonable as jsonable
from biplomacy.errors import InputError
from biplomacy.services import reserve_spend
from biplomacy.services import reserve_transparency as transparency
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])

POLICY_TEXT = {
    "imf-no-accumulation": "no voluntary accumulation (as El Salvador's IMF arrangement): purchases and mined coins "
                           "are flagged; seizures, transfers and donations are allowed",
    "us-eo-no-sale": "no sale (as the US Executive Order of 6 March 2025): coins move only to other reserve wallets",
    "pakistan-draft": "draft rules: larger spends need more signatures (amount tiers); holdings above a share of FX "
                      "reserves are flagged (assumption-labelled figures below)",
    "bhutan": "sales need a board approval reference (as Druk Holding & Investments' sales)",
}
api = APIRouter(prefix="/reserve", tags=["reserve"])


def _view(request: Request) -> transparency.PublicView:
    """The public view of this app's store, recomputed only when the audit log's head has moved."""
    cache = getattr(request.app.state, "reserve_view", None)
    if cache is None:
        cache = request.app.state.reserve_view = transparency.PublicViewCache()
    return cache.get(request.app.state.store)


@pages.get("/reserve", response_class=HTMLResponse, summary="The strategic reserve, in public")
def reserve_page(request: Request) -> HTMLResponse:
    return render(request, "reserve/index.html", policy_text=POLICY_TEXT, **_view(request).page)


@api.get("/holdings", summary="Holdings: totals, by source and wallet, history (JSON, or CSV with ?format=csv)")
def holdings(request: Request, format: str = Query("json", pattern="^(json|csv)$")) -> Response:
    view = _view(request)
    if format == "csv":
        return PlainTextResponse(view.holdings_csv, media_type="text/csv",
                                 headers={"Content-Disposition": "attachment; filename=reserve-holdings.csv"})
    return Response(view.holdings_json, media_type="application/json")


MAX_PSBT_BYTES = 1_000_000


@api.get("/spends/{proposal_id}", summary="A spend proposal's signatures, threshold and state (signers, coordinator)")
def spend_status(request: Request, actor: ActorDep, proposal_id: str) -> Any:
    reserve_spend.unsigned_psbt(request.app.state.store, actor, proposal_id)  # same permission as downloading it
    return jsonable(reserve_spend.status(request.app.state.store, actor, proposal_id))


@api.get("/spends/{proposal_id}/psbt", response_class=PlainTextResponse,
         summary="The unsigned PSBT (base64) to sign on a hardware wallet")
def spend_psbt(request: Request, actor: ActorDep, proposal_id: str) -> PlainTextResponse:
    return PlainTextResponse(reserve_spend.unsigned_psbt(request.app.state.store, actor, proposal_id))


@api.post("/spends/{proposal_id}/signatures",
          summary="Upload a signed PSBT (binary or base64 body): accepted, or refused with the reason")
async def spend_submit(request: Request, actor: ActorDep, proposal_id: str) -> Any:
    body = await request.body()
    if len(body) > MAX_PSBT_BYTES:
        raise InputError("the PSBT is larger than 1 MB", field="psbt")
    return jsonable(reserve_spend.submit(request.app.state.store, actor, proposal_id, body))


@api.get("/wallets", summary="Reserve wallets: threshold, signers, policy, balance (descriptor where public)")
def wallets(request: Request) -> Response:
    return Response(_view(request).wallets_json, media_type="application/json")
