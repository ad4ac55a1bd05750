"""Which chain a command reads: Esplora or Electrum by the URL's scheme, else the rehearsal chain in this process.

The in-process source calls the rehearsal chain's use cases directly and reads their answers exactly as the
Esplora client reads the same answers over HTTP (`chain.esplora.parse_tx`, the same paging), so a sync against
the rehearsal chain in-process and one against `biplomacy serve`'s Esplora API see the same transactions.
"""

from __future__ import annotations

from typing import Any

from biplomacy.chain.esplora import PAGE, follow_pages, http_chain
from biplomacy.core.config import Settings
from biplomacy.core.errors import ChainError, ConfigError, InputError, NotFound
from biplomacy.core.ports import ChainSource, ChainTx
from biplomacy.reserve.rehearsal import chain, explorer
from biplomacy.store.db import Store


class RehearsalSource:
    """A ChainSource over the rehearsal chain kept in `store` (no socket, no web framework)."""

    def __init__(self, store: Store, network: str) -> None:
        self.store = store
        self.network = network

    def tip_height(self) -> int:
        return chain.tip(self.store).height

    def address_history(self, address: str) -> list[ChainTx]:
        """Every transaction touching `address`: the mempool, then confirmed ones a page at a time."""

        def page(after: str | None) -> list[Any]:
            try:
                return explorer.address_txs(self.store, self.network, address.strip(), after=after, page=PAGE)
            except InputError as exc:
                raise ChainError(f"rehearsal chain: address history of {address[:80]!r}: {exc}") from None

        return follow_pages(page)

    def tx_hex(self, txid: str) -> str | None:
        try:
            return chain.tx_hex(self.store, txid.strip().lower())
        except (NotFound, InputError):
            return None

    def broadcast(self, tx_hex: str) -> str:
        try:
            return chain.broadcast(self.store, self.network, tx_hex)
        except InputError as exc:  # the chain's reason, phrased as any Esplora server's refusal is
            raise InputError(f"the chain refused the transaction: {str(exc).strip()[:300]}", field="tx") from None


def chain_for(store: Store, settings: Settings, url: str | None = None) -> ChainSource:
    """The chain at `url` (else settings.chain_url, else settings.esplora_url): http(s):// is Esplora, tcp:// or
    ssl:// is Electrum (through BDK); with none set, the rehearsal chain."""
    url = (url or settings.chain_url or settings.esplora_url).strip()
    if not url:
        return RehearsalSource(store, settings.network)
    if url.startswith(("http://", "https://")):
        return http_chain(url)
    if url.startswith(("tcp://", "ssl://")):
        from biplomacy.chain.electrum import ElectrumChain  # loads BDK's Electrum client only when asked for

        return ElectrumChain(url, settings.network)
    raise ConfigError(f"chain URL {url[:80]!r} must start with http:// or https:// (Esplora), or tcp:// or ssl:// "
                      "(Electrum)")
