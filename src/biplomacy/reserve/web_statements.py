"""Published reserve statements as JSON downloads (/api/v1/reserve/statements/*), verified offline by reviewers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from biplomacy.core.errors import NotFound
from biplomacy.core.networks import is_rehearsal
from biplomacy.reserve import statements as reserve_statement
from biplomacy.reserve.web_signing import add_signer_routes

api = APIRouter(prefix="/reserve/statements", tags=["reserve"])


def _download(doc: dict[str, Any]) -> JSONResponse:
    name = f"reserve-statement-{doc['wallet']}-{doc['height']}.json"
    return JSONResponse(doc, headers={"Content-Disposition": f"attachment; filename={name}"})


@api.get("/latest", summary="The latest finalized reserve statement (check it with `biplomacy reserve "
                            "verify-statement FILE`)")
def latest(request: Request) -> JSONResponse:
    doc = reserve_statement.latest(request.app.state.store)
    if doc is None:
        raise NotFound("no reserve statement has been published yet", field="id")
    return _download(doc)


def _chain_download(request: Request, doc: dict[str, Any]) -> JSONResponse:
    """The chain's unspent outputs at the statement's height: the file `verify-statement --chain-data` reads.
    This installation's chain is the rehearsal chain, so the file says so (`chain`) and in its name."""
    data = reserve_statement.chain_data(request.app.state.store, int(doc["height"]))
    mark = "rehearsal" if is_rehearsal(str(doc.get("network", "regtest"))) else "reserve"
    name = f"{mark}-chain-data-{doc['wallet']}-{doc['height']}.json"
    return JSONResponse(data | {"chain": "rehearsal", "mark": mark},
                        headers={"Content-Disposition": f"attachment; filename={name}"})


@api.get("/latest/chain-data", summary="The chain data the latest statement is checked against (`biplomacy reserve "
                                       "verify-statement FILE --chain-data THIS`)")
def latest_chain_data(request: Request) -> JSONResponse:
    doc = reserve_statement.latest(request.app.state.store)
    if doc is None:
        raise NotFound("no reserve statement has been published yet", field="id")
    return _chain_download(request, doc)


@api.get("/{statement_id}/chain-data", summary="The chain data a finalized statement is checked against")
def chain_data_by_id(request: Request, statement_id: str) -> JSONResponse:
    return _chain_download(request, reserve_statement.document(request.app.state.store, statement_id))


@api.get("/{statement_id}", summary="A finalized reserve statement by id")
def by_id(request: Request, statement_id: str) -> JSONResponse:
    return _download(reserve_statement.document(request.app.state.store, statement_id))


add_signer_routes(api, "/{target_id}", reserve_statement.STATEMENT)
