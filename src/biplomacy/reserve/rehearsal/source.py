"""Which chain adapter a command uses: Esplora or Electrum by the URL's scheme, else the rehearsal chain in-process."""

from __future__ import annotations

import warnings

from biplomacy.chain.esplora import EsploraChain, http_chain
from biplomacy.core.config import Settings
from biplomacy.core.errors import ConfigError
from biplomacy.core.ports import ChainSource
from biplomacy.store.db import Store

REHEARSAL_PATH = "/api/v1/rehearsal/esplora"


def rehearsal_chain(store: Store, settings: Settings) -> EsploraChain:
    """The same Esplora adapter, talking to the rehearsal chain's router without a socket."""
    from biplomacy.reserve.rehearsal.web import rehearsal_app

    with warnings.catch_warnings():  # starlette nudges towards httpx2; its httpx transport is what we want
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    client = TestClient(rehearsal_app(store, settings), base_url=f"http://rehearsal{REHEARSAL_PATH}",
                        raise_server_exceptions=True)
    return EsploraChain(client)


def chain_for(store: Store, settings: Settings, url: str | None = None) -> ChainSource:
    """The chain at `url` (else settings.chain_url, else settings.esplora_url): http(s):// is Esplora, tcp:// or
    ssl:// is Electrum (through BDK); with none set, the rehearsal chain."""
    url = (url or settings.chain_url or settings.esplora_url).strip()
    if not url:
        return rehearsal_chain(store, settings)
    if url.startswith(("http://", "https://")):
        return http_chain(url)
    if url.startswith(("tcp://", "ssl://")):
        from biplomacy.chain.electrum import ElectrumChain

        return ElectrumChain(url, settings.network)
    raise ConfigError(f"chain URL {url[:80]!r} must start with http:// or https:// (Esplora), or tcp:// or ssl:// "
                      "(Electrum)")
