"""Policies with recovery paths for the tests: the treasury's 3-of-5 primary path and, after a short timelock, a
2-of-3 of the central bank (its second key), the auditor general and a court-appointed custodian."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.reserve.custody.conftest import Signer, make_signer

TIMELOCK = 20  # blocks: short enough to mine past in a test (the doc's policy uses 52,560)


def recovery_signers(signers: list[Signer]) -> list[Signer]:
    """The recovery quorum: the central bank (signers[1], its second key), the auditor general, a custodian."""
    return [signers[1], make_signer("auditor-general"), make_signer("court-custodian")]


def key(signer: Signer, branches: str = "<0;1>") -> str:
    return f"[{signer.fingerprint}/48h/1h/0h/2h]{signer.xpub}/{branches}/*"


def recovery_descriptor(signers: list[Signer], timelock: int = TIMELOCK, script: str = "wsh") -> str:
    primary = ",".join(key(s) for s in signers)
    sbp, ag, court = recovery_signers(signers)
    recovery = ",".join([key(sbp, "<2;3>"), key(ag), key(court)])
    if script == "tr":
        nums = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"
        return f"tr({nums},{{multi_a(3,{primary}),and_v(v:multi_a(2,{recovery}),older({timelock}))}})"
    return f"wsh(or_d(multi(3,{primary}),and_v(v:multi(2,{recovery}),older({timelock}))))"


def design_file(tmp_path: Path, signers: list[Signer], timelock: int = TIMELOCK, script: str = "wsh") -> Path:
    """The policy as an operator writes it for `reserve wallet design` (TOML)."""
    def keys(group: list[Signer]) -> str:
        return ", ".join(f'"[{s.fingerprint}/48h/1h/0h/2h]{s.xpub}"' for s in group)

    path = tmp_path / "policy.toml"
    path.write_text(f'script = "{script}"\n\n[primary]\nthreshold = 3\nkeys = [{keys(signers)}]\n\n'
                    f"[[recovery]]\nthreshold = 2\nafter_blocks = {timelock}\n"
                    f"keys = [{keys(recovery_signers(signers))}]\n", encoding="utf-8")
    return path


def fund(cli: Any, wallet: str, amounts: list[tuple[str, str]]) -> tuple[int, list[str]]:
    """Pay `wallet` each (amount, source) at its next addresses, mine a block, sync; the height the coins
    confirmed at and the faucet's txids (each pays vout 0)."""
    from tests.reserve.custody.test_ceremony import ok

    txids = []
    for amount, source in amounts:
        address = ok(cli("reserve", "address", wallet, "--json"))["address"]
        txids.append(ok(cli("reserve", "chain", "fund", address, amount, "--source", source, "--json"))["txid"])
    height = int(ok(cli("reserve", "chain", "mine", "1", "--json"))["height"])
    ok(cli("reserve", "sync", wallet, "--json"))
    return height, txids
