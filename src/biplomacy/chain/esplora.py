"""ChainSource over an Esplora REST API (Blockstream's esplora, mempool.space, or the rehearsal chain) with httpx."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from biplomacy.core.errors import ChainError, InputError
from biplomacy.core.ports import ChainOutput, ChainTx

PAGE = 25  # Esplora lists 25 confirmed transactions per page
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class EsploraChain:
    """Reads and broadcasts through an Esplora API rooted at `client.base_url`."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _get(self, path: str) -> httpx.Response:
        try:
            response = self.client.get(path)
        except httpx.HTTPError as exc:
            raise ChainError(f"Esplora at {self.client.base_url} did not answer {path}: {exc}") from None
        if response.status_code >= 500:
            raise ChainError(f"Esplora at {self.client.base_url} failed on {path}: HTTP {response.status_code}")
        return response

    def _json(self, path: str) -> Any:
        response = self._get(path)
        if response.status_code != 200:
            raise ChainError(f"Esplora {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise ChainError(f"Esplora {path}: answer is not JSON") from None

    def tip_height(self) -> int:
        text = self._get("/blocks/tip/height").text.strip()
        if not text.isdigit():
            raise ChainError(f"Esplora tip height is not a number: {text[:40]!r}")
        return int(text)

    def address_history(self, address: str) -> list[ChainTx]:
        """Every transaction touching `address`, following Esplora's pages of 25 confirmed transactions."""

        def page(after: str | None) -> list[Any]:
            rows = self._json(f"/address/{address}/txs" + (f"/chain/{after}" if after else ""))
            if not isinstance(rows, list):
                raise ChainError("Esplora address history is not a list")
            return rows

        return follow_pages(page)

    def tx_hex(self, txid: str) -> str | None:
        response = self._get(f"/tx/{txid}/hex")
        return response.text.strip() if response.status_code == 200 else None

    def broadcast(self, tx_hex: str) -> str:
        try:
            response = self.client.post("/tx", content=tx_hex.encode("ascii"))
        except httpx.HTTPError as exc:
            raise ChainError(f"Esplora at {self.client.base_url} did not take the transaction: {exc}") from None
        if response.status_code == 400:
            raise InputError(f"the chain refused the transaction: {response.text.strip()[:300]}", field="tx")
        if response.status_code != 200:
            raise ChainError(f"Esplora broadcast: HTTP {response.status_code} {response.text[:200]}")
        txid = response.text.strip()
        if not _HEX64.match(txid):
            raise ChainError("Esplora broadcast answered something that is not a txid")
        return txid


def follow_pages(page: Callable[[str | None], list[Any]]) -> list[ChainTx]:
    """Every transaction of a history Esplora pages: page(None) answers the mempool and the newest 25 confirmed
    transactions, page(txid) the 25 confirmed ones before that txid; stop at a short page or one with nothing new."""
    seen: dict[str, ChainTx] = {}
    after: str | None = None
    while True:
        txs = [parse_tx(r) for r in page(after)]
        fresh = [t for t in txs if t.txid not in seen]
        seen.update((t.txid, t) for t in txs)
        confirmed = [t for t in txs if t.height is not None]
        if len(confirmed) < PAGE or not fresh:
            return list(seen.values())
        after = confirmed[-1].txid


def parse_tx(row: Any) -> ChainTx:
    """An Esplora transaction object as a ChainTx; a malformed answer is a ChainError, not a crash."""
    try:
        status = row.get("status") or {}
        height = int(status["block_height"]) if status.get("confirmed") else None
        outputs = tuple(ChainOutput(i, str(o.get("scriptpubkey_address") or ""), int(o["value"]))
                        for i, o in enumerate(row["vout"]))
        spends = tuple((str(v["txid"]), int(v["vout"])) for v in row["vin"] if not v.get("is_coinbase"))
        block_time = int(status["block_time"]) if status.get("confirmed") and status.get("block_time") else None
        return ChainTx(str(row["txid"]), height, outputs, spends, int(row.get("fee") or 0),
                       str(row.get("x_rehearsal_source") or ""), block_time)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ChainError("Esplora answered a transaction in an unexpected shape") from None


def http_chain(url: str, timeout: float = 20.0) -> EsploraChain:
    """The adapter on a real Esplora server, e.g. https://blockstream.info/testnet/api."""
    return EsploraChain(httpx.Client(base_url=url.rstrip("/"), timeout=timeout))
