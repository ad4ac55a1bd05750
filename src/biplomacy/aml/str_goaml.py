"""Use case: an escalated case's suspicious transaction report as goAML XML (UNODC's goAML, the format FIUs take).

The report's transfers are read back from the case's scan file(s), as for the CSV (case_review.py); each amount is
given in PKR (goAML's amount_local) at the rates the travel rule uses (PKR per USD, and BTC at the portal's one
price), and the rate is said in the transaction's description. Nothing is stored (as for the CSV).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from biplomacy.aml.case_review import case_transfers, filed_str
from biplomacy.aml.model.goaml import GoamlReport, GoamlTransfer, check_report, to_xml
from biplomacy.aml.travel_rule import default_rule
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.store.db import Store

LOCAL_CURRENCY = "PKR"


def _local(amount: Decimal, asset: str, usd_per_unit: dict[str, Decimal], pkr_per_usd: Decimal,
           tx_id: str) -> tuple[Decimal, str]:
    """The amount in PKR and how it was reached."""
    unit = asset.upper()
    if unit == LOCAL_CURRENCY:
        return amount, "PKR as given"
    if unit not in usd_per_unit:
        raise InputError(f"transfer {tx_id}: asset {asset!r} has no rate to PKR (known: "
                         f"{', '.join(sorted(usd_per_unit))})", field="asset")
    usd = usd_per_unit[unit]
    return amount * usd * pkr_per_usd, f"PKR {pkr_per_usd:,} per USD, {asset} at USD {usd:,}"


def str_goaml(store: Store, actor: Actor, case_id: int, *, rentity_id: int, reporting_user: str | None = None,
              branch: str = "AML supervision") -> bytes:
    """The escalated case's STR as goAML XML; refused until the case is escalated, or when goAML would refuse it
    (no FIU number, a user code of the wrong length, no transfer readable)."""
    authorize(actor, "aml.case")
    rep = filed_str(store, case_id)
    evidence, filed_at, str_id, filed_by, reason = rep.evidence, rep.filed_at, rep.id, rep.filed_by, rep.reason
    if rentity_id <= 0:
        raise InputError("the reporting entity's number at the FIU (goAML's rentity_id) is not set: give it, or set "
                         "BIPLOMACY_GOAML_RENTITY_ID (docs/aml.md)", field="rentity_id")
    rates = {"USD": Decimal(1), **default_rule().usd_per_unit}
    pkr_per_usd = load_registry().value("energy.pk.pkr_per_usd")
    read = case_transfers(store, actor, case_id)
    transfers = []
    for t in read["transfers"]:
        amount = Decimal(str(t["amount"]))
        local, note = _local(amount, t["asset"], rates, pkr_per_usd, t["tx_id"])
        transfers.append(GoamlTransfer(t["tx_id"], datetime.fromisoformat(t["timestamp"]), t["from_account"],
                                       t["to_account"], amount, t["asset"], t["vasp"], local, note))
    accounts = ", ".join(map(str, evidence.get("accounts", [])))
    missing = f"; transfers not in a readable scan file: {', '.join(read['missing'])}" if read["missing"] else ""
    report = GoamlReport(
        rentity_id=rentity_id, rentity_branch=branch, entity_reference=f"biplomacy-str-{str_id}-case-{case_id}",
        report_date=filed_at, currency_code_local=LOCAL_CURRENCY, reporting_user_code=reporting_user or filed_by,
        location_address=load_registry().get("house.pk.regulator").value, location_city="-", location_country="PK",
        reason=f"{reason} (rule {evidence.get('rule')}, score {evidence.get('score')}; accounts {accounts})",
        action=f"case {case_id} escalated by {filed_by} on {filed_at:%Y-%m-%d %H:%M} UTC; STR {str_id}{missing}",
        transfers=tuple(transfers))
    if issues := check_report(report):
        raise InputError("; ".join(i.message for i in issues),
                         field={"goaml.rentity_id": "rentity_id", "goaml.reporting_user": "reporting_user"}.get(issues[0].code, "id"))
    return to_xml(report)
