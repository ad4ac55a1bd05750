"""The Esplora adapter wired to the rehearsal chain's API in-process (an ASGI transport), or over loopback."""

from __future__ import annotations

import warnings

from biplomacy.adapters.chain.esplora import EsploraChain, http_chain
from biplomacy.adapters.store.db import Store
from biplomacy.config import Settings

REHEARSAL_PATH = "/api/v1/rehearsal/esplora"


def rehearsal_chain(store: Store, settings: Settings) -> EsploraChain:
    """The same Esplora adapter, talking to the rehearsal chain's router without a socket."""
    from biplomacy.web.routers.rehearsal_esplora import rehearsal_app

    with warnings.catch_warnings():  # starlette nudges towards httpx2; its httpx transport is what we want
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    client = TestClient(rehearsal_app(store, settings), base_url=f"http://rehearsal{REHEARSAL_PATH}",
                        raise_server_exceptions=True)
    return EsploraChain(client)


def chain_for(store: Store, settings: Settings) -> EsploraChain:
    """A real Esplora when settings.esplora_url is set, the rehearsal chain otherwise."""
    return http_chain(settings.esplora_url) if settings.esplora_url else rehearsal_chain(store, settings)
