"""The rehearsal chain served as an Esplora-compatible REST API at /api/v1/rehearsal/esplora (the sync subset).

Answers match Blockstream's Esplora: plain-text bodies for hashes, hex and heights, JSON for transactions and
UTXOs, 404 "Transaction not found", 400 with the reason for a refused broadcast. Point any Esplora client
(BDK's EsploraClient, this project's adapter) at http://HOST:PORT/api/v1/rehearsal/esplora.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from biplomacy.core.config import Settings
from biplomacy.core.errors import InputError, NotFound
from biplomacy.reserve.rehearsal import chain
from biplomacy.store.db import Store

PREFIX = "/rehearsal/esplora"
api = APIRouter(prefix=PREFIX, tags=["reserve: rehearsal chain (Esplora API)"])

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_TX_BYTES = 400_000


# heights beyond what a database integer holds are refused with 422, not a 500
Height = Annotated[int, Path(ge=0, le=2**31 - 1)]


def _ctx(request: Request) -> tuple[Store, str]:
    return request.app.state.store, request.app.state.settings.network


def _hex64(value: str, what: str) -> str:
    if not _HEX64.match(value):
        raise InputError(f"{what} must be 64 hex digits", field=what)
    return value.lower()


def _answer(fn: Any, *args: Any) -> Response:
    try:
        value = fn(*args)
    except NotFound as exc:
        return PlainTextResponse(str(exc), status_code=404)
    except InputError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    if isinstance(value, (str, int)):
        return PlainTextResponse(str(value))
    return JSONResponse(value)


@api.get("/blocks/tip/height", response_class=PlainTextResponse)
def tip_height(request: Request) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.tip(store).height)


@api.get("/blocks/tip/hash", response_class=PlainTextResponse)
def tip_hash(request: Request) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.tip(store).hash)


@api.get("/blocks")
def blocks(request: Request) -> Response:
    store, _ = _ctx(request)
    return _answer(chain.blocks, store)


@api.get("/blocks/{start}")
def blocks_from(request: Request, start: Height) -> Response:
    store, _ = _ctx(request)
    return _answer(chain.blocks, store, start)


@api.get("/block-height/{height}", response_class=PlainTextResponse)
def block_height(request: Request, height: Height) -> Response:
    store, _ = _ctx(request)
    return _answer(chain.block_at, store, height)


@api.get("/block/{block_hash}")
def block(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.block(store, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/header", response_class=PlainTextResponse)
def block_header(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.block_header(store, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/status")
def block_status(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)

    def status() -> dict[str, Any]:
        b = chain.block(store, _hex64(block_hash, "hash"))
        return {"in_best_chain": True, "height": b["height"]}
    return _answer(status)


@api.get("/address/{address}/txs")
def address_txs(request: Request, address: str) -> Response:
    store, network = _ctx(request)
    return _answer(chain.address_txs, store, network, address.strip())


@api.get("/address/{address}/txs/chain/{last_seen}")
def address_txs_chain(request: Request, address: str, last_seen: str) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: chain.address_txs(store, network, address.strip(), after=_hex64(last_seen, "txid")))


@api.get("/address/{address}/utxo")
def address_utxo(request: Request, address: str) -> Response:
    store, _ = _ctx(request)
    return _answer(chain.address_utxo, store, address.strip())


@api.get("/scripthash/{scripthash}/txs")
def scripthash_txs(request: Request, scripthash: str) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: chain.address_txs(store, network, _hex64(scripthash, "scripthash"), "scripthash"))


@api.get("/scripthash/{scripthash}/txs/chain/{last_seen}")
def scripthash_txs_chain(request: Request, scripthash: str, last_seen: str) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: chain.address_txs(store, network, _hex64(scripthash, "scripthash"), "scripthash",
                                             after=_hex64(last_seen, "txid")))


@api.get("/scripthash/{scripthash}/utxo")
def scripthash_utxo(request: Request, scripthash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.address_utxo(store, _hex64(scripthash, "scripthash"), "scripthash"))


@api.get("/tx/{txid}")
def tx(request: Request, txid: str) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: chain.tx(store, network, _hex64(txid, "txid")))


@api.get("/tx/{txid}/hex", response_class=PlainTextResponse)
def tx_hex(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.tx_hex(store, _hex64(txid, "txid")))


@api.get("/tx/{txid}/raw")
def tx_raw(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    try:
        text = chain.tx_hex(store, _hex64(txid, "txid"))
    except NotFound as exc:
        return PlainTextResponse(str(exc), status_code=404)
    except InputError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return Response(bytes.fromhex(text), media_type="application/octet-stream")


@api.get("/tx/{txid}/status")
def tx_status(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.tx_status(store, _hex64(txid, "txid")))


@api.post("/tx", response_class=PlainTextResponse)
async def post_tx(request: Request) -> Response:
    """Broadcast a raw transaction (hex body), as Esplora's POST /tx."""
    store, network = _ctx(request)
    body = await request.body()
    if len(body) > MAX_TX_BYTES * 2:
        return PlainTextResponse("transaction too large", status_code=400)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return PlainTextResponse("body must be the transaction in hex", status_code=400)
    return _answer(chain.broadcast, store, network, text)


@api.get("/fee-estimates")
def fee_estimates() -> Response:
    return JSONResponse(chain.fee_estimates())


def rehearsal_app(store: Store, settings: Settings) -> FastAPI:
    """A minimal app serving only this router (same paths), for in-process sync through an ASGI transport."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.settings = settings
    app.include_router(api, prefix="/api/v1")
    return app
