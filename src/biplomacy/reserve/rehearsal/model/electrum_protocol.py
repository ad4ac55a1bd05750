"""The Electrum protocol's wire format (JSON-RPC 2.0, one JSON document per line) and its chain encodings.

Pure functions: services/rehearsal_electrum.py serves the rehearsal chain with them. Method semantics follow
the Electrum protocol 1.4 (https://electrum-protocol.readthedocs.io/en/latest/protocol-methods.html, read
2026-11-23): script hashes are the SHA-256 of the output script shown byte-reversed, merkle branches are
hashes in display order, a mempool transaction's height is 0 (-1 when it spends an unconfirmed output), a
script's status is the SHA-256 of "txid:height:" over its history. Notifications are JSON-RPC requests without
an id, as ElectrumX pushes them; the fee histogram is ElectrumX's compact one (server/mempool.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

PROTOCOL_VERSION = "1.4"
PROTOCOL_MIN, PROTOCOL_MAX = (1, 4), (1, 4, 2)  # 1.4.1 and 1.4.2 add nothing a 1.4 server lacks but unsubscribe
MAX_LINE = 1_000_000  # bytes; a longer request is refused (a raw transaction is at most 400 kB of hex * 2)

# JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object)
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
# what ElectrumX answers for a refused broadcast or an unknown transaction (its RPCError codes)
BAD_REQUEST, DAEMON_ERROR = 1, 2


class RpcError(Exception):
    """An error the server answers to one request (the connection stays open)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Method = Callable[..., Any]


def electrum_scripthash(script: bytes) -> str:
    """The Electrum script hash of an output script: SHA-256, byte-reversed, hex."""
    return hashlib.sha256(script).digest()[::-1].hex()


def esplora_scripthash(electrum_hash: str) -> str:
    """The same script hash as Esplora (and the store) writes it: not reversed."""
    return bytes.fromhex(electrum_hash)[::-1].hex()


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_levels(txids: list[str]) -> list[list[bytes]]:
    """Every level of a block's merkle tree (internal byte order), leaves first, each odd level padded."""
    level = [bytes.fromhex(t)[::-1] for t in txids]
    levels = []
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        levels.append(level)
        level = [_sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return levels


def merkle_root_hex(hashes: list[str]) -> str:
    """The merkle root (display hex) over hashes given in display hex (txids, or block hashes for cp_height)."""
    levels = merkle_levels(hashes)
    if not levels:
        return hashes[0]
    top = levels[-1]
    return _sha256d(top[0] + top[1])[::-1].hex()


def branch_at(levels: list[list[bytes]], pos: int) -> list[str]:
    """The merkle branch of the leaf at `pos`, from a tree's levels (display hex, leaf's sibling first)."""
    branch = []
    for level in levels:
        branch.append(level[pos ^ 1][::-1].hex())
        pos //= 2
    return branch


def merkle_branch(txids: list[str], pos: int) -> list[str]:
    """The merkle branch of the transaction at `pos` among a block's `txids` (display hex in, display hex out)."""
    if not 0 <= pos < len(txids):
        raise ValueError(f"position {pos} outside a block of {len(txids)} transactions")
    return branch_at(merkle_levels(txids), pos)


def merkle_root_from_branch(txid: str, branch: list[str], pos: int) -> str:
    """The root a branch proves (display hex), as a client checks it."""
    node = bytes.fromhex(txid)[::-1]
    for sibling in branch:
        other = bytes.fromhex(sibling)[::-1]
        node = _sha256d(node + other) if pos % 2 == 0 else _sha256d(other + node)
        pos //= 2
    return node[::-1].hex()


def script_status(history: list[tuple[str, int]]) -> str | None:
    """A script's status: SHA-256 over "txid:height:" of its history in the order get_history lists it; None when
    the script has no history (protocol 1.4, blockchain.scripthash.subscribe)."""
    if not history:
        return None
    return hashlib.sha256("".join(f"{t}:{h}:" for t, h in history).encode()).hexdigest()


def _version_tuple(text: Any) -> tuple[int, ...]:
    if not isinstance(text, str) or not text or len(text) > 20:
        raise RpcError(INVALID_PARAMS, "protocol version must be a string such as \"1.4\"")
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        raise RpcError(INVALID_PARAMS, f"protocol version {text[:20]!r} is not dotted numbers") from None


def negotiate(protocol_version: Any) -> str:
    """The version both sides speak, from the client's "1.4" or ["1.2", "1.4"] (protocol 1.4, server.version);
    RpcError when the ranges do not meet (ElectrumX answers "unsupported protocol version" and disconnects)."""
    if isinstance(protocol_version, list) and len(protocol_version) == 2:
        low, high = _version_tuple(protocol_version[0]), _version_tuple(protocol_version[1])
    else:
        low = high = _version_tuple(protocol_version)
    best = min(high, PROTOCOL_MAX)
    if best < max(low, PROTOCOL_MIN):
        raise RpcError(BAD_REQUEST, f"unsupported protocol version: {protocol_version}")
    return ".".join(str(p) for p in best)


def fee_histogram(rates: list[tuple[float, int]], bin_size: int = 100_000) -> list[list[float | int]]:
    """ElectrumX's compact fee histogram of a mempool: [[fee_rate, vsize], ...], fee rates in sat/vB decreasing,
    each bin holding at least `bin_size` vbytes (growing 10 % a bin) of the transactions paying at least that rate.

    `rates` holds (fee rate in sat/vB, vsize) per mempool transaction. As ElectrumX's mempool._compress_histogram
    (kyuupichan/electrumx, server/mempool.py): rates are floored to 0.1 sat/vB, and a lump of more than twice a
    bin closes the bin before it."""
    histogram: dict[float, int] = {}
    for rate, vsize in rates:
        key = int(rate * 10) / 10
        histogram[key] = histogram.get(key, 0) + vsize
    compact: list[list[float | int]] = []
    cum, size, prev = 0, float(bin_size), None
    for rate, vsize in sorted(histogram.items(), reverse=True):
        if vsize > 2 * size and prev is not None and cum > 0:
            compact.append([prev, cum])
            cum, size = 0, size * 1.1
        cum += vsize
        if cum > size:
            compact.append([rate, cum])
            cum, size = 0, size * 1.1
        prev = rate
    return compact


def notification(method: str, params: list[Any]) -> bytes:
    """A notification the server pushes (a request without an id), one line."""
    return _encode({"jsonrpc": "2.0", "method": method, "params": params})


def hex64(value: Any, what: str) -> str:
    """A 64-hex-digit parameter (txid, script hash), lower-cased, or INVALID_PARAMS."""
    if not isinstance(value, str) or len(value) != 64 or not all(c in "0123456789abcdefABCDEF" for c in value):
        raise RpcError(INVALID_PARAMS, f"{what} must be 64 hex digits")
    return value.lower()


def height_param(value: Any, what: str = "height") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise RpcError(INVALID_PARAMS, f"{what} must be a non-negative integer")
    return value


def _one(request: Any, methods: Mapping[str, Method]) -> dict[str, Any] | None:
    """The answer to one request object; None for a notification (no id)."""
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": "invalid request"}}
    rid = request.get("id")
    params = request.get("params", [])
    try:
        method = methods.get(request["method"])
        if method is None:
            raise RpcError(METHOD_NOT_FOUND, f"unknown method {request['method'][:60]!r}")
        if isinstance(params, dict):
            result = method(**params)
        elif isinstance(params, list):
            result = method(*params)
        else:
            raise RpcError(INVALID_PARAMS, "params must be a list or an object")
    except TypeError:
        answer: dict[str, Any] = {"code": INVALID_PARAMS, "message": f"wrong parameters for {request['method']}"}
        return None if "id" not in request else {"jsonrpc": "2.0", "id": rid, "error": answer}
    except RpcError as exc:
        return None if "id" not in request else {"jsonrpc": "2.0", "id": rid,
                                                   "error": {"code": exc.code, "message": exc.message}}
    except Exception as exc:  # noqa: BLE001 - one failed request must not end the client's connection
        return None if "id" not in request else {"jsonrpc": "2.0", "id": rid, "error": {
            "code": INTERNAL_ERROR, "message": f"internal error ({type(exc).__name__})"}}
    return None if "id" not in request else {"jsonrpc": "2.0", "id": rid, "result": result}


def handle_line(line: bytes, methods: Mapping[str, Method]) -> bytes | None:
    """Answer one line of the stream (a request or a batch of them); None when nothing is to be sent back."""
    if len(line) > MAX_LINE:
        return _encode({"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST,
                                                                 "message": "request too large"}})
    try:
        doc = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return _encode({"jsonrpc": "2.0", "id": None, "error": {"code": PARSE_ERROR, "message": "parse error"}})
    if isinstance(doc, list):
        if not doc:
            return _encode({"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST,
                                                                     "message": "empty batch"}})
        answers = [a for a in (_one(r, methods) for r in doc) if a is not None]
        return _encode(answers) if answers else None
    answer = _one(doc, methods)
    return None if answer is None else _encode(answer)


def _encode(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"
