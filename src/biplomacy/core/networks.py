"""The Bitcoin networks a deployment may name, and what BDK and embit call each of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embit.networks import NETWORKS as EMBIT_NETWORKS

if TYPE_CHECKING:
    import bdkpython as bdk

NETWORKS = ("bitcoin", "testnet", "testnet4", "signet", "regtest")
TESTNETS = frozenset(NETWORKS[1:])
REHEARSAL = "rehearsal"  # the mark every figure of a wallet on a test network carries, wherever it is shown


def is_rehearsal(network: str) -> bool:
    """A wallet on any network but Bitcoin's main chain is a rehearsal wallet: its coins are not the reserve."""
    return network != "bitcoin"

_EMBIT = {"bitcoin": "main", "testnet": "test", "testnet4": "test", "signet": "signet", "regtest": "regtest"}


def bdk_network(network: str) -> bdk.Network:
    import bdkpython  # only wallets need BDK; reading the settings should not load it

    return getattr(bdkpython.Network, network.upper())


def embit_network(network: str) -> dict[str, object]:
    return EMBIT_NETWORKS[_EMBIT[network]]
