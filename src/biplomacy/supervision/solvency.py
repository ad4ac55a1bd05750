"""Use cases of exchange proofs of solvency: build a snapshot into a folder, verify a proof, cover with reserves."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from biplomacy.core.errors import InputError
from biplomacy.core.files import read_json, read_text
from biplomacy.core.ports import ChainSource
from biplomacy.reserve.messages import signature_problem
from biplomacy.supervision.model.solvency import (
    build_snapshot,
    file_safe_id,
    read_liabilities,
    render_proofs,
    verify_proof,
)
from biplomacy.supervision.model.solvency_reserves import address_balance, cover, read_holdings
from biplomacy.supervision.results import ReserveCoverageReport, SnapshotMark, SolvencyBuild, SolvencyCheck


def build_solvency(liabilities: Path, out: Path, *, height: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> SolvencyBuild:
    """Read, check and build everything in memory first; only then write root.json and proofs/ under `out`.

    The proofs are written to a fresh folder and swapped in, so `out` never mixes two snapshots.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", field="out")
    try:
        with liabilities.open(encoding="utf-8", newline="") as f:
            data = read_liabilities(f, source=str(liabilities))
    except FileNotFoundError:
        raise InputError(f"liabilities file {liabilities} does not exist", field="liabilities") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(f"liabilities file {liabilities} cannot be read: {exc}", field="liabilities") from None
    snapshot = build_snapshot(data, height=height)
    root = snapshot.root_document()
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".proofs-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    used: set[str] = set()
    for done, (user, text) in enumerate(render_proofs(snapshot), start=1):
        name = file_safe_id(user)
        if name.lower() in used:  # case-insensitive file systems
            name = f"{name}-{done}"
        used.add(name.lower())
        (staging / f"{name}.json").write_text(text, encoding="utf-8")
        if progress and done % 10_000 == 0:
            progress(done, snapshot.tree.users)
    final = out / "proofs"
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    (out / "root.json").write_text(json.dumps(root, indent=2) + "\n", encoding="utf-8")
    return SolvencyBuild(root["root"], root["totals"], root["users"], tuple(root["assets"]), root["units"],
                         root["depth"], SnapshotMark(snapshot.height, snapshot.time), out / "root.json", final)


def verify_solvency_proof(proof: Path, root: Path) -> SolvencyCheck:
    """Offline check of one customer's proof; an unreadable file is an InputError, a bad proof is valid=False."""
    proof_doc, root_doc = read_json(proof, "proof"), read_json(root, "root")
    reason = verify_proof(proof_doc, root_doc)
    if reason is not None:
        return SolvencyCheck(False, reason)
    return SolvencyCheck(True, None, proof_doc["user_id"],
                         dict(zip(proof_doc["assets"], proof_doc["balances"], strict=True)), root_doc["root"],
                         root_doc["snapshot"])


def solvency_against_reserves(root: Path, reserves: Path, chain: ChainSource | None = None) -> ReserveCoverageReport:
    """Compare the published per-asset liabilities with reserve holdings; report ratios and proven addresses.

    With `chain`, BTC balances are read from the chain at the snapshot's height instead of the file.
    """
    root_doc = read_json(root, "root")
    totals = root_doc.get("totals") if isinstance(root_doc, dict) else None
    if not isinstance(totals, dict) or not all(type(v) is int and v >= 0 for v in totals.values()):
        raise InputError(f"root {root}: no per-asset integer `totals`", field="totals")
    holdings = read_holdings(read_text(reserves, "reserves"), source=str(reserves), need_balance=chain is None)
    if chain is not None:
        height = (root_doc.get("snapshot") or {}).get("height")
        holdings = [replace(h, balance=address_balance(h.address, chain.address_history(h.address), height))
                    if h.asset == "BTC" else h for h in holdings]
    assets, proofs = cover(totals, holdings, signature_problem)
    return ReserveCoverageReport(root_doc.get("root"), root_doc.get("snapshot"), assets,
                                 all(a.covered for a in assets.values()), tuple(proofs))
