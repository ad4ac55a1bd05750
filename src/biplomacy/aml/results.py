"""The frozen records the AML pillar's use cases return, and their JSON: what the CLI's --json and the API print.

A record's JSON is its fields in declaration order (core/records.py): each under its own name, or under
json_key(...) where the JSON name is a Python keyword or builtin (from, str, list); OMITTED_WHEN_NONE fields left
out while None; INLINED fields merged into their parent. Field names are the JSON keys, declared once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.evaluate import TypologyScore
from biplomacy.aml.model.stream_state import StateSize
from biplomacy.aml.model.tax import TaxBaseReport
from biplomacy.core.errors import Issue
from biplomacy.core.records import INLINED, OMITTED_WHEN_NONE, Record, json_key, record_json


# -- scans and the alerts they keep --------------------------------------------------------------------------
@dataclass(frozen=True)
class ScanSummary(Record):
    transactions: int
    alerts: int
    by_rule: dict[str, int]
    rules: tuple[str, ...]
    thresholds_version: str
    sanctions_list: str
    sanctioned_addresses: int
    vasps: tuple[str, ...]
    profile: str | None = None  # the rule profile in force (None: the shipped thresholds)
    learned: bool = False  # whether a learned scorer raised `learned` alerts


@dataclass(frozen=True)
class ScanResult(Record):
    alerts: tuple[Alert, ...]
    summary: ScanSummary


@dataclass(frozen=True)
class StoredAlert(Record):
    """An alert kept in the store, with the case opened for it."""

    alert: Alert = field(metadata=INLINED)
    alert_id: int
    case_id: int


@dataclass(frozen=True)
class StoredScan(Record):
    alerts: tuple[StoredAlert, ...]
    summary: ScanSummary
    scan_id: int


@dataclass(frozen=True)
class StreamImport(Record):
    """The streaming scorer's alerts turned into cases by one import (scan_id None when there was nothing new)."""

    source: str
    imported: int
    already_imported: int
    alerts: tuple[StoredAlert, ...]
    scan_id: int | None


@dataclass(frozen=True)
class ScanListing(Record):
    """A stored scan in the list of scans."""

    id: int
    source: str
    created_at: datetime
    created_by: str
    transactions: int
    thresholds_version: str
    alerts: int


# -- cases ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseSummary(Record):
    id: int
    state: str
    assignee: str | None
    state_since: datetime
    alert_id: int
    scan_id: int
    rule: str
    score: float
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class CaseEvent(Record):
    at: datetime
    actor: str
    from_state: str | None = field(metadata=json_key("from"))
    to_state: str = field(metadata=json_key("to"))
    detail: str


@dataclass(frozen=True)
class SuspiciousTransactionReport(Record):
    """The STR filed when a case was escalated, with the alert's evidence as it stood."""

    id: int
    created_at: datetime
    created_by: str
    reason: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Case(CaseSummary):
    """One case with its alert's evidence, its history and its STR (None until escalated)."""

    transactions: tuple[str, ...]
    evidence: dict[str, Any]
    history: tuple[CaseEvent, ...]
    report: SuspiciousTransactionReport | None = field(metadata=json_key("str"))


# -- generated sets and evaluation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GeneratedSet(Record):
    transactions: int
    labelled_transactions: int
    instances: dict[str, int]  # planted instances per typology
    vasps: int
    seed: int
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Evaluation(Record):
    typologies: dict[str, TypologyScore]
    transactions: int
    alerts: int
    thresholds_version: str
    matching: str  # the matching rule, in words


@dataclass(frozen=True)
class Calibrated(Record):
    """A profile written by `aml calibrate`: where, its version, its scores on what it was fitted on."""

    profile: Path
    version: str
    scores: dict[str, Any]
    thresholds: dict[str, Any]
    amount_quantiles: dict[str, float]
    model_file: str | None


@dataclass(frozen=True)
class MethodScore(Record):
    """One method's figures on the later part: overall (accounts), per rule that raised, per labelled typology."""

    overall: dict[str, Any]
    per_rule: dict[str, Any]
    by_typology: dict[str, Any]


@dataclass(frozen=True)
class SplitEvaluation(Record):
    """A time-split evaluation: a profile fitted on the transfers up to `cut`, every method scored after it."""

    transactions: list[str]
    labels: str
    cut: str
    fitted_transfers: int
    scored_transfers: int
    scored_accounts: int
    scored_positives: int
    profile_version: str
    thresholds: dict[str, Any]
    amount_quantiles: dict[str, float]
    fitted_scores: dict[str, Any]
    methods: dict[str, MethodScore]


@dataclass(frozen=True)
class AccountEvaluation(Record):
    """A profile scored on (later) labelled transfers, beside the naive baseline and the defaults."""

    transactions: list[str]
    labels: str
    scored_accounts: int
    scored_positives: int
    profile_version: str
    methods: dict[str, MethodScore]


@dataclass(frozen=True)
class AdoptedProfile(Record):
    """A profile adopted as the one in force."""

    id: int
    version: str
    adopted_at: datetime
    adopted_by: str
    source: str
    learned: bool


# -- sanctions -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SanctionsLoaded(Record):
    list_name: str = field(metadata=json_key("list"))
    addresses: int
    rejected: tuple[Issue, ...]


@dataclass(frozen=True)
class SanctionsStored(SanctionsLoaded):
    version: int
    sha256: str


@dataclass(frozen=True)
class SanctionsVersion(Record):
    version: int
    name: str
    sha256: str
    loaded_at: datetime
    loaded_by: str
    addresses: int
    rejected: int


@dataclass(frozen=True)
class Match(Record):
    value: str
    score: float  # 100 for an exact address; the fuzzy score 0..100 for a name


@dataclass(frozen=True)
class AddressScreening(Record):
    query: dict[str, str]
    match: bool
    list_name: str = field(metadata=json_key("list"))
    addresses: int
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class NameScreening(Record):
    query: dict[str, str]
    match: bool
    list_name: str = field(metadata=json_key("list"))
    names: int
    cutoff: float
    matches: tuple[Match, ...]


ScreeningResult = AddressScreening | NameScreening


# -- tax -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaxEstimate(TaxBaseReport, Record):
    """The tax base with the assumptions behind it and the sources of the default rates."""

    assumptions: tuple[str, ...]
    sources: tuple[dict[str, object], ...]

    def to_json(self) -> dict[str, Any]:
        out = record_json(self)
        if self.total is None:  # no trades: the total has no rows to add up, printed as an empty object
            out["total"] = {}
        return out


# -- travel rule ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem(Record):
    path: str
    message: str


@dataclass(frozen=True)
class TravelRuleCheck(Record):
    """An IVMS101 payload checked field by field, and its transfer against the FATF R.16 threshold."""

    valid: bool
    problems: tuple[Problem, ...]
    transfer: dict[str, Any] | None
    above_threshold: bool | None
    amount_usd: Decimal | None
    flags: tuple[str, ...]
    threshold_usd: Decimal
    sources: tuple[dict[str, object], ...]


@dataclass(frozen=True)
class VaspFound(Record):
    """A licensed VASP that an LEI names and that may receive transfers."""

    lei: str | None
    reference: str
    legal_name: str
    state: str
    activities: tuple[str, ...]
    accepts_transfers: bool


@dataclass(frozen=True)
class StatusStep(Record):
    status: str  # requested, then approved or rejected
    at: datetime
    by: str | None
    reason: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)


@dataclass(frozen=True)
class TravelRuleMessage(Record):
    """A transfer inquiry between two VASPs; `amount` as the sender wrote it, in `unit`."""

    id: int
    originator_vasp: str
    beneficiary_vasp: str
    originator_lei: str | None
    beneficiary_lei: str | None
    state: str
    amount: str | None
    unit: str | None
    amount_usd: Decimal | None
    above_threshold: bool | None
    flags: tuple[str, ...]
    sent_at: datetime
    sent_by: str
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None
    history: tuple[StatusStep, ...]
    payload: Any = field(default=None, metadata=OMITTED_WHEN_NONE)  # left out of lists, and once erased
    payload_sha256: str | None = None  # kept after the personal data is erased (as in the audit log)
    personal_data_erased_at: datetime | None = None


@dataclass(frozen=True)
class Inbox(Record):
    vasp: str
    lei: str | None
    pending: tuple[TravelRuleMessage, ...]


@dataclass(frozen=True)
class MessageList(Record):
    lei: str | None
    state: str | None
    limit: int
    truncated: bool
    messages: tuple[TravelRuleMessage, ...]


# -- streaming -----------------------------------------------------------------------------------------------
# Built for every streamed transfer, these two are the records not frozen: a frozen dataclass sets each field
# through object.__setattr__, which made in-process streaming about 12 % slower (bench/bench_aml.py). Nothing
# changes them after they are built.
@dataclass(slots=True)
class StreamWindow(Record):
    scored: int
    accounts: int


@dataclass(slots=True)
class Scored(Record):
    """One transfer scored: its alerts, the highest (unrounded) score, whether the alerts are on disk."""

    tx_id: str
    alerts: tuple[Alert, ...]
    score: float
    stored: bool
    window: StreamWindow
    not_stored_because: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)

    def to_json(self) -> dict[str, Any]:
        """record_json's document, built field by field: one answer per streamed transfer (a test holds the two
        to the same document)."""
        out: dict[str, Any] = {"tx_id": self.tx_id, "alerts": [a.to_json() for a in self.alerts],
                               "score": self.score, "stored": self.stored,
                               "window": {"scored": self.window.scored, "accounts": self.window.accounts}}
        if self.not_stored_because is not None:
            out["not_stored_because"] = self.not_stored_because
        return out


@dataclass(frozen=True)
class ScorerSize(StateSize, Record):
    remembered_ids: int
    replayed_on_start: int


@dataclass(frozen=True)
class AlertLine(Record):
    """An alert the streaming scorer stored, with the transfer that raised it."""

    tx_id: str
    alert: Alert


@dataclass(frozen=True)
class StreamQuarantined(Record):
    """A transfer an operator took back out of the stream state, and the stream's clock before and after."""

    tx_id: str
    found: bool
    clock_before: str | None
    clock_after: str | None
