"""Published reserve statements as JSON downloads (/api/v1/reserve/statements/*), verified offline by reviewers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from biplomacy.core.errors import NotFound
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


@api.get("/{statement_id}", summary="A finalized reserve statement by id")
def by_id(request: Request, statement_id: str) -> JSONResponse:
    return _download(reserve_statement.document(request.app.state.store, statement_id))


add_signer_routes(api, "/{target_id}", reserve_statement.STATEMENT)
