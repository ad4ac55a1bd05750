"""Use cases of supervisory returns: file one, list what is missing or late, and the supervisor's dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize, require_own_entity
from biplomacy.core.provenance import load_registry
from biplomacy.core.records import json_value
from biplomacy.store.db import Store
from biplomacy.supervision.model.licensing import ON_REGISTER, State
from biplomacy.supervision.model.returns import coverage, due_date, parse_period, period_bounds, validate_return
from biplomacy.supervision.results import (
    Dashboard,
    DashboardAttestation,
    DashboardReturn,
    DashboardSolvency,
    LateReturn,
    MissingReturn,
    MissingReturns,
    RecordedCoverage,
    ReserveCoverageReport,
    ReturnFiled,
)
from biplomacy.supervision.tables import LicenceRow, ReturnRow, SolvencyReportRow, StablecoinAttestationRow

DAYS_KEY = "supervision.returns.days_after_quarter"


def _days_after() -> int:
    return int(load_registry().value(DAYS_KEY))


def file_return(store: Store, actor: Actor, doc: Any, *, now: datetime | None = None) -> ReturnFiled:
    """Validate a return (every problem at once) and store it; late when filed after its due date."""
    authorize(actor, "returns.file")
    ret = validate_return(doc)
    at = now or datetime.now(UTC)
    due = due_date(ret["period"], _days_after())
    with store.transaction() as session:
        lic = session.scalars(select(LicenceRow).where(LicenceRow.reference == ret["licence"])).first()
        if lic is None:
            raise InputError(f"licence: no licence {ret['licence']!r}", field="licence")
        require_own_entity(actor, lic.lei, f"file returns of {lic.reference}")  # a vasp files only its own
        if State(lic.state) not in ON_REGISTER:
            raise InputError(f"licence: {lic.reference} is {lic.state}; only licensed VASPs file returns",
                             field="licence")
        dup = session.scalars(select(ReturnRow).where(ReturnRow.licence_id == lic.id,
                                                      ReturnRow.period == ret["period"])).first()
        if dup is not None:
            raise InputError(f"period: {lic.reference} already filed {ret['period']} on {dup.filed_at.date()}",
                             field="period")
        late = at.date() > due
        session.add(ReturnRow(licence_id=lic.id, period=ret["period"], filed_at=at, due_on=due, late=late,
                              filed_by=actor.name, document=json.dumps(ret, sort_keys=True)))
        from biplomacy.house.audit import record

        record(session, actor=actor.name, action="returns.file", subject=f"{lic.reference}/{ret['period']}",
               payload={"late": late, "due_on": due.isoformat()})
    return ReturnFiled(ret["licence"], ret["period"], at, due, late, coverage(ret))


def missing_returns(store: Store, actor: Actor, period: str, *, now: datetime | None = None) -> MissingReturns:
    """Licensed VASPs that owe a return for `period` and have not filed it, plus those that filed late."""
    authorize(actor, "supervision.read")
    period = parse_period(period)
    start, end = period_bounds(period)
    due = due_date(period, _days_after())
    today = (now or datetime.now(UTC)).date()
    missing: list[MissingReturn] = []
    late: list[LateReturn] = []
    with store.read() as session:
        filed = {r.licence_id: r for r in session.scalars(select(ReturnRow).where(ReturnRow.period == period))}
        for lic in session.scalars(select(LicenceRow).order_by(LicenceRow.reference)):
            owes = lic.authorised_on is not None and lic.authorised_on <= end and \
                (lic.ended_on is None or lic.ended_on >= start)
            if not owes:
                continue
            r = filed.get(lic.id)
            if r is None:
                missing.append(MissingReturn(lic.reference, lic.legal_name, due, today > due,
                                             max(0, (today - due).days)))
            elif r.late:
                late.append(LateReturn(lic.reference, lic.legal_name, due, _aware(r.filed_at),
                                       (r.filed_at.date() - due).days))
    return MissingReturns(period, due, tuple(missing), tuple(late), tuple(load_registry().cited([DAYS_KEY])))


def dashboard(store: Store) -> Dashboard:
    """Returns across VASPs, period by period, with coverage ratios from returns and solvency reports."""
    with store.read() as session:
        names = {lic.id: (lic.reference, lic.commercial_name, lic.fictional)
                 for lic in session.scalars(select(LicenceRow))}
        returns = tuple(_dashboard_return(r, *names[r.licence_id])
                        for r in session.scalars(select(ReturnRow).order_by(ReturnRow.period, ReturnRow.licence_id)))
        solvency = tuple(_dashboard_solvency(s, *names[s.licence_id][:2]) for s in
                         session.scalars(select(SolvencyReportRow).order_by(SolvencyReportRow.recorded_at)))
        coins = tuple(_dashboard_attestation(a, *names[a.licence_id])
                      for a in session.scalars(select(StablecoinAttestationRow)
                                               .order_by(StablecoinAttestationRow.recorded_at,
                                                         StablecoinAttestationRow.id)))
    return Dashboard(returns, solvency, coins)


def _ratio_text(ratios: Mapping[str, object]) -> str:
    return ", ".join(f"{asset} {ratio}" for asset, ratio in ratios.items() if ratio is not None)


def _dashboard_return(r: ReturnRow, licence: str, vasp: str, fictional: bool) -> DashboardReturn:
    doc = json.loads(r.document)
    cov = coverage(doc)
    ratios = {a: v.ratio for a, v in cov.items()}
    return DashboardReturn(
        licence, vasp, fictional, r.period, r.late, {a: v.client_assets for a, v in cov.items()}, ratios,
        Decimal(doc["volumes"]["spot"]), doc["volumes"]["currency"], doc["volumes"]["trades"],
        doc["accounts"]["total"], doc["accounts"]["active"], doc["complaints"]["received"],
        doc["complaints"]["open"], len(doc["incidents"]), _ratio_text(ratios))


def _dashboard_solvency(s: SolvencyReportRow, licence: str, vasp: str) -> DashboardSolvency:
    cov = json.loads(s.coverage)
    return DashboardSolvency(licence, vasp, s.root, s.snapshot_height, _aware(s.recorded_at), s.solvent, cov,
                             _ratio_text({a: v.get("ratio") for a, v in cov.items()}))


def _dashboard_attestation(a: StablecoinAttestationRow, licence: str, issuer: str,
                           fictional: bool) -> DashboardAttestation:
    res = json.loads(a.result)
    breaches = tuple(res["breaches"])
    return DashboardAttestation(
        licence, issuer, fictional, a.token, a.as_of, _aware(a.recorded_at), a.compliant,
        "compliant" if a.compliant else f"{len(breaches)} breach(es)", _decimal(res["backing_ratio"]),
        _decimal(res["liquid_share"]), Decimal(res["outstanding"]), Decimal(res["reserves_total"]), res["currency"],
        breaches, "; ".join(f"{b['rule']}: {b['message']}" for b in breaches) or "none")


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def latest_attestations(stablecoins: Iterable[DashboardAttestation]) -> list[DashboardAttestation]:
    """The latest recorded attestation of each issuer's token (the list is in recording order)."""
    latest: dict[tuple[str, str], DashboardAttestation] = {}
    for a in stablecoins:
        latest[(a.licence, a.token)] = a
    return list(latest.values())


def dashboard_charts(data: Dashboard) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs (Altair) for the dashboard: reserve ratio per VASP and asset, accounts per period."""
    import altair as alt

    ratios = [{"vasp": r.vasp, "period": r.period, "asset": a, "ratio": float(v)}
              for r in data.returns for a, v in r.reserve_ratio.items() if v is not None]
    bars = alt.Chart(alt.Data(values=ratios)).mark_bar().encode(
        x=alt.X("vasp:N", title="VASP"), xOffset="asset:N", y=alt.Y("ratio:Q", title="reserves / client assets"),
        color=alt.Color("asset:N"), tooltip=["vasp:N", "period:N", "asset:N", "ratio:Q"])
    rule = alt.Chart(alt.Data(values=[{"one": 1.0}])).mark_rule(strokeDash=[4, 4]).encode(y="one:Q")
    ratio_spec = (bars + rule).properties(width="container", height=260,
                                         title="On-chain reserves / client assets (1 = fully covered)")
    accounts = [{"vasp": r.vasp, "period": r.period, "accounts": r.accounts} for r in data.returns]
    acc_spec = alt.Chart(alt.Data(values=accounts)).mark_bar().encode(
        x=alt.X("period:N"), xOffset="vasp:N", y=alt.Y("accounts:Q", title="client accounts"),
        color="vasp:N", tooltip=["vasp:N", "period:N", "accounts:Q"]).properties(
        width="container", height=220, title="Client accounts")
    out = {"reserve_ratio": ratio_spec.to_dict(), "accounts": acc_spec.to_dict()}
    backing = [{"issuer": f"{a.issuer} ({a.token})", "ratio": float(a.backing_ratio), "as_of": a.as_of,
                "verdict": a.verdict}
               for a in latest_attestations(data.stablecoins) if a.backing_ratio is not None]
    if backing:
        from biplomacy.supervision.stablecoin import limits

        floor = float(limits().backing_ratio_min)
        base = alt.Chart(alt.Data(values=backing)).encode(
            x=alt.X("issuer:N", title="issuer (token)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("ratio:Q", title="eligible reserves / outstanding"))
        coin_bars = base.mark_bar().encode(color=alt.Color("verdict:N", title="verdict"),
                                           tooltip=["issuer:N", "as_of:N", "ratio:Q", "verdict:N"])
        coin_labels = base.mark_text(dy=-6).encode(text=alt.Text("ratio:Q", format=".4f"))
        coin_rule = alt.Chart(alt.Data(values=[{"min": floor}])).mark_rule(strokeDash=[4, 4]).encode(y="min:Q")
        out["stablecoin_backing"] = (coin_bars + coin_labels + coin_rule).properties(
            width="container", height=240,
            title=f"Stablecoin backing ratio by issuer, latest attestation (rule: at least {floor:g})").to_dict()
    return out


def record_solvency(store: Store, actor: Actor, licence: str, report: ReserveCoverageReport,
                    *, now: datetime | None = None) -> RecordedCoverage:
    """Keep a solvency comparison (from `supervise solvency reserves`) against a licence, for the register."""
    authorize(actor, "solvency.publish")
    at = now or datetime.now(UTC)
    with store.transaction() as session:
        lic = session.scalars(select(LicenceRow).where(LicenceRow.reference == licence.upper())).first()
        if lic is None:
            raise InputError(f"no licence {licence!r}", field="licence")
        snap = report.snapshot or {}
        session.add(SolvencyReportRow(licence_id=lic.id, root=str(report.root),
                                      snapshot_height=snap.get("height"), snapshot_time=str(snap.get("time", "")),
                                      recorded_at=at, coverage=json.dumps(json_value(report.assets)),
                                      solvent=report.solvent))
        from biplomacy.house.audit import record

        record(session, actor=actor.name, action="solvency.publish", subject=lic.reference,
               payload={"root": report.root, "solvent": report.solvent})
        reference = lic.reference
    return RecordedCoverage(reference, at, report)


def _aware(t: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)
