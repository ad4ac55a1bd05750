"""Reserve statements without the database: a draft from a descriptor and a UTXO file, then the signed PSBTs
assembled into the statement JSON, for a wallet kept outside Biplomacy's store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from embit.psbt import PSBT

from biplomacy.reserve.model import statement as st
from biplomacy.reserve.model.ledger import btc_text
from biplomacy.reserve.model.recovery_policy import parse_wallet

SCAN = 1000  # derivation indexes searched on each chain for a coin's script


def _locate(wallet: Any, script_hex: str, cache: dict[tuple[int, bool], str]) -> tuple[int, bool]:
    for index in range(SCAN):
        for change in (False, True):
            spk = cache.get((index, change))
            if spk is None:
                spk = cache[(index, change)] = wallet.script_pubkey(index, change).hex()
            if spk == script_hex:
                return index, change
    raise ValueError(f"script {script_hex[:20]}... is not the descriptor's in its first {SCAN} indexes")


def draft(descriptor: str, network: str, wallet_name: str, utxos: list[dict[str, Any]], height: int,
          block_hash: str, message: str) -> dict[str, Any]:
    """The statement without its signature, and `psbt`: the unsigned pof PSBT (base64) for the signers.

    ValueError (with the reason) for a coin not of this descriptor, a malformed coin or snapshot.
    """
    wallet = parse_wallet(descriptor, network)
    if not message.strip():
        raise ValueError("the statement needs a message")
    if height < 0 or len(bytes.fromhex(block_hash)) != 32:
        raise ValueError("height must be >= 0 and block_hash 32 bytes of hex")
    cache: dict[tuple[int, bool], str] = {}
    coins = []
    for u in utxos:
        script_hex = str(u["script_pubkey"]).lower()
        index, change = _locate(wallet, script_hex, cache)
        coins.append(st.Coin(str(u["txid"]).lower(), int(u["vout"]), int(u["sats"]), script_hex, change, index))
    if not coins:
        raise ValueError("the UTXO file lists no coins")
    text = message.strip()
    psbt = st.build_pof_psbt(wallet, st.signed_message(text, wallet_name, height, block_hash.lower()), coins)
    total = sum(c.sats for c in coins)
    ident = "rs-" + hashlib.sha256(psbt.tx.txid()).hexdigest()[:10]
    return {"format": st.FORMAT, "id": ident, "wallet": wallet_name, "network": network, "descriptor": wallet.text,
            "address": wallet.address(0, False), "threshold": wallet.threshold, "height": height,
            "block_hash": block_hash.lower(), "message": text, "utxos": [c.as_dict() for c in coins],
            "total_sats": total, "total_btc": btc_text(total), "psbt": psbt.to_base64()}


def assemble(draft_doc: dict[str, Any], signed: list[PSBT]) -> dict[str, Any]:
    """The final statement from a draft and the signers' PSBTs; ValueError when they do not make a valid one."""
    doc = {k: v for k, v in draft_doc.items() if k != "psbt"}
    unsigned = PSBT.from_base64(str(draft_doc["psbt"]))
    for i, p in enumerate(signed, start=1):
        if p.tx.txid() != unsigned.tx.txid():
            raise ValueError(f"signed PSBT {i} signs another statement (other message, snapshot or coins)")
    doc["created_at"] = datetime.now(UTC).isoformat()
    doc["signature"] = st.finalize(unsigned, signed)
    check = st.verify_statement(doc)
    if not check.valid:
        raise ValueError(f"the assembled statement does not verify: {check.reason}")
    return doc
