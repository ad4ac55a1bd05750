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
                first_address: str, network: str, script: str = "wsh sortedmulti") -> list[str]:
    """The sheet's text. Each key is shown in the forms signers' wallets ask for: the xpub/tpub with its origin
    (descriptor wallets: Sparrow, Specter, Coldcard, BDK, Bitcoin Core) and, for a P2WSH wallet, the SLIP-132
    Zpub/Vpub Electrum's multisig wizard needs (a tpub typed there makes a legacy P2SH wallet)."""
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
    if fp not in wallet.fingerprints:
        raise InputError(f"{fp} is not a signer of {name} (signers: {', '.join(wallet.fingerprints)})", field="signer")
    keys = [(k.fingerprint, k.origin_path, k.xpub) for k in wallet.keys]
    script = ("tr " if wallet.is_taproot else "wsh ") + ("sortedmulti" if wallet.sorted_keys else "multi") + (
        "_a" if wallet.is_taproot else "")
    lines = sheet_lines(name, wallet.text, wallet.threshold, keys, fp, wallet.address(0), wallet.network, script)
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
