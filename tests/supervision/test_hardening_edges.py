"""Values at the edges (#20): a stablecoin amount of 1e308 was an HTTP 500 (decimal.InvalidOperation) and a
traceback in the CLI, 1e400 and a date of 9999-12-31 were stored as given, a 20-digit case id was an
OverflowError, and register CSV cells could start with `=` (formula injection)."""

from __future__ import annotations

import copy
import csv
import io

import pytest
from fastapi.testclient import TestClient

from biplomacy.aml.cases import show_case
from biplomacy.core.csv_cells import safe_cell
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.supervision.demo import load_demo_register
from biplomacy.supervision.model.register import to_csv
from tests.conftest import Cli
from tests.sessions import sign_in
from tests.supervision.test_stablecoin_register import EXAMPLE, attestations, reference, write

URL = "/api/v1/supervision/stablecoin/attestations"


@pytest.mark.parametrize(("path", "value"), [("reserves.0.amount", "1e308"), ("reserves.0.amount", "1e400"),
                                             ("supply.0.outstanding", 1e308), ("as_of", "9999-12-31")])
def test_finding_values_at_the_edges_are_refused_by_the_api_not_stored(app_client: TestClient, path: str,
                                                                      value: object) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    load_demo_register(store)
    sign_in(app_client, "officer", "supervisor")
    doc = copy.deepcopy(EXAMPLE)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = value
    r = app_client.post(URL, json={"licence": reference(store, "mPKR"), "attestation": doc})
    assert r.status_code == 422, r.text
    assert attestations(store) == 0


def test_finding_the_cli_names_a_1e308_amount_without_a_traceback(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli("supervise", "register", "load-demo")
    ref = next(e["reference"] for e in cli("supervise", "register", "show", "--json").json["entities"]
               if e["commercial_name"] == "mPKR")
    doc = copy.deepcopy(EXAMPLE)
    doc["reserves"][0]["amount"] = "1e308"
    r = cli("supervise", "stablecoin", "check", str(write(tmp_path, "a.json", doc)), "--licence", ref)
    assert r.exit_code == 2 and "reserves[0].amount" in r.stderr and "Traceback" not in r.stderr


def test_finding_a_20_digit_case_id_is_a_clear_refusal(app_client: TestClient, cli: Cli, store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="out of range"):
        show_case(store, LOCAL_ADMIN, 10**20)
    sign_in(app_client, "officer", "supervisor")
    assert app_client.get("/supervision/aml/cases/99999999999999999999").status_code == 422
    r = cli("supervise", "aml", "case", "99999999999999999999")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    revoke = cli("users", "revoke", "99999999999999999999")  # any id a user types, not only cases
    assert revoke.exit_code == 2 and "out of range" in revoke.stderr


def test_finding_register_csv_cells_never_start_a_formula() -> None:
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [safe_cell(v) for v in ("+1", "-2.5", "@SUM(A1)", "\tcmd", "Alpha", 7)] == ["+1", "-2.5", "'@SUM(A1)",
                                                                                    "'\tcmd", "Alpha", 7]


def test_the_register_export_defuses_a_formula_in_a_name(store) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace
    from datetime import date

    from biplomacy.supervision.model.register import register_as_of
    from biplomacy.supervision.register import _entities

    load_demo_register(store)
    with store.read() as s:
        entries = register_as_of(_entities(s), date.today(), "")
    entity = entries[0].entity
    named = replace(entity, identity=replace(entity.identity, legal_name='=HYPERLINK("http://evil","x")'))
    first = replace(entries[0], entity=named)
    rows = list(csv.DictReader(io.StringIO(to_csv([first, *entries[1:]]))))
    assert any(v.startswith("'=HYPERLINK") for v in rows[0].values()), rows[0]
    assert not any(v.startswith(("=", "@", "+")) for row in rows for v in row.values())
