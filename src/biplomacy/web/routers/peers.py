"""The peers page: country programs side by side (an empty state until the peers pillar lands)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])


@pages.get("/peers", response_class=HTMLResponse, summary="Country programs side by side")
def peers_page(request: Request) -> HTMLResponse:
    return render(request, "peers/index.html")
