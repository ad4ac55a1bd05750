"""What-ifs on the portal (public): each stored run with its inputs, sources and result, marked what-if."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from biplomacy.peers import whatifs
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(prefix="/peers", tags=["peers"])

Ident = Annotated[int, Path(ge=1, le=2**31 - 1, description="a stored what-if's id")]


@pages.get("/peers/whatifs", response_class=HTMLResponse, summary="What-ifs: one program's choices on another's")
def whatifs_page(request: Request) -> HTMLResponse:
    return render(request, "peers/whatifs.html", runs=whatifs.list_whatifs(request.app.state.store),
                  kinds=whatifs.KINDS)


@pages.get("/peers/whatifs/{ident}", response_class=HTMLResponse, summary="One stored what-if")
def whatif_page(request: Request, ident: Ident) -> HTMLResponse:
    return render(request, "peers/whatif.html", run=whatifs.get_whatif(request.app.state.store, ident))


@api.get("/whatifs", summary="The stored what-ifs (each says what_if: true), newest first")
def whatifs_api(request: Request) -> Any:
    return whatifs.list_whatifs(request.app.state.store)


@api.get("/whatifs/{ident}", summary="One stored what-if with its inputs and result")
def whatif_api(request: Request, ident: Ident) -> Any:
    return whatifs.get_whatif(request.app.state.store, ident)
