"""The public transparency page of the reserve (/reserve) and its data as JSON and CSV (/api/v1/reserve/*)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from biplomacy.reserve import spend as reserve_spend
from biplomacy.reserve import transparency
from biplomacy.reserve.web_custody import add_custody_routes
from biplomacy.reserve.web_signing import add_signer_routes
from biplomacy.web.auth import current_actor
from biplomacy.web.rendering import CONTENT_SECURITY_POLICY, render

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
MAX_RENDERED = 64


def _view(request: Request) -> transparency.PublicView:
    """The public view of this app's store, recomputed only when the audit log's head has moved."""
    cache = getattr(request.app.state, "reserve_view", None)
    if cache is None:
        cache = request.app.state.reserve_view = transparency.PublicViewCache()
    return cache.get(request.app.state.store)


@pages.get("/reserve", response_class=HTMLResponse, summary="The strategic reserve, in public")
def reserve_page(request: Request) -> HTMLResponse:
    """The page depends only on the view and on who is looking (the header names them), so it is rendered once
    per view for each of the first MAX_RENDERED people, the public included."""
    view = _view(request)
    actor = current_actor(request)
    html = view.rendered.get((actor.name, actor.role))
    if html is not None:
        return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
    response = render(request, "reserve/index.html", policy_text=POLICY_TEXT, **view.page)
    if len(view.rendered) < MAX_RENDERED:
        view.rendered[(actor.name, actor.role)] = bytes(response.body)
    return response


@api.get("/holdings", summary="Holdings: totals, by source and wallet, history (JSON, or CSV with ?format=csv)")
def holdings(request: Request, format: str = Query("json", pattern="^(json|csv)$")) -> Response:
    view = _view(request)
    if format == "csv":
        return PlainTextResponse(view.holdings_csv, media_type="text/csv",
                                 headers={"Content-Disposition": "attachment; filename=reserve-holdings.csv"})
    return Response(view.holdings_json, media_type="application/json")


add_signer_routes(api, "/spends/{target_id}", reserve_spend.SPEND, status_for_signers=True)
add_custody_routes(api, pages)


@api.get("/wallets", summary="Reserve wallets: threshold, signers, policy, balance (descriptor where public)")
def wallets(request: Request) -> Response:
    return Response(_view(request).wallets_json, media_type="application/json")
