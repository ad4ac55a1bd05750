"""Descriptor backup sheets: one printable page per signer with everything needed to rebuild the watch-only wallet."""

from __future__ import annotations

import html
import re
from pathlib import Path

from biplomacy.core.errors import InputError
from biplomacy.reserve.model.descriptors import electrum_xpub
from biplomacy.reserve.results import BackupSheet
from biplomacy.reserve.wallets import descriptor_of, load
from biplomacy.store.db import Store

_FP = re.compile(r"^[0-9a-fA-F]{8}$")


def sheet_lines(name: str, descriptor: str, threshold: int, keys: list[tuple[str, str, str]], signer: str,
                first_address: str, network: str, script: str = "wsh sortedmulti",
                paths: list[tuple[str, list[tuple[str, str, str]]]] | None = None) -> list[str]:
    """The sheet's text. Each key is shown in the forms signers' wallets ask for: the xpub/tpub with its origin
    (descriptor wallets: Sparrow, Specter, Coldcard, BDK, Bitcoin Core) and, for a P2WSH multisig, the SLIP-132
    Zpub/Vpub Electrum's multisig wizard needs (a tpub typed there makes a legacy P2SH wallet). A policy with
    recovery paths (`paths`: each path in words with its keys) lists every path and its keys instead."""
    if paths:
        lines = [f"BIPLOMACY RESERVE: DESCRIPTOR BACKUP SHEET (signer {signer})", "",
                 f"Wallet:     {name}", f"Network:    {network}",
                 f"Policy:     {len(paths)} spending paths ({script}); a spend uses one of them:"]
        for words, path_keys in paths:
            lines += ["", f"  {words}"]
            for fp, origin, xpub in path_keys:
                mark = "  <== THIS SIGNER'S KEY" if fp == signer else ""
                lines.append(f"    [{fp}] {origin}  {xpub}{mark}")
        lines += ["", "A recovery path is for lost keys: coins the primary signers refresh in time never reach it."]
    else:
        lines = [f"BIPLOMACY RESERVE: DESCRIPTOR BACKUP SHEET (signer {signer})", "",
                 f"Wallet:     {name}", f"Network:    {network}",
                 f"Policy:     {threshold} of {len(keys)} signatures ({script})", "", "Signers:"]
        for fp, origin, xpub in keys:
            mark = "  <== THIS SIGNER'S KEY" if fp == signer else ""
            lines.append(f"  [{fp}] {origin}  {xpub}{mark}")
            if script.startswith("wsh"):
                lines.append(f"      Electrum (multisig wizard, native segwit): {electrum_xpub(xpub)}")
    lines += ["", "Descriptor (public only; with its BIP-380 checksum):", descriptor, "",
              f"First receive address (0/0): {first_address}",
              "", "Keep with the signer's seed backup. This sheet holds no private key: it lets anyone rebuild the",
              "watch-only wallet and check addresses, but spending still needs "
              f"{threshold} signers' devices."]
    return lines


def write_backup_sheet(store: Store, name: str, signer: str, out: Path) -> BackupSheet:
    """Write the sheet for `signer` to `out` (.html: printable page; anything else: plain text)."""
    fp = signer.strip().lower()
    if not _FP.match(fp):
        raise InputError(f"{signer[:20]!r} must be an 8-hex-digit master fingerprint", field="signer")
    with store.read() as session:
        wallet = descriptor_of(load(session, name))
    if fp not in wallet.all_fingerprints:
        raise InputError(f"{fp} is not a signer of {name} (signers: {', '.join(wallet.all_fingerprints)})",
                         field="signer")
    keys = [(k.fingerprint, k.origin_path, k.xpub) for k in wallet.keys]
    script = ("tr " if wallet.is_taproot else "wsh ") + ("sortedmulti" if wallet.sorted_keys else "multi") + (
        "_a" if wallet.is_taproot else "")
    paths = None
    if wallet.has_recovery:
        script = "taproot, one leaf per path" if wallet.is_taproot else "P2WSH miniscript"
        paths = [(p.words(), [(k.fingerprint, k.origin_path, f"{k.xpub}/<{k.branches[0]};{k.branches[1]}>/*")
                              for k in p.keys]) for p in wallet.spend_paths]
    lines = sheet_lines(name, wallet.text, wallet.threshold, keys, fp, wallet.address(0), wallet.network, script,
                        paths)
    if not out.parent.exists():
        raise InputError(f"{out}: folder {out.parent} does not exist", field="out")
    if out.suffix.lower() in (".html", ".htm"):
        body = "\n".join(html.escape(line) for line in lines)
        out.write_text("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Backup sheet "
                       f"{html.escape(name)} / {fp}</title><style>body{{font-family:monospace;margin:2cm}}"
                       "pre{white-space:pre-wrap;word-break:break-all;font-size:11pt}</style>"
                       f"<pre>{body}</pre></html>\n", encoding="utf-8")
    else:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return BackupSheet(name, fp, out, wallet.address(0))
