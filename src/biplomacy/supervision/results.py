"""The frozen records supervision's use cases return; `to_json()` is each one's single JSON form (CLI --json,
the API, stored coverage), built from its fields, so no key is spelled out twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from biplomacy.core.records import INLINED, OMITTED_WHEN_NONE, Record, json_key
from biplomacy.supervision.model.identity import Identity
from biplomacy.supervision.model.licensing import Activity, State
from biplomacy.supervision.model.returns import ReturnCoverage
from biplomacy.supervision.model.solvency_reserves import AssetCoverage, HoldingProof
from biplomacy.supervision.model.stablecoin import Verdict

Source = Mapping[str, object]  # a provenance entry as Registry.cited() gives it


# --- licensing ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChecklistItem(Record):
    document: str
    provided: bool


@dataclass(frozen=True)
class SandboxPlace(Record):
    """The sandbox cohort a licence tests in, until when, under which conditions."""

    cohort: str
    expires_on: date
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class LicenceEvent(Record):
    """One move in a licence's history, as recorded."""

    at: datetime
    actor: str
    from_state: str = field(metadata=json_key("from"))  # "" for the application's creation
    to_state: str = field(metadata=json_key("to"))
    reason: str
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class LicenceView(Record):
    """A licence or application as an officer sees it: entity, activities, checklist, conditions, history."""

    id: int
    reference: str
    identity: Identity = field(metadata=INLINED)  # its keys sit in this object, in this place
    activities: tuple[Activity, ...]
    state: State
    state_since: datetime
    authorised_on: date | None
    ended_on: date | None
    conditions: tuple[str, ...]
    fictional: bool
    checklist: tuple[ChecklistItem, ...]
    overdue_since: date | None  # the due date of its state's service deadline, once past
    final: bool
    sandbox: SandboxPlace | None
    history: tuple[LicenceEvent, ...]


@dataclass(frozen=True)
class OverdueLicence(Record):
    """An application that has sat in its state past the service deadline, and who must act."""

    reference: str
    legal_name: str
    state: State
    since: datetime
    due_on: date
    days_overdue: int
    waiting_on: str  # "applicant" or "PVARA"


@dataclass(frozen=True)
class SandboxCohort(Record):
    id: int
    name: str
    starts_on: date
    expires_on: date
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class CohortStatus(SandboxCohort):
    """A cohort with its members on a day, and whether it has expired by then."""

    members: tuple[str, ...]  # licence references
    expired: bool
    days_left: int  # negative once expired


# --- the register ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterEvent(Record):
    on: date
    status: State
    reason: str
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class RegisterEntry(Record):
    """One entity's entry in the public register on a date."""

    reference: str
    identity: Identity = field(metadata=INLINED)  # its keys sit in this object, in this place
    activities: tuple[Activity, ...]
    status: State
    authorised_on: date
    ended_on: date | None
    conditions: tuple[str, ...]
    last_update: date
    sandbox: str | None
    solvency_ratio: str | None  # the lowest per-asset ratio of the latest solvency report, as recorded
    fictional: bool
    # per token, the latest recorded attestation verdict as published (register.PUBLIC_VERDICT, recorded_on)
    stablecoin: tuple[Mapping[str, Any], ...]
    history: tuple[RegisterEvent, ...]


@dataclass(frozen=True)
class RegisterWarning(Record):
    """An unlicensed or non-compliant entity the public is warned about."""

    name: str
    website: str
    kind: str  # unlicensed | non_compliant
    details: str
    published_on: date
    fictional: bool


@dataclass(frozen=True)
class RegisterView(Record):
    """The register and the warnings in force on a date, with the sources of its taxonomy."""

    authority: str
    as_of: date
    query: str
    entities: tuple[RegisterEntry, ...]
    warnings: tuple[RegisterWarning, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class WarningPublished(Record):
    id: int
    name: str
    kind: str
    published_on: date


# --- returns and the dashboard --------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnFiled(Record):
    licence: str
    period: str  # 2025-Q3
    filed_at: datetime
    due_on: date
    late: bool
    coverage: dict[str, ReturnCoverage]  # per asset, as the return states it


@dataclass(frozen=True)
class MissingReturn(Record):
    licence: str
    legal_name: str
    due_on: date
    overdue: bool
    days_overdue: int


@dataclass(frozen=True)
class LateReturn(Record):
    licence: str
    legal_name: str
    due_on: date
    filed_at: datetime
    days_late: int


@dataclass(frozen=True)
class MissingReturns(Record):
    """Who owes a return for a period and has not filed it, and who filed it late."""

    period: str
    due_on: date
    missing: tuple[MissingReturn, ...]
    late: tuple[LateReturn, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class DashboardReturn(Record):
    """One filed return on the supervisor's dashboard; amounts in the asset's smallest unit."""

    licence: str
    vasp: str
    fictional: bool
    period: str
    late: bool
    client_assets: dict[str, int]
    reserve_ratio: dict[str, Decimal | None]
    volume: Decimal  # spot volume in volume_currency
    volume_currency: str
    trades: int
    accounts: int
    active_accounts: int
    complaints: int
    complaints_open: int
    incidents: int
    ratio_text: str


@dataclass(frozen=True)
class DashboardSolvency(Record):
    """A recorded comparison of an exchange's published liabilities with its reserves."""

    licence: str
    vasp: str
    root: str
    snapshot_height: int | None
    recorded_at: datetime
    solvent: bool
    coverage: dict[str, dict[str, Any]]  # per asset, as recorded (AssetCoverage's JSON form)
    ratio_text: str


@dataclass(frozen=True)
class DashboardAttestation(Record):
    """A recorded stablecoin attestation with the reserve rules' verdict at recording; money in `currency`."""

    licence: str
    issuer: str
    fictional: bool
    token: str
    as_of: str
    recorded_at: datetime
    compliant: bool
    verdict: str
    backing_ratio: Decimal | None
    liquid_share: Decimal | None
    outstanding: Decimal
    reserves_total: Decimal
    currency: str
    breaches: tuple[Mapping[str, str], ...]  # rule, message
    breaches_text: str


@dataclass(frozen=True)
class Dashboard(Record):
    returns: tuple[DashboardReturn, ...]
    solvency: tuple[DashboardSolvency, ...]
    stablecoins: tuple[DashboardAttestation, ...]  # in recording order


# --- proofs of solvency ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SnapshotMark(Record):
    height: int | None
    time: str


@dataclass(frozen=True)
class SolvencyBuild(Record):
    """A built snapshot: its root and per-asset totals (smallest units), and where its files are."""

    root: str
    totals: dict[str, int]
    users: int
    assets: tuple[str, ...]
    units: dict[str, str]
    depth: int
    snapshot: SnapshotMark
    root_file: Path
    proofs_dir: Path


@dataclass(frozen=True)
class SolvencyCheck(Record):
    """A customer's offline check of their proof against the published root; figures only when valid."""

    valid: bool
    reason: str | None
    user_id: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    balances: dict[str, int] | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    root: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    snapshot: dict[str, Any] | None = field(default=None, metadata=OMITTED_WHEN_NONE)


@dataclass(frozen=True)
class ReserveCoverageReport(Record):
    """Published liabilities against reserve holdings, per asset, and whether each address is proven."""

    root: str | None
    snapshot: dict[str, Any] | None  # as the root document states it
    assets: dict[str, AssetCoverage]
    solvent: bool
    holdings: tuple[HoldingProof, ...]


@dataclass(frozen=True)
class RecordedCoverage(Record):
    licence: str
    recorded_at: datetime
    report: ReserveCoverageReport = field(metadata=INLINED)


# --- stablecoins ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttestationVerdict(Verdict, Record):
    """The reserve rules' verdict on an attestation, with the registry entries of the limits applied."""

    sources: tuple[Source, ...]


@dataclass(frozen=True)
class RecordedAttestation(Record):
    licence: str
    recorded_at: datetime
    verdict: AttestationVerdict = field(metadata=INLINED)
