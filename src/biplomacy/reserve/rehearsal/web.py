"""The rehearsal chain served as an Esplora REST API at /api/v1/rehearsal/esplora: the routes of Blockstream's
API.md that wallets and block explorers call (transactions, outspends, merkle proofs, addresses and script
hashes with their statistics, histories and UTXOs, blocks, the mempool, fee estimates, broadcast).

Answers match Blockstream's Esplora: plain-text bodies for hashes, hex and heights, JSON for transactions and
UTXOs, 404 "Transaction not found", 400 with the reason for a refused broadcast. Point any Esplora client
(BDK's EsploraClient, this project's adapter, an explorer) at http://HOST:PORT/api/v1/rehearsal/esplora.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from biplomacy.core.config import Settings
from biplomacy.core.errors import InputError, NotFound
from biplomacy.reserve.rehearsal import chain, explorer
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


def _binary(fn: Any) -> Response:
    try:
        data = fn()
    except NotFound as exc:
        return PlainTextResponse(str(exc), status_code=404)
    except InputError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return Response(data, media_type="application/octet-stream")


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
    return _answer(explorer.blocks, store)


@api.get("/blocks/{start}")
def blocks_from(request: Request, start: Height) -> Response:
    store, _ = _ctx(request)
    return _answer(explorer.blocks, store, start)


@api.get("/block-height/{height}", response_class=PlainTextResponse)
def block_height(request: Request, height: Height) -> Response:
    store, _ = _ctx(request)
    return _answer(chain.block_at, store, height)


@api.get("/block/{block_hash}")
def block(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.block(store, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/header", response_class=PlainTextResponse)
def block_header(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.block_header(store, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/status")
def block_status(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.block_status(store, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/txids")
def block_txids(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.block_txids(store, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/txid/{index}", response_class=PlainTextResponse)
def block_txid(request: Request, block_hash: str, index: Height) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.block_txid(store, _hex64(block_hash, "hash"), index))


@api.get("/block/{block_hash}/txs")
def block_txs(request: Request, block_hash: str) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: explorer.block_txs(store, network, _hex64(block_hash, "hash")))


@api.get("/block/{block_hash}/txs/{start_index}")
def block_txs_from(request: Request, block_hash: str, start_index: Height) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: explorer.block_txs(store, network, _hex64(block_hash, "hash"), start_index))


@api.get("/block/{block_hash}/raw")
def block_raw(request: Request, block_hash: str) -> Response:
    store, _ = _ctx(request)
    return _binary(lambda: explorer.block_raw(store, _hex64(block_hash, "hash")))


def _key(by: str, value: str) -> str:
    return value.strip() if by == "address" else _hex64(value, "scripthash")


def _history_routes(by: str) -> None:
    """The address and scripthash routes, alike but for how the key is written (Esplora serves both)."""
    base = f"/{by}/{{key}}"

    @api.get(base, name=f"{by}_stats")
    def stats(request: Request, key: str) -> Response:
        store, _ = _ctx(request)
        return _answer(lambda: explorer.address_stats(store, _key(by, key), by))

    @api.get(f"{base}/txs", name=f"{by}_txs")
    def txs(request: Request, key: str) -> Response:
        store, network = _ctx(request)
        return _answer(lambda: explorer.address_txs(store, network, _key(by, key), by))

    @api.get(f"{base}/txs/chain", name=f"{by}_txs_chain_first")
    def txs_chain(request: Request, key: str) -> Response:
        store, network = _ctx(request)
        return _answer(lambda: explorer.address_txs(store, network, _key(by, key), by, mempool=False))

    @api.get(f"{base}/txs/chain/{{last_seen}}", name=f"{by}_txs_chain")
    def txs_chain_after(request: Request, key: str, last_seen: str) -> Response:
        store, network = _ctx(request)
        return _answer(lambda: explorer.address_txs(store, network, _key(by, key), by,
                                                    after=_hex64(last_seen, "txid")))

    @api.get(f"{base}/txs/mempool", name=f"{by}_txs_mempool")
    def txs_mempool(request: Request, key: str) -> Response:
        store, network = _ctx(request)
        return _answer(lambda: explorer.address_txs(store, network, _key(by, key), by, chain=False))

    @api.get(f"{base}/utxo", name=f"{by}_utxo")
    def utxo(request: Request, key: str) -> Response:
        store, _ = _ctx(request)
        return _answer(lambda: explorer.address_utxo(store, _key(by, key), by))


_history_routes("address")
_history_routes("scripthash")


@api.get("/tx/{txid}")
def tx(request: Request, txid: str) -> Response:
    store, network = _ctx(request)
    return _answer(lambda: explorer.tx(store, network, _hex64(txid, "txid")))


@api.get("/tx/{txid}/hex", response_class=PlainTextResponse)
def tx_hex(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: chain.tx_hex(store, _hex64(txid, "txid")))


@api.get("/tx/{txid}/raw")
def tx_raw(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _binary(lambda: bytes.fromhex(chain.tx_hex(store, _hex64(txid, "txid"))))


@api.get("/tx/{txid}/status")
def tx_status(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.tx_status(store, _hex64(txid, "txid")))


@api.get("/tx/{txid}/outspends")
def tx_outspends(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.outspends(store, _hex64(txid, "txid")))


@api.get("/tx/{txid}/outspend/{vout}")
def tx_outspend(request: Request, txid: str, vout: Height) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.outspend(store, _hex64(txid, "txid"), vout))


@api.get("/tx/{txid}/merkle-proof")
def tx_merkle_proof(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.merkle_proof(store, _hex64(txid, "txid")))


@api.get("/tx/{txid}/merkleblock-proof", response_class=PlainTextResponse)
def tx_merkleblock_proof(request: Request, txid: str) -> Response:
    store, _ = _ctx(request)
    return _answer(lambda: explorer.merkleblock_proof(store, _hex64(txid, "txid")))


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


@api.get("/mempool")
def mempool(request: Request) -> Response:
    store, _ = _ctx(request)
    return _answer(explorer.mempool, store)


@api.get("/mempool/txids")
def mempool_txids(request: Request) -> Response:
    store, _ = _ctx(request)
    return _answer(explorer.mempool_txids, store)


@api.get("/mempool/recent")
def mempool_recent(request: Request) -> Response:
    store, _ = _ctx(request)
    return _answer(explorer.mempool_recent, store)


@api.get("/fee-estimates")
def fee_estimates() -> Response:
    return JSONResponse(explorer.fee_estimates())


def rehearsal_app(store: Store, settings: Settings) -> FastAPI:
    """A minimal app serving only this router (same paths), for in-process sync through an ASGI transport."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.settings = settings
    app.include_router(api, prefix="/api/v1")
    return app
