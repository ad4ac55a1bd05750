"""The peers page (/peers) and its data (/api/v1/peers): country programs side by side, every cell cited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from biplomacy.peers import compare as peers_compare
from biplomacy.peers.model.programs import parse_countries
from biplomacy.peers.results import PeerComparison
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(prefix="/peers", tags=["peers"])

COUNTRIES_HELP = "Comma-separated country codes: PK, SV, BT, US (default: all four)."


def _comparison(_request: Request, countries: str | None) -> PeerComparison:
    """The comparison (national, published figures only: nothing of this installation's store is read)."""
    return peers_compare.comparison(parse_countries(countries))


@pages.get("/peers", response_class=HTMLResponse, summary="Country programs side by side")
def peers_page(request: Request, countries: str | None = Query(None, max_length=64, description=COUNTRIES_HELP)
               ) -> HTMLResponse:
    data = _comparison(request, countries)
    number = {f["key"]: i for i, f in enumerate(data.sources, start=1)}
    return render(request, "peers/index.html", data=data, number=number)


@api.get("", summary="Country programs side by side: every cell with the registry facts it cites")
def peers_api(request: Request, countries: str | None = Query(None, max_length=64, description=COUNTRIES_HELP),
              format: str = Query("json", pattern="^(json|csv)$")) -> Any:
    if format == "csv":
        return PlainTextResponse(peers_compare.as_csv(_comparison(request, countries)),
                                 media_type="text/csv",
                                 headers={"Content-Disposition": "attachment; filename=peers.csv"})
    return _comparison(request, countries).to_json()
