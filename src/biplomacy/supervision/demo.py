"""Loads the FICTIONAL demo register (data/register/demo-vasps.json): licences with dated histories, a sandbox
cohort, warnings and 2025-Q3 returns, so the register, its as-of view and the dashboard have something to show."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any

from sqlalchemy import select

from biplomacy.core.config import Settings
from biplomacy.core.demo_outcome import DemoOutcome
from biplomacy.core.permissions import Actor
from biplomacy.core.provenance import load_registry
from biplomacy.core.records import Record
from biplomacy.store.db import Store
from biplomacy.supervision.licensing import record_move
from biplomacy.supervision.model.licensing import COMMON_DOCUMENTS, Activity, Standing, State, move, required_documents
from biplomacy.supervision.model.returns import due_date, validate_return
from biplomacy.supervision.returns import record_solvency
from biplomacy.supervision.solvency import build_solvency, solvency_against_reserves, verify_solvency_proof
from biplomacy.supervision.stablecoin import record_attestation
from biplomacy.supervision.tables import (
    LicenceEventRow,
    LicenceRow,
    ReturnRow,
    SandboxCohortRow,
    StablecoinAttestationRow,
    WarningRow,
)

ACTOR = "demo-loader"
PERIOD = "2025-Q3"


def demo_data() -> dict[str, Any]:
    text = (resources.files("biplomacy") / "data" / "register" / "demo-vasps.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def _at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(10, 0), tzinfo=UTC)


def _application(e: dict[str, Any]) -> dict[str, Any]:
    acts = [Activity(a) for a in e["activities"]]
    yes = dict.fromkeys(("no_criminal_conviction", "no_regulatory_sanction", "not_bankrupt",
                         "no_disqualification"), True)
    return {"entity": {"legal_name": e["legal_name"], "commercial_name": e["commercial_name"],
                       "registered_address": e["registered_address"], "country": "PK", "website": e["website"],
                       "directors": [{"name": "A. Fictional Director", "role": "chief executive",
                                      "fit_and_proper": yes}],
                       "beneficial_owners": [{"name": "Fictional Holdings Ltd", "percent": "100"}]},
            "activities": e["activities"], "documents": list(dict.fromkeys([*COMMON_DOCUMENTS,
                                                                            *required_documents(acts)])),
            "fictional": True}


def _return(ref: str, r: dict[str, Any]) -> dict[str, Any]:
    assets = [{"asset": "BTC", "unit": "sat", "amount": r["client_btc_sat"], "clients": r["accounts"]}]
    reserves = [{"asset": "BTC", "unit": "sat", "amount": r["reserve_btc_sat"], "addresses": 3, "proof": "bip322"}]
    if "client_usdt" in r:
        assets.append({"asset": "USDT", "unit": "micro-USDT", "amount": r["client_usdt"], "clients": r["accounts"]})
        reserves.append({"asset": "USDT", "unit": "micro-USDT", "amount": r["reserve_usdt"], "addresses": 2,
                         "proof": "auditor"})
    incidents = []
    if "incident" in r:
        day, kind, severity, text = r["incident"]
        incidents.append({"date": day, "type": kind, "severity": severity, "description": text})
    return validate_return({
        "schema_version": "1", "licence": ref, "period": PERIOD, "reporting_date": "2025-09-30",
        "client_assets": assets, "onchain_reserves": reserves,
        "volumes": {"currency": "PKR", "spot": r["volume_pkr"], "trades": r["trades"]},
        "accounts": {"total": r["accounts"], "active": r["active"], "opened": r["accounts"] // 10, "closed": 0},
        "complaints": {"received": r["complaints"], "resolved": r["resolved"], "open": r["open"]},
        "incidents": incidents,
    })


def demo_lei(index: int) -> str:
    """A made-up LEI for the index-th fictional entity: prefix 9999 and the letters DEMO, valid check digits
    (ISO 17442), so the travel-rule exchange can address the demo VASPs by LEI."""
    from biplomacy.core.lei import lei_check_digits

    base = f"999900DEMO{index:08d}"
    return base + lei_check_digits(base)


@dataclass(frozen=True)
class DemoRegister(Record):
    """What loading the fictional register added (all zero when it was there already)."""

    licences: int
    warnings: int
    returns: int
    cohorts: int


def load_demo_register(store: Store) -> DemoRegister:
    """Load the fictional register once (a second call changes nothing); returns what it added."""
    from biplomacy.house.audit import record

    data = demo_data()
    with store.transaction() as session:
        if session.scalars(select(LicenceRow).where(LicenceRow.fictional.is_(True))).first() is not None:
            return DemoRegister(0, 0, 0, 0)
        cohorts = []
        for c in data["cohorts"]:
            cohort = SandboxCohortRow(name=c["name"], starts_on=date.fromisoformat(c["starts_on"]),
                                      expires_on=date.fromisoformat(c["expires_on"]),
                                      conditions=json.dumps(c["conditions"]))
            session.add(cohort)
            cohorts.append(cohort)
        session.flush()
        refs: list[tuple[int, str]] = []
        for e in data["entities"]:
            first = _at(e["events"][0][0])
            app = _application(e)
            row = LicenceRow(reference=f"tmp-{len(refs)}", legal_name=e["legal_name"],
                             commercial_name=e["commercial_name"], lei=demo_lei(len(refs)), address=e["registered_address"],
                             country="PK", website=e["website"], application=json.dumps(app, sort_keys=True),
                             activities=json.dumps(e["activities"]), conditions="[]", state="draft",
                             state_since=first, created_at=first, fictional=True,
                             cohort_id=cohorts[e["cohort"]].id if "cohort" in e else None)
            session.add(row)
            session.flush()
            row.reference = f"PVARA-{first.year}-{9000 + row.id:04d}"
            session.add(LicenceEventRow(licence_id=row.id, at=first, actor=ACTOR, from_state="", to_state="draft",
                                        reason="application created", conditions="[]"))
            standing = Standing(State.DRAFT)
            for ev in e["events"]:
                change = move(standing, State(ev[1]), _at(ev[0]), ev[3] if len(ev) > 3 else ())
                record_move(session, row, ACTOR, change, ev[2])
                standing = change.after
            refs.append((row.id, row.reference))
        for w in data["warnings"]:
            session.add(WarningRow(name=w["name"], website=w["website"], kind=w["kind"], details=w["details"],
                                   published_on=date.fromisoformat(w["published_on"]), fictional=True))
        due = due_date(PERIOD, int(load_registry().value("supervision.returns.days_after_quarter")))
        for r in data["returns"]:
            lid, ref = refs[r["entity"]]
            filed = _at(r["filed_on"])
            session.add(ReturnRow(licence_id=lid, period=PERIOD, filed_at=filed, due_on=due, late=filed.date() > due,
                                  filed_by=ACTOR, document=json.dumps(_return(ref, r), sort_keys=True)))
        added = DemoRegister(len(refs), len(data["warnings"]), len(data["returns"]), len(cohorts))
        record(session, actor=ACTOR, action="register.demo", subject="fictional demo register",
               payload=added.to_json())
        return added


def demo_liabilities_csv(users: int = 2_000, seed: int = 2025) -> str:
    """Liabilities of the fictional exchange IndusX: BTC (sat) and USDT (micro-USDT) per invented account."""
    import random

    rng = random.Random(seed)
    rows = ["user_id,asset,balance,unit"]
    for i in range(users):
        rows.append(f"indusx-{i:06d},BTC,{int(rng.paretovariate(1.3) * 200_000)},sat")
        if i % 3 == 0:
            rows.append(f"indusx-{i:06d},USDT,{int(rng.paretovariate(1.5) * 50_000_000)},micro-USDT")
    return "\n".join(rows) + "\n"


def demo_step(store: Store, settings: Settings, actor: Actor) -> DemoOutcome:
    """The supervision step of `biplomacy demo run` (house/demo.py): load the fictional register,
    build IndusX's proof of solvency, verify one customer's proof, record its reserve coverage, and record
    the fictional stablecoin issuer mPKR's reserve attestation (one breach: a T-bill past 93 days)."""
    load_demo_register(store)
    folder = settings.out_dir / "supervision" / "indusx-proof-of-solvency"
    folder.mkdir(parents=True, exist_ok=True)
    liabilities = folder.parent / "indusx-liabilities.csv"
    liabilities.write_text(demo_liabilities_csv(), encoding="utf-8")
    built = build_solvency(liabilities, folder, height=915_000)
    first = sorted((folder / "proofs").glob("*.json"))[0]
    checked = verify_solvency_proof(first, folder / "root.json")
    reserves = folder.parent / "indusx-reserves.csv"
    owed = built.totals
    reserves.write_text("asset,address,balance\n"
                        f"BTC,tb1qfictionalindusxcold0000000000000000000,{owed['BTC'] * 21 // 20}\n"
                        f"USDT,0xfictionalindusxtreasury,{owed.get('USDT', 0)}\n", encoding="utf-8")
    report = solvency_against_reserves(folder / "root.json", reserves)
    with store.read() as session:
        ref = session.scalars(select(LicenceRow.reference).where(LicenceRow.commercial_name == "IndusX")).first()
    if ref:
        record_solvency(store, actor, ref, report)
    attestation = folder.parent / "mpkr-attestation.json"
    attestation.write_text((resources.files("biplomacy") / "data" / "register" / "demo-mpkr-attestation.json")
                           .read_text(encoding="utf-8"), encoding="utf-8")
    with store.read() as session:
        issuer = session.scalars(select(LicenceRow).where(LicenceRow.commercial_name == "mPKR")).first()
        filed = issuer is not None and session.scalars(select(StablecoinAttestationRow.id).where(
            StablecoinAttestationRow.licence_id == issuer.id)).first() is not None
        reference = issuer.reference if issuer else None
    coin = record_attestation(store, actor, reference, attestation).verdict if reference and not filed else None
    ratios = ", ".join(f"{a} {v.ratio}" for a, v in report.assets.items())
    verdict = None if coin is None else \
        "compliant" if coin.compliant else "breaches " + ", ".join(b.rule for b in coin.breaches)
    from biplomacy.supervision.register import register_view

    # the count the register page shows (entities on the register today), not the licence files loaded: an
    # application still under review or refused is loaded but not on the register
    on_register = len(register_view(store).entities)
    return DemoOutcome(f"register of {on_register} fictional VASPs; IndusX proof of "
                       f"solvency over {built.users:,} accounts, reserve ratios {ratios}",
                       (f"root {built.root[:16]}..., totals {built.totals}",
                        f"customer proof {first.name}: valid={checked.valid}",
                        *([f"mPKR attestation: backing ratio {coin.backing_ratio}, {verdict}"] if coin else []),
                        "register: biplomacy supervise register show; portal /supervision/register"),
                       (folder / "root.json", liabilities, reserves, attestation))
