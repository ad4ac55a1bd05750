"""The house commands: users and tokens, the audit log, sources; bad input gets exit 2 and changes nothing."""

import json

from biplomacy.house.users import actor_for_token


def test_added_user_appears_and_is_audited(cli):
    r = cli("users", "add", "amina", "--role", "analyst", "--institution", "Ministry of Energy", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["role"] == "analyst"
    assert [u["name"] for u in cli("users", "list", "--json").json] == ["amina"]
    v = cli("audit", "verify", "--json").json
    assert v["valid"] and v["entries"] == 1


def test_unknown_role_is_refused_with_exit_2_and_nothing_stored(cli):
    r = cli("users", "add", "x", "--role", "king", "--json")
    assert r.exit_code == 2 and "role" in r.stderr and "Traceback" not in r.stderr
    assert cli("users", "list", "--json").json == []
    assert cli("audit", "verify", "--json").json["entries"] == 0


def test_token_is_shown_once_and_resolves_to_its_user(cli, store):
    cli("users", "add", "sana", "--role", "signer")
    r = cli("users", "token", "sana", "--json")
    actor = actor_for_token(store, r.json["token"])
    assert actor is not None and actor.role == "signer"
    cli("users", "revoke", str(r.json["id"]))
    assert actor_for_token(store, r.json["token"]) is None


def test_acting_as_a_user_without_the_role_is_refused(cli):
    cli("users", "add", "pub", "--role", "public")
    r = cli("--as", "pub", "users", "add", "y", "--role", "admin")
    assert r.exit_code == 2 and "may not users.manage" in r.stderr


def test_acting_as_an_unknown_user_names_it(cli):
    r = cli("--as", "ghost", "users", "add", "y", "--role", "admin")
    assert r.exit_code == 2 and "ghost" in r.stderr


def test_exported_log_reverifies_and_an_edit_is_named(cli, tmp_path):
    for name in ("a1", "a2", "a3"):
        cli("users", "add", name, "--role", "public")
    export = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--out", str(export)).exit_code == 0
    assert cli("audit", "verify", "--file", str(export), "--json").json["valid"]
    lines = export.read_text().splitlines()
    row = json.loads(lines[1])
    row["actor"] = "mallory"
    lines[1] = json.dumps(row)
    export.write_text("\n".join(lines) + "\n")
    r = cli("audit", "verify", "--file", str(export), "--json")
    assert r.exit_code == 1 and r.json["first_bad_seq"] == 2


def test_sources_lists_figures_with_their_sources(cli_nodb):
    facts = cli_nodb("sources", "--json").json
    by_key = {f["key"]: f for f in facts}
    assert by_key["house.pk.mining_ai_allocation_mw"]["value"] == "2000"
    assert all(f["source"] or f["assumption"] for f in facts)
    assert cli_nodb("sources", "--pillar", "nowhere").exit_code == 2


def test_a_non_number_for_a_number_argument_is_exit_2_without_traceback(cli):
    r = cli("users", "revoke", "abc")
    assert r.exit_code == 2 and "Traceback" not in r.stderr and "token_id" in r.stderr
    r = cli("users", "list", "--bogus")
    assert r.exit_code == 2 and "No such option" in r.stderr
