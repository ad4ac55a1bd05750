"""Published reserve statements as JSON downloads (/api/v1/reserve/statements/*), verified offline by reviewers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from biplomacy.cli.output import to_jsonable as jsonable
from biplomacy.errors import InputError, NotFound
from biplomacy.services import reserve_statement
from biplomacy.web.auth import ActorDep

api = APIRouter(prefix="/reserve/statements", tags=["reserve"])

MAX_PSBT_BYTES = 1_000_000


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


@api.get("/{statement_id}/status", summary="A statement's signatures, threshold and state (signers, publisher)")
def status(request: Request, actor: ActorDep, statement_id: str) -> Any:
    return jsonable(reserve_statement.status(request.app.state.store, actor, statement_id))


@api.get("/{statement_id}/psbt", response_class=PlainTextResponse,
         summary="The unsigned proof-of-funds PSBT (base64) to sign on a hardware wallet")
def psbt(request: Request, actor: ActorDep, statement_id: str) -> PlainTextResponse:
    return PlainTextResponse(reserve_statement.unsigned_psbt(request.app.state.store, actor, statement_id))


@api.post("/{statement_id}/signatures",
          summary="Upload a signed PSBT (binary or base64 body): accepted, or refused with the reason")
async def submit(request: Request, actor: ActorDep, statement_id: str) -> Any:
    body = await request.body()
    if len(body) > MAX_PSBT_BYTES:
        raise InputError("the PSBT is larger than 1 MB", field="psbt")
    return jsonable(reserve_statement.submit(request.app.state.store, actor, statement_id, body))
