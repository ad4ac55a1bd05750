"""Wallet setup files: export a reserve wallet for signers' wallets to import, import a wallet from such a file.

Export writes what Electrum, Sparrow/Specter, a Coldcard or any BIP-129 (BSMS) signer imports, so that signers
rebuild the same watch-only wallet with no step of ours on their machines; import reads the same formats (and a
plain descriptor) into `wallet add`'s checks. A BSMS record's first address is checked against the address
derived here: a record altered on its way is refused, and nothing is stored.
"""

from __future__ import annotations

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house import audit
from biplomacy.reserve.model import policy, wallet_formats
from biplomacy.reserve.model.recovery_policy import parse_wallet
from biplomacy.reserve.results import SetupFile, WalletImported
from biplomacy.reserve.wallets import add_wallet, check_name, descriptor_of, load
from biplomacy.store.db import Store

MAX_SETUP_BYTES = 1_000_000  # a setup file of 999 keys stays far below this


def export_setup(store: Store, actor: Actor, name: str, fmt: str) -> tuple[SetupFile, str]:
    """The setup file of wallet `name` in format `fmt`, and its record (the edge writes the content)."""
    authorize(actor, "reserve.wallet.manage")  # the file names every signer's key: for the operator to hand out
    if fmt not in wallet_formats.FORMATS:
        raise InputError(f"format {fmt[:20]!r} is not one of {', '.join(wallet_formats.FORMATS)}", field="format")
    with store.transaction() as session:
        row = load(session, name)
        wallet = descriptor_of(row)
        content = wallet_formats.export(wallet, row.name, fmt)
        audit.record(session, actor=actor.name, action="reserve.wallet.export", subject=name,
                     payload={"format": fmt, "first_address": wallet.address(0)})
    return SetupFile(name, fmt, None, wallet.address(0)), content


def import_setup(store: Store, actor: Actor, network: str, name: str, data: bytes,
                 profile: str = policy.DEFAULT_PROFILE, public_addresses: bool = False,
                 on_chain: bool = False) -> WalletImported:
    """Import a watch-only wallet from a setup file; every refusal names what was wrong, nothing is stored."""
    authorize(actor, "reserve.wallet.manage")
    check_name(name)
    if len(data) > MAX_SETUP_BYTES:
        raise InputError(f"the setup file is over {MAX_SETUP_BYTES} bytes: not a wallet setup file", field="file")
    read = wallet_formats.read_setup(data)
    wallet = parse_wallet(read.descriptor, network)
    first = wallet.address(0)
    if read.first_address is not None and read.first_address != first:
        raise InputError(f"the {read.format} file states first address {read.first_address[:100]!r}, but its "
                         f"descriptor gives {first}: the file was altered or is for another network; nothing "
                         "was stored", field="file")
    view = add_wallet(store, actor, network, name, read.descriptor, profile, public_addresses, on_chain)
    return WalletImported(view, read.format, first)
