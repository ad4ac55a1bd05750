"""The public transparency page of the reserve (/reserve) and its data as JSON and CSV (/api/v1/reserve/*)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from biplomacy.cli.output import to_jsonable as jsonable
from biplomacy.errors import InputError
from biplomacy.services import reserve_spend, reserve_statement
from biplomacy.services import reserve_transparency as transparency
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])

PAGE_RECEIPTS = 50  # the page lists the latest receipts; the CSV and JSON have them all

POLICY_TEXT = {
    "imf-no-accumulation": "no voluntary accumulation (as El Salvador's IMF arrangement): purchases and mined coins "
                           "are flagged; seizures, transfers and donations are allowed",
    "us-eo-no-sale": "no sale (as the US Executive Order of 6 March 2025): coins move only to other reserve wallets",
    "pakistan-draft": "draft rules: larger spends need more signatures (amount tiers); holdings above a share of FX "
                      "reserves are flagged (assumption-labelled figures below)",
    "bhutan": "sales need a board approval reference (as Druk Holding & Investments' sales)",
}
api = APIRouter(prefix="/reserve", tags=["reserve"])


@pages.get("/reserve", response_class=HTMLResponse, summary="The strategic reserve, in public")
def reserve_page(request: Request) -> HTMLResponse:
    store = request.app.state.store
    data = transparency.public_holdings(store)
    wallets = transparency.public_wallets(store, data)
    profiles = sorted({w["policy"] for w in wallets})
    rows = [{**w, "signer_count": len(w["signers"])} for w in wallets]
    latest = list(reversed(data["entries"][-PAGE_RECEIPTS:]))
    return render(request, "reserve/index.html", data=data, wallets_rows=rows, profiles=profiles, latest=latest,
                  receipts_shown=PAGE_RECEIPTS,
                  flagged_rows=[{**e, "flags": "; ".join(e["flags"])} for e in data["flagged"]],
                  policy_text=POLICY_TEXT, statement=reserve_statement.latest(store), facts=transparency.policy_sources(profiles))


@api.get("/holdings", summary="Holdings: totals, by source and wallet, history (JSON, or CSV with ?format=csv)")
def holdings(request: Request, format: str = Query("json", pattern="^(json|csv)$")) -> Any:
    data = transparency.public_holdings(request.app.state.store)
    if format == "csv":
        return PlainTextResponse(transparency.holdings_csv(data), media_type="text/csv",
                                 headers={"Content-Disposition": "attachment; filename=reserve-holdings.csv"})
    return jsonable(data)


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
def wallets(request: Request) -> Any:
    return jsonable(transparency.public_wallets(request.app.state.store))
