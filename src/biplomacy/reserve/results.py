"""The records the reserve's use cases return and its CLI and web render: one frozen dataclass per answer.

A record's JSON (CLI --json, /api/v1/reserve/*) is its fields in declaration order, each value written as
core.jsonable writes it (Decimals as exact strings, dates in ISO 8601, enums by value): the field names are
the published keys, declared here once. Two field options keep the published shapes as they have always been:
`field(metadata=OMITTED_WHEN_NONE)`, a key that appears only with a value, and `field(metadata=INLINED)`, a record whose keys are
written into its parent's (a signing receipt carries its target's status at the same level).
BTC amounts are Decimal with btc_text's digits ("1.75", "0.5"): render them with format(x, "f").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from biplomacy.core.records import INLINED, OMITTED_WHEN_NONE, Record
from biplomacy.reserve.model.states import SpendState, StatementState

# Wallets ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathView(Record):
    """One spending path of a wallet: `threshold` of `keys` (master fingerprints), at any time (primary) or once
    a coin is `timelock_blocks` blocks old (a recovery path), and the same in words."""

    name: str  # primary | recovery | recovery-2 ...
    threshold: int
    keys: tuple[str, ...]
    timelock_blocks: int | None
    words: str


@dataclass(frozen=True)
class WalletView(Record):
    """A watch-only reserve wallet as its operators see it."""

    name: str
    threshold: int  # M of the M-of-N (the primary path's)
    signers: tuple[str, ...]  # master fingerprints, in the descriptor's order (the primary path's)
    network: str
    policy: str  # the policy profile the wallet is held under
    descriptor: str
    public_addresses: bool
    paths: tuple[PathView, ...] = ()  # every way to spend, the primary first


@dataclass(frozen=True)
class CoinTimelockView(Record):
    """A confirmed coin and the first recovery path to open for it (`warn`: within the warning window or open)."""

    txid: str
    vout: int
    btc: Decimal
    sats: int
    height: int
    path: str
    opens_at: int  # the tip height from which that path may spend the coin
    blocks_left: int
    warn: bool


@dataclass(frozen=True)
class WalletLink(Record):
    """A wallet before or after this one in the reserve's lifecycle, and when the rotation between them was
    started and completed (the sweep broadcast)."""

    wallet: str
    started_at: datetime
    completed_at: datetime | None
    txid: str | None  # the sweep's
    proposal: str | None


@dataclass(frozen=True)
class WalletDetail(Record):
    """`reserve wallet show`: the wallet, its balance, where each coin stands against its recovery paths (with
    the refresh warnings), and its place in the reserve's lifecycle."""

    wallet: WalletView = field(metadata=INLINED)
    state: str = "active"  # active | rotating (its sweep is not broadcast yet) | retired (rotated to `successor`)
    balance_btc: Decimal = Decimal(0)
    tip: int = -1  # the height the timelocks are counted from
    warn_within_blocks: int = 0
    warnings: tuple[str, ...] = ()
    coins: tuple[CoinTimelockView, ...] = ()
    successor: WalletLink | None = None
    predecessors: tuple[WalletLink, ...] = ()


@dataclass(frozen=True)
class AddressIssued(Record):
    wallet: str
    address: str
    index: int
    path: str  # "0/<index>": the receive branch


@dataclass(frozen=True)
class SyncResult(Record):
    """The wallet's ledger after a sync: balances, what came in, what left the chain, what policy says."""

    wallet: str
    height: int  # the chain tip the sync saw
    balance_btc: Decimal  # confirmed
    balance_sats: int
    unconfirmed_btc: Decimal
    new_receipts: int
    vanished: tuple[str, ...]  # "txid:vout" of receipts a reorg took off the chain
    policy: str
    policy_findings: tuple[str, ...]
    unauthorised_spends: tuple[str, ...] = ()  # txids spending its coins that no approved proposal broadcast


@dataclass(frozen=True)
class Classification(Record):
    """Where a receipt came from, as recorded."""

    txid: str
    vout: int
    source: str
    zone: str
    cost_basis_usd: Decimal | None


@dataclass(frozen=True)
class UnspentCoin(Record):
    """A confirmed unspent coin of a wallet, with its derivation where the wallet revealed its address."""

    txid: str
    vout: int
    sats: int
    address: str
    height: int | None
    change: bool | None
    index: int | None


@dataclass(frozen=True)
class SetupFile(Record):
    """A wallet setup file for signers' wallets (Electrum, Sparrow/Specter, Coldcard, BSMS), written by the edge."""

    wallet: str
    format: str
    path: Path | None  # where the edge wrote it (None until written)
    first_address: str  # what every signer's wallet must show as the first receive address


@dataclass(frozen=True)
class WalletImported(Record):
    """A wallet imported from a setup file: the stored wallet, the file's format, the first address checked."""

    wallet: WalletView = field(metadata=INLINED)
    format: str = ""
    first_address: str = ""


@dataclass(frozen=True)
class BackupSheet(Record):
    wallet: str
    signer: str  # the signer's master fingerprint
    path: Path
    first_address: str


# Signing: spends and statements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningProgress(Record):
    """How far the M signatures on a spend proposal or a reserve statement have come."""

    id: str
    wallet: str
    threshold: int
    valid_signers: tuple[str, ...]  # fingerprints, in the order their signatures came
    ready: bool
    state: SpendState | StatementState


@dataclass(frozen=True)
class SignatureReceipt(Record):
    """The answer to an uploaded signed PSBT: accepted with the new signers, or refused with the reason."""

    accepted: bool
    reason: str | None
    new_signers: tuple[str, ...] | None = field(metadata=OMITTED_WHEN_NONE)  # only on an accepted upload
    target: SigningProgress = field(metadata=INLINED)


@dataclass(frozen=True)
class SpendProposal(Record):
    """A proposed spend with its unsigned PSBT, for the signers."""

    id: str
    psbt: str  # base64
    wallet: str
    to: str
    amount_btc: Decimal
    fee_sats: int
    threshold: int
    purpose: str
    policy: str
    policy_findings: tuple[str, ...]
    path: str = "primary"  # the spending path whose keys sign
    kind: str = "spend"  # spend | refresh (coins back to the wallet, restarting their timelocks) | sweep (rotation)


@dataclass(frozen=True)
class SpendStatus(SigningProgress):
    to: str
    amount_btc: Decimal
    fee_sats: int
    purpose: str
    txid: str | None  # once broadcast
    path: str = "primary"
    kind: str = "spend"


@dataclass(frozen=True)
class SpendBroadcast(Record):
    """A broadcast spend: its txid first, then the proposal's status (which repeats it)."""

    txid: str
    proposal: SpendStatus = field(metadata=INLINED)


@dataclass(frozen=True)
class StatementStatus(SigningProgress):
    message: str
    height: int  # the snapshot the statement speaks for
    block_hash: str
    utxos: int  # how many coins it proves
    total_btc: Decimal
    total_sats: int


@dataclass(frozen=True)
class StatementBuilt(StatementStatus):
    psbt: str  # the unsigned to_sign PSBT, base64


@dataclass(frozen=True)
class StatementPublished(StatementStatus):
    signers: tuple[str, ...]  # the fingerprints whose signatures the final statement carries


# Holdings --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry(Record):
    """One receipt of the ledger (the public view leaves `address` out unless the wallet's are public)."""

    wallet: str
    txid: str
    vout: int
    address: str | None
    sats: int
    btc: Decimal
    source: str
    zone: str
    cost_basis_usd: Decimal | None
    status: str  # pending | confirmed | spent | vanished
    height: int | None
    first_seen: datetime
    policy: str
    flags: tuple[str, ...]  # "rule: message" of what the wallet's policy says about the receipt


@dataclass(frozen=True)
class WalletHolding(Record):
    wallet: str
    btc: Decimal
    sats: int
    policy: str
    threshold: int
    signers: int  # how many
    public_addresses: bool


@dataclass(frozen=True)
class SourceHolding(Record):
    source: str
    btc: Decimal
    sats: int


@dataclass(frozen=True)
class HistoryPoint(Record):
    day: str  # ISO date
    sats: int  # held at the end of the day
    btc: Decimal


@dataclass(frozen=True)
class HoldingsReport(Record):
    """The ledger by wallet and source, valued, with its history; `chart` only on the public view."""

    total_sats: int
    total_btc: Decimal
    value_usd: Decimal | None  # None for rehearsal coins: they are never valued as national holdings
    value_pkr: Decimal | None
    price_usd: Decimal  # per BTC
    pkr_per_usd: Decimal
    price_date: str  # the price's day and where it came from
    by_wallet: tuple[WalletHolding, ...]
    by_source: tuple[SourceHolding, ...]
    vanished: tuple[LedgerEntry, ...]
    flagged: tuple[LedgerEntry, ...]
    history: tuple[HistoryPoint, ...]
    entries: tuple[LedgerEntry, ...]
    sources: list[dict[str, object]]  # the provenance registry's entries behind the fallback price and rate
    chart: dict[str, Any] | None = field(default=None, metadata=OMITTED_WHEN_NONE)  # a Vega-Lite spec of `history`
    mark: str = "reserve"  # "rehearsal" when any coin counted is on a rehearsal chain (then not valued)


@dataclass(frozen=True)
class PricesImported(Record):
    imported: int  # rows
    file: str


@dataclass(frozen=True)
class PublicWallet(Record):
    """A wallet as the public sees it: the descriptor only where the operator made its addresses public."""

    name: str
    threshold: int
    signers: tuple[str, ...]
    policy: str
    network: str
    balance_btc: Decimal
    descriptor: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    paths: tuple[PathView, ...] = ()  # the policy in words: the primary path and each recovery path
    state: str = "active"  # active | rotating | retired
    successor: str | None = None
    predecessors: tuple[WalletLink, ...] = ()  # the wallets it succeeded, most recent first, with rotation dates
    rotated_at: datetime | None = None  # when its own rotation to `successor` completed (None: not yet)
    warnings: tuple[str, ...] = ()  # coins near (or at) a recovery path, at the last sync's tip
    mark: str = "reserve"  # "rehearsal" for a wallet on a rehearsal chain: its coins are not the reserve


@dataclass(frozen=True)
class RehearsalKey(Record):
    """A rehearsal signer's key as the operator needs it: fingerprint, account xpub and descriptor key."""

    fingerprint: str
    xpub: str  # the BIP-48 account key m/48h/1h/0h/2h (tpub)
    key_expression: str  # what goes into the wallet's descriptor
    file: str  # where the private key is (a file, or the demo's institution)
    rehearsal: bool = True


@dataclass(frozen=True)
class RehearsalSignature(Record):
    fingerprint: str
    inputs_signed: int
    out: str  # the signed PSBT (base64) to hand back with `reserve spend submit`
    rehearsal: bool = True


@dataclass(frozen=True)
class RotationStarted(Record):
    """A signer rotation: the successor wallet, and the sweep proposal that moves every coin to it (None when the
    wallet held no coin: the rotation is complete at once)."""

    rotation: str
    wallet: str  # the wallet rotated away from
    successor: WalletView
    profile: str  # the policy profile the rotation was approved under
    path: str
    state: str  # sweeping | complete
    sweep: SpendProposal | None
