"""The Esplora adapter against answers a server should never give: a ChainError naming the problem, never a crash."""

from __future__ import annotations

import httpx
import pytest

from biplomacy.chain.esplora import EsploraChain
from biplomacy.core.errors import ChainError, InputError


def chain_answering(handler) -> EsploraChain:  # type: ignore[no-untyped-def]
    return EsploraChain(httpx.Client(base_url="http://esplora.test", transport=httpx.MockTransport(handler)))


@pytest.mark.parametrize("body", ["not json", '{"an": "object"}', '[{"txid": 5}]', '[{"txid": "a", "vout": "x"}]'])
def test_malformed_history_is_a_chain_error(body: str) -> None:
    api = chain_answering(lambda request: httpx.Response(200, text=body))
    with pytest.raises(ChainError):
        api.address_history("bcrt1qexample")


def test_non_numeric_tip_and_server_errors_are_chain_errors() -> None:
    with pytest.raises(ChainError, match="not a number"):
        chain_answering(lambda r: httpx.Response(200, text="<html>")).tip_height()
    with pytest.raises(ChainError, match="HTTP 503"):
        chain_answering(lambda r: httpx.Response(503)).address_history("x")


def test_unreachable_server_is_a_chain_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ChainError, match="did not answer"):
        chain_answering(refuse).tip_height()


def test_refused_broadcast_is_the_users_to_fix_and_a_bad_txid_answer_is_not_trusted() -> None:
    with pytest.raises(InputError, match="bad-txns-inputs-missingorspent"):
        chain_answering(lambda r: httpx.Response(400, text="bad-txns-inputs-missingorspent")).broadcast("00")
    with pytest.raises(ChainError, match="not a txid"):
        chain_answering(lambda r: httpx.Response(200, text="ok")).broadcast("00")
