"""A suspicious transaction report in goAML XML, the format of UNODC's goAML that FIUs take STRs in.

Plain values in, XML bytes out. The element names and their order are the goAML schema's (`report` with
`rentity_id`, `submission_code`, `report_code` STR, `reporting_user_code`, `location`, `reason`, `action`, one
`transaction` per transfer with `transactionnumber`, `date_transaction`, `amount_local` and `t_from`/`t_to` holding
`from_account`/`to_account`, then `report_indicators`); data/schemas/goaml/ ships the schema the tests validate
against. goAML's lookups (funds, transmission mode, indicators, address type) are each FIU's own codes: an
installation maps them with its FIU; until then they are "-", goAML's "unknown", which every FIU's schema accepts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from biplomacy.core.errors import Issue

UNKNOWN = "-"  # goAML's code for "unknown" in every lookup
SUBMISSION_ELECTRONIC = "E"
REPORT_CODE = "STR"
MAX_AMOUNT = Decimal("7900000000000000")  # goAML's sql_decimal bounds


@dataclass(frozen=True, slots=True)
class GoamlTransfer:
    """One transfer of the case: `amount` in `asset` units, `amount_local` the same in the local currency."""

    tx_id: str
    time: datetime
    from_account: str
    to_account: str
    amount: Decimal
    asset: str
    vasp: str
    amount_local: Decimal
    rate_note: str  # how amount_local was reached, e.g. "PKR 281 per USDT (USD 1)"


@dataclass(frozen=True, slots=True)
class GoamlReport:
    """What a goAML STR says. `rentity_id` is the reporting entity's number at the FIU; `reporting_user_code`
    the filer's goAML user (4 to 50 characters)."""

    rentity_id: int
    rentity_branch: str
    entity_reference: str
    report_date: datetime
    currency_code_local: str
    reporting_user_code: str
    location_address: str
    location_city: str
    location_country: str
    reason: str
    action: str
    transfers: tuple[GoamlTransfer, ...]


def check_report(r: GoamlReport) -> list[Issue]:
    """What goAML would refuse, found before any XML is written (each with the field to fix)."""
    issues = []
    if not 1 <= r.rentity_id < 2**31:
        issues.append(Issue("goaml.rentity_id", "rentity_id",
                            f"the reporting entity id must be the positive number the FIU assigned, not {r.rentity_id}"))
    if not 4 <= len(r.reporting_user_code) <= 50:
        issues.append(Issue("goaml.reporting_user", "reporting_user",
                            f"goAML user codes have 4 to 50 characters; {r.reporting_user_code!r} has "
                            f"{len(r.reporting_user_code)}"))
    if not r.transfers:
        issues.append(Issue("goaml.transactions", "transactions",
                            "no transfer of the case could be read back from its scan file: goAML needs at least one"))
    for t in r.transfers:
        if not t.tx_id or len(t.tx_id) > 100:
            issues.append(Issue("goaml.transactionnumber", t.tx_id[:100],
                                f"transfer {t.tx_id[:100]!r}: goAML transaction numbers have 1 to 100 characters"))
        if abs(t.amount_local) >= MAX_AMOUNT:
            issues.append(Issue("goaml.amount_local", t.tx_id,
                                f"transfer {t.tx_id}: amount {t.amount_local} is past goAML's bounds"))
    return issues


def _date(d: datetime) -> str:
    """goAML's sql_date: an xs:dateTime, given in UTC without an offset as FIUs' samples give it."""
    return d.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = value
    return el


def _account(parent: ET.Element, tag: str, account: str, vasp: str) -> None:
    el = ET.SubElement(parent, tag)
    _text(el, "institution_name", vasp or "unknown VASP")
    _text(el, "institution_code", UNKNOWN)  # the VASP's code in the FIU's register of reporting entities
    _text(el, "non_bank_institution", "true")  # a virtual asset service provider, not a bank
    _text(el, "account", account[:50])
    _text(el, "comments", f"account {account} at {vasp or 'an unknown VASP'} (virtual asset account)")


def _party(tx: ET.Element, side: str, account: str, vasp: str) -> None:
    el = ET.SubElement(tx, f"t_{side}")
    _text(el, f"{side}_funds_code", UNKNOWN)
    _text(el, f"{side}_funds_comment", "virtual assets")
    _account(el, f"{side}_account", account, vasp)
    _text(el, f"{side}_country", UNKNOWN)


def to_xml(r: GoamlReport) -> bytes:
    """The report as goAML XML (UTF-8, with its declaration); check_report first."""
    root = ET.Element("report")
    _text(root, "rentity_id", str(r.rentity_id))
    _text(root, "rentity_branch", r.rentity_branch)
    _text(root, "submission_code", SUBMISSION_ELECTRONIC)
    _text(root, "report_code", REPORT_CODE)
    _text(root, "entity_reference", r.entity_reference)
    _text(root, "submission_date", _date(r.report_date))
    _text(root, "currency_code_local", r.currency_code_local)
    _text(root, "reporting_user_code", r.reporting_user_code)
    location = ET.SubElement(root, "location")
    _text(location, "address_type", UNKNOWN)
    _text(location, "address", r.location_address)
    _text(location, "city", r.location_city)
    _text(location, "country_code", r.location_country)
    _text(root, "reason", r.reason[:8000])
    _text(root, "action", r.action[:8000])
    for t in r.transfers:
        tx = ET.SubElement(root, "transaction")
        _text(tx, "transactionnumber", t.tx_id)
        _text(tx, "internal_ref_number", r.entity_reference[:100])
        _text(tx, "transaction_location", t.vasp[:255] or UNKNOWN)
        _text(tx, "transaction_description",
              f"{t.amount:,f} {t.asset} from {t.from_account} to {t.to_account} at {t.vasp or 'an unknown VASP'}; "
              f"amount_local at {t.rate_note}")
        _text(tx, "date_transaction", _date(t.time))
        _text(tx, "transmode_code", UNKNOWN)
        _text(tx, "amount_local", format(t.amount_local.quantize(Decimal("0.01")), "f"))
        _party(tx, "from", t.from_account, t.vasp)
        _party(tx, "to", t.to_account, t.vasp)
    indicators = ET.SubElement(root, "report_indicators")
    _text(indicators, "indicator", UNKNOWN)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
