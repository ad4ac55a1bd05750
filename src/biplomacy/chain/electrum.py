"""ChainSource over an Electrum server (tcp:// or ssl://) through BDK's ElectrumClient.

BDK's Electrum client scans wallets, not lone addresses: it takes a descriptor's full-scan request and answers
a BDK `Update` (it checks every confirmed transaction's merkle branch against its block header). So a wallet
sync first calls `watch(descriptor, revealed, gap)`; the adapter runs BDK's full scan of both branches, then a
sync of every address up to what our own gap walk will ask for, and answers `address_history` from the
transactions BDK found. An address outside a watched wallet cannot be asked (use an Esplora URL for that).

Every failure of the server (unreachable, not Electrum, an error answer) is a ConfigError naming the URL:
the user fixes the configured URL; nothing is stored before the scan completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bdkpython as bdk

from biplomacy.core.errors import ChainError, ConfigError, InputError
from biplomacy.core.networks import bdk_network
from biplomacy.core.ports import ChainOutput, ChainTx

SCHEMES = ("tcp://", "ssl://")
BATCH = 25  # script histories asked per batched request


@dataclass(frozen=True, slots=True)
class _Scan:
    """What one wallet scan found: every transaction by txid, and the addresses each touches."""

    addresses: frozenset[str]
    by_address: dict[str, list[ChainTx]]
    paths: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # receive, change addresses by index


class _Scanned(bdk.FullScanScriptInspector):
    """Notes each (keychain, index) BDK's full scan asked the server about, with its script (so its address need
    not be derived a second time)."""

    def __init__(self) -> None:
        self.scripts: dict[tuple[bdk.KeychainKind, int], bytes] = {}

    @property
    def seen(self) -> set[tuple[bdk.KeychainKind, int]]:
        return set(self.scripts)

    def inspect(self, keychain: bdk.KeychainKind, index: int, script: bdk.Script) -> None:
        self.scripts[(keychain, index)] = bytes(script.to_bytes())


def _why(exc: Exception) -> str:
    message = getattr(exc, "error_message", "") or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"[:300]


class ElectrumChain:
    """Reads and broadcasts through an Electrum server with BDK; `network` names the chain's addresses."""

    def __init__(self, url: str, network: str, timeout: int = 20, validate_domain: bool = True) -> None:
        if not url.startswith(SCHEMES):
            raise ConfigError(f"Electrum URL {url[:80]!r} must start with tcp:// or ssl://")
        self.url = url
        self.network = network
        self._timeout = timeout
        self._validate = validate_domain
        self._client: bdk.ElectrumClient | None = None
        self._scan: _Scan | None = None

    def _failed(self, what: str, exc: Exception) -> ConfigError:
        why = _why(exc)
        if "os error 11" in why or "timed out" in why.lower():
            why = f"no answer within {self._timeout} s; {why}"
        return ConfigError(f"the Electrum server at {self.url} failed to {what} ({why}); check the chain "
                           "URL (BIPLOMACY_CHAIN_URL or --chain-url): nothing was stored")

    @property
    def client(self) -> bdk.ElectrumClient:
        if self._client is None:
            try:
                self._client = bdk.ElectrumClient(self.url, timeout=self._timeout, retry=0,
                                                  validate_domain=self._validate)
            except bdk.ElectrumError as exc:
                raise self._failed("accept a connection", exc) from None
        return self._client

    def tip_height(self) -> int:
        try:
            return int(self.client.block_headers_subscribe().height)
        except bdk.ElectrumError as exc:
            raise self._failed("tell its tip", exc) from None

    def watch(self, descriptor: str, revealed: tuple[int, int], gap: int) -> None:
        """Scan a two-path descriptor's addresses as our gap walk will visit them: after this, address_history
        answers for every address up to max(revealed - 1, last used + gap) on each branch."""
        network = bdk_network(self.network)
        kind = bdk.NetworkKind.MAIN if self.network == "bitcoin" else bdk.NetworkKind.TEST
        try:
            parsed = bdk.Descriptor(descriptor, kind)
        except bdk.DescriptorError:
            raise InputError("BDK cannot build a wallet from this descriptor (bdkpython 3.1 has no sortedmulti_a), "
                             "so Electrum cannot scan it: sync it through an Esplora URL or the rehearsal chain",
                             field="chain_url") from None
        wallet = bdk.Wallet.create_from_two_path_descriptor(parsed, network, bdk.Persister.new_in_memory())
        scanned = _Scanned()
        try:
            # fetch_prev_txouts=False: the rehearsal faucet's inputs spend made-up outpoints (no fee is known)
            request = wallet.start_full_scan().inspect_spks_for_all_keychains(scanned).build()
            wallet.apply_update(self.client.full_scan(request, gap, BATCH, False))
            self._scan = _cover(self.client, wallet, network, scanned, revealed, gap)
        except bdk.ElectrumError as exc:
            raise self._failed("scan the wallet", exc) from None
        except bdk.CannotConnectError as exc:
            raise ChainError(f"the Electrum server at {self.url} answered blocks that do not connect to what "
                             f"it answered before ({_why(exc)}); sync again") from None

    def scanned_address(self, index: int, change: bool) -> str | None:
        known = self._scan.paths[1 if change else 0] if self._scan is not None else ()
        return known[index] if index < len(known) else None

    def address_history(self, address: str) -> list[ChainTx]:
        if self._scan is None or address not in self._scan.addresses:
            raise InputError(f"the Electrum adapter answers for addresses of a scanned wallet only; {address[:90]} "
                             "is not one (use an Esplora URL to look up a lone address)", field="address")
        return list(self._scan.by_address.get(address, []))

    def tx_hex(self, txid: str) -> str | None:
        try:
            raw = self.client.transaction_get_raw(bdk.Txid.from_string(txid))
        except bdk.TxidParseError:
            return None
        except bdk.ElectrumError.Protocol:
            return None  # the server's error answer to an unknown transaction
        except bdk.ElectrumError as exc:
            raise self._failed(f"send transaction {txid[:64]}", exc) from None
        return bytes(raw).hex()

    def broadcast(self, tx_hex: str) -> str:
        try:
            tx = bdk.Transaction(bytes.fromhex(tx_hex.strip()))
        except (ValueError, bdk.TransactionError):
            raise InputError("transaction is not valid hex of a Bitcoin transaction", field="tx") from None
        try:
            return str(self.client.transaction_broadcast(tx))
        except bdk.ElectrumError.Protocol as exc:
            raise InputError(f"the chain refused the transaction: {_why(exc)}", field="tx") from None
        except bdk.ElectrumError as exc:
            raise self._failed("take the transaction", exc) from None


_BRANCHES = (bdk.KeychainKind.EXTERNAL, bdk.KeychainKind.INTERNAL)


def _cover(client: bdk.ElectrumClient, wallet: bdk.Wallet, network: bdk.Network, scanned: _Scanned,
           revealed: tuple[int, int], gap: int) -> _Scan:
    """Sync what the full scan did not ask about until each branch is known up to max(revealed - 1, last used +
    gap), as our gap walk goes (an address revealed past the stop gap, once used, moves the end further)."""
    paths: dict[bdk.KeychainKind, list[str]] = {k: [] for k in _BRANCHES}
    seen = scanned.seen
    names = _Names(network)

    def peek(keychain: bdk.KeychainKind, last: int) -> None:
        known = paths[keychain]
        for i in range(len(known), last + 1):
            script = scanned.scripts.get((keychain, i))
            known.append(names.of(script) if script is not None else str(wallet.peek_address(keychain, i).address))

    for keychain, first_unrevealed in zip(_BRANCHES, revealed, strict=True):
        peek(keychain, max([first_unrevealed - 1] + [i for k, i in seen if k == keychain]))
    while True:
        scan = _index(wallet, names, frozenset(a for known in paths.values() for a in known))
        wanted = {}
        for keychain, first_unrevealed in zip(_BRANCHES, revealed, strict=True):
            used = max((i for i, a in enumerate(paths[keychain]) if a in scan.by_address), default=-1)
            wanted[keychain] = max(first_unrevealed - 1, used + gap)
        missing = {k: last for k, last in wanted.items() if any((k, i) not in seen for i in range(last + 1))}
        if not missing:
            return _Scan(frozenset(a for k in _BRANCHES for a in paths[k][:wanted[k] + 1]), scan.by_address,
                         (tuple(paths[_BRANCHES[0]]), tuple(paths[_BRANCHES[1]])))
        for keychain, last in missing.items():
            wallet.reveal_addresses_to(keychain, last)
            peek(keychain, last)
            seen |= {(keychain, i) for i in range(last + 1)}
        wallet.apply_update(client.sync(wallet.start_sync_with_revealed_spks().build(), BATCH, False))


class _Names:
    """Output script -> address, each distinct script asked of BDK once (a wallet's thousands of receipts pay a
    few hundred scripts)."""

    def __init__(self, network: bdk.Network) -> None:
        self.network = network
        self.known: dict[bytes, str] = {}

    def of(self, script: bytes) -> str:
        name = self.known.get(script)
        if name is None:
            try:
                name = str(bdk.Address.from_script(bdk.Script(script), self.network))
            except bdk.FromScriptError:
                name = ""  # a non-standard script has no address
            self.known[script] = name
        return name


_COINBASE_PREVOUT = ("0" * 64, 0xFFFFFFFF)


def _index(wallet: bdk.Wallet, names: _Names, addresses: frozenset[str]) -> _Scan:
    """Each canonical transaction of a scanned BDK wallet as a ChainTx, filed under every address it pays or
    spends from. Each BDK call crosses the FFI, so each is made once per transaction (10,000 receipts: ~40 calls
    each before, 2.4 s)."""
    canonical = {}
    for c in wallet.transactions():
        tx = c.transaction
        canonical[str(tx.compute_txid())] = (c, tx)
    outputs = {txid: [(names.of(bytes(o.script_pubkey.to_bytes())), int(o.value.to_sat())) for o in tx.output()]
               for txid, (_, tx) in canonical.items()}
    by_address: dict[str, list[ChainTx]] = {}
    for txid, (c, tx) in canonical.items():
        spends = tuple((str(i.previous_output.txid), int(i.previous_output.vout)) for i in tx.input())
        if spends == (_COINBASE_PREVOUT,):
            spends = ()
        height, time = _position(c.chain_position)
        # BDK knows the fee only when it holds every input's previous transaction (the wallet's own spends)
        fee = _fee(wallet, tx) if spends and all(t in canonical for t, _ in spends) else 0
        paid = outputs[txid]
        chain_tx = ChainTx(txid, height, tuple(ChainOutput(v, a, sats) for v, (a, sats) in enumerate(paid)),
                           spends, fee, "", time)
        touched = {a for a, _ in paid if a in addresses}
        touched |= {outputs[t][v][0] for t, v in spends if t in outputs and v < len(outputs[t])}
        for address in touched & addresses:
            by_address.setdefault(address, []).append(chain_tx)
    return _Scan(addresses, by_address)


def _position(position: Any) -> tuple[int | None, int | None]:
    """(height, block time) of a confirmed transaction, (None, None) for one in the mempool."""
    if position.is_confirmed():
        block = position.confirmation_block_time
        return int(block.block_id.height), int(block.confirmation_time)
    return None, None


def _fee(wallet: bdk.Wallet, tx: bdk.Transaction) -> int:
    """The fee when BDK knows every input's value (the wallet's own spends), else 0 (as for a faucet payment)."""
    try:
        return int(wallet.calculate_fee(tx).to_sat())
    except bdk.CalculateFeeError:
        return 0
