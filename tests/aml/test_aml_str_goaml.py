"""The STR of an escalated case as goAML XML, validated against the goAML schema shipped in data/schemas/goaml
(UNODC goAML 5.0.1, an FIU's published copy): element names, order and lookups are the schema's, not ours."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from importlib import resources

import pytest
import xmlschema

from tests.aml.test_aml_cases import cross_vasp_case

SCHEMA_FILE = resources.files("biplomacy") / "data" / "schemas" / "goaml" / "goAMLSchema-5.0.1.xsd"


@pytest.fixture(scope="module")
def goaml_schema() -> xmlschema.XMLSchema11:
    """The schema declares vc:minVersion="1.1": an XSD 1.0 processor skips it whole (xmlschema honours that)."""
    with resources.as_file(SCHEMA_FILE) as path:
        return xmlschema.XMLSchema11(str(path))


def test_an_escalated_cases_str_exports_as_goaml_xml_the_schema_accepts(cli, tmp_path, goaml_schema):
    case_id, _ = cross_vasp_case(cli, tmp_path)
    early = cli("supervise", "aml", "str-export", str(case_id), "--format", "goaml", "--rentity-id", "1042")
    assert early.exit_code == 2 and "escalate it first" in early.stderr
    cli("supervise", "aml", "case", str(case_id), "--escalate", "--reason", "round trip via 3 VASPs")
    unset = cli("supervise", "aml", "str-export", str(case_id), "--format", "goaml")
    assert unset.exit_code == 2 and "rentity" in unset.stderr and "BIPLOMACY_GOAML_RENTITY_ID" in unset.stderr
    out = tmp_path / "str.xml"
    r = cli("supervise", "aml", "str-export", str(case_id), "--format", "goaml", "--rentity-id", "1042",
            "--reporting-user", "amina.pvara", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    goaml_schema.validate(text)  # raises, naming the element, where goAML would refuse the report
    root = ET.fromstring(text)
    assert root.tag == "report" and root.findtext("report_code") == "STR" and root.findtext("rentity_id") == "1042"
    assert root.findtext("submission_code") == "E" and root.findtext("currency_code_local") == "PKR"
    assert root.findtext("reporting_user_code") == "amina.pvara" and "round trip via 3 VASPs" in root.findtext("reason")
    txs = root.findall("transaction")
    assert [t.findtext("transactionnumber") for t in txs] == ["t1", "t2", "t3"]
    first = txs[0]
    assert first.findtext("date_transaction") == "2025-03-01T01:00:00"
    assert Decimal(first.findtext("amount_local")) == Decimal(9000) * Decimal(281)  # USD 9,000 at PKR 281 per USD
    assert first.findtext("t_from/from_account/account") == "k1" and first.findtext("t_to/to_account/account") == "k2"
    assert first.findtext("t_from/from_account/institution_name") == "ExA"


def test_what_goaml_would_refuse_is_refused_by_name_and_the_schema_catches_a_wrong_code(cli, tmp_path, goaml_schema):
    case_id, _ = cross_vasp_case(cli, tmp_path)
    cli("supervise", "aml", "case", str(case_id), "--escalate", "--reason", "round trip via 3 VASPs")
    short = cli("supervise", "aml", "str-export", str(case_id), "--format", "goaml", "--rentity-id", "7",
                "--reporting-user", "ab")
    assert short.exit_code == 2 and "--reporting-user" in short.stderr and "4 to 50" in short.stderr
    wrong = cli("supervise", "aml", "str-export", str(case_id), "--format", "pdf")
    assert wrong.exit_code == 2 and "--format" in wrong.stderr
    printed = cli("supervise", "aml", "str-export", str(case_id), "--format", "goaml", "--rentity-id", "7",
                  "--reporting-user", "amina.pvara")
    assert printed.exit_code == 0, printed.stderr
    goaml_schema.validate(printed.stdout)
    broken = printed.stdout.replace("<report_code>STR</report_code>", "<report_code>XYZ</report_code>")
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="report_code"):
        goaml_schema.validate(broken)


def test_the_portal_downloads_the_goaml_str_of_an_escalated_case_and_refuses_without_the_fiu_number(
        app_client, tmp_path, goaml_schema):
    from biplomacy.aml.cases import move_case, store_scan
    from biplomacy.core.permissions import Actor
    from tests.aml.test_aml_cases import CYCLE, HEADER
    from tests.aml.test_aml_rules import write_csv
    from tests.sessions import sign_in

    c = sign_in(app_client, "officer", "supervisor")
    f = tmp_path / "tx.csv"
    write_csv(f, HEADER, CYCLE)
    officer = Actor("officer", "supervisor")
    stored = store_scan(c.app.state.store, officer, f)
    case_id = next(a.case_id for a in stored.alerts if a.alert.rule == "cross_vasp_cycle")
    url = f"/api/v1/supervision/aml/cases/{case_id}/str.xml"
    assert c.get(url, params={"rentity_id": 1042}).status_code == 404  # not escalated yet
    move_case(c.app.state.store, officer, case_id, escalate=True, reason="cycle across three exchanges")
    page = c.get(f"/supervision/aml/cases/{case_id}").text
    assert 'id="str-goaml"' in page and f'action="{url}"' in page
    unset = c.get(url)
    assert unset.status_code == 422 and unset.json()["field"] == "rentity_id"
    assert c.get(url, params={"rentity_id": 0}).status_code == 422
    got = c.get(url, params={"rentity_id": 1042, "reporting_user": "officer.pvara"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/xml")
    assert "attachment" in got.headers["content-disposition"]
    goaml_schema.validate(got.text)
    assert "<transactionnumber>t3</transactionnumber>" in got.text
