"""Fixtures of the custody tests: five signers from fixed seeds who sign offline with embit, as hardware wallets would."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from embit import bip32
from embit.networks import NETWORKS
from embit.psbt import PSBT

from biplomacy.chain.esplora import EsploraChain
from biplomacy.core.config import Settings
from biplomacy.reserve.rehearsal.electrum_server import ElectrumServer, RehearsalElectrum
from biplomacy.reserve.rehearsal.web import rehearsal_app
from biplomacy.store.db import Store

ORIGIN = "m/48h/1h/0h/2h"


@dataclass(frozen=True)
class Signer:
    """A signer's device: its seed never leaves the test, only the account xpub does."""

    root: bip32.HDKey

    @property
    def fingerprint(self) -> str:
        return self.root.my_fingerprint.hex()

    @property
    def xpub(self) -> str:
        return self.root.derive(ORIGIN).to_public().to_string(version=NETWORKS["test"]["xpub"])

    @property
    def key_expression(self) -> str:
        return f"[{self.fingerprint}/48h/1h/0h/2h]{self.xpub}/<0;1>/*"

    def sign(self, psbt_b64: str) -> str:
        """Sign every input this device's fingerprint appears in (BIP-174 signer role)."""
        psbt = PSBT.from_base64(psbt_b64)
        signed = psbt.sign_with(self.root)
        assert signed > 0, "the device found nothing to sign"
        return psbt.to_base64()


def make_signer(label: str, network: str = "test") -> Signer:
    seed = hashlib.sha256(f"biplomacy test signer {label}".encode()).digest()
    return Signer(bip32.HDKey.from_seed(seed, version=NETWORKS[network]["xprv"]))


@pytest.fixture
def signers() -> list[Signer]:
    """Finance ministry, central bank, crypto council, regulator, custodian."""
    return [make_signer(x) for x in ("mof", "sbp", "pcc", "pvara", "custodian")]


def multisig(threshold: int, keys: list[Signer]) -> str:
    return f"wsh(sortedmulti({threshold},{','.join(k.key_expression for k in keys)}))"


@pytest.fixture
def treasury_descriptor(signers: list[Signer]) -> str:
    return multisig(3, signers)


@pytest.fixture
def cold_descriptor() -> str:
    return multisig(2, [make_signer(f"cold-{i}") for i in range(3)])


@pytest.fixture
def electrum_url(store: Store, settings: Settings) -> Iterator[str]:
    """The rehearsal chain served over the Electrum protocol on a free loopback port."""
    server = ElectrumServer(RehearsalElectrum(store, settings.network), "127.0.0.1", 0)
    server.start()
    yield server.url
    server.shutdown()
    server.server_close()


def esplora_over_asgi(store: Store, settings: Settings) -> EsploraChain:
    """The Esplora client talking to the rehearsal chain's Esplora router in this process, through an ASGI
    transport: the HTTP API exactly as a real Esplora client meets it, without a socket (tests only)."""
    with warnings.catch_warnings():  # starlette nudges towards httpx2; its httpx transport is what we want
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    client = TestClient(rehearsal_app(store, settings), base_url="http://rehearsal/api/v1/rehearsal/esplora",
                        raise_server_exceptions=True)
    return EsploraChain(client)
