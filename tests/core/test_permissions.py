"""The one permission table, checked as a full role x action matrix against the policy written out here."""

import pytest

from biplomacy.core.errors import PermissionDenied
from biplomacy.core.permissions import PERMISSIONS, ROLES, Actor, allowed, authorize, require_own_entity

EVERYONE = set(ROLES)
EXPECTED = {
    "sources.read": EVERYONE, "audit.verify": EVERYONE, "energy.read": EVERYONE, "reserve.read": EVERYONE,
    "register.read": EVERYONE,
    "audit.read": {"auditor", "supervisor", "admin"},
    "audit.checkpoint": {"auditor", "admin"},
    "users.manage": {"admin"}, "backup.make": {"admin"}, "backup.restore": {"admin"},
    # the auditor reads everything officers read (the README's promise), and writes nothing
    "supervision.read": {"supervisor", "admin", "auditor"}, "aml.read": {"supervisor", "admin", "auditor"},
    "energy.plan": {"analyst", "admin"}, "energy.scenario.write": {"analyst", "admin"},
    "reserve.wallet.manage": {"admin"}, "reserve.chain.rehearse": {"signer", "admin"},
    "reserve.spend.propose": {"admin"}, "reserve.spend.sign": {"signer"}, "reserve.spend.broadcast": {"admin"},
    "reserve.ledger.write": {"admin"}, "reserve.statement.publish": {"admin"},
    **{a: {"supervisor", "admin"} for a in (
        "licensing.apply", "licensing.review", "returns.review", "solvency.publish", "aml.scan",
        "aml.case", "aml.stream.quarantine", "travelrule.erase", "sanctions.update", "stablecoin.review", "tax.estimate")},
    # a VASP files its own returns and is the only one to send and decide travel-rule messages as itself;
    # supervisors and admins oversee the exchange (read) but do not act on a VASP's behalf
    "returns.file": {"supervisor", "admin", "vasp"},
    "travelrule.send": {"vasp"}, "travelrule.decide": {"vasp"},
    "travelrule.read": {"vasp", "supervisor", "admin", "auditor"},
    # peers: anyone reads; only the admin signs bundles with the program's key; adopting a peer's part changes
    # what this program uses (supervisors and admins); what-ifs are analysis runs
    "peers.read": EVERYONE, "peers.bundle.export": {"admin"}, "peers.bundle.adopt": {"supervisor", "admin"},
    "peers.whatif.run": {"analyst", "admin"},
}


def test_the_table_names_exactly_the_expected_actions():
    assert set(PERMISSIONS) == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_may_do_action_exactly_when_the_policy_says(role, action):
    assert allowed(role, action) is (role in EXPECTED[action])
    if role in EXPECTED[action]:
        authorize(Actor("someone", role), action)
    else:
        with pytest.raises(PermissionDenied, match=f"role {role}"):
            authorize(Actor("someone", role), action)


def test_admin_cannot_sign_spends_only_signers_hold_keys():
    with pytest.raises(PermissionDenied):
        authorize(Actor("root", "admin"), "reserve.spend.sign")


def test_roles_are_exactly_the_seven_of_the_policy():
    assert set(ROLES) == {"public", "analyst", "supervisor", "signer", "auditor", "admin", "vasp"}


def test_admin_cannot_act_as_a_vasp_in_the_travel_rule_exchange():
    for action in ("travelrule.send", "travelrule.decide"):
        with pytest.raises(PermissionDenied, match="allowed: vasp"):
            authorize(Actor("root", "admin"), action)


LEI_A, LEI_B = "9999000000ALPHA00079", "9999000000BETA000024"


def test_a_vasp_acts_only_for_its_own_entity_other_roles_are_not_scoped():
    require_own_entity(Actor("v", "vasp", LEI_A), LEI_A, "file a return")
    with pytest.raises(PermissionDenied, match=f"own entity \\(LEI {LEI_A}\\); may not file a return for {LEI_B}"):
        require_own_entity(Actor("v", "vasp", LEI_A), LEI_B, "file a return")
    with pytest.raises(PermissionDenied, match="without an LEI"):
        require_own_entity(Actor("v", "vasp", LEI_A), None, "file a return")
    with pytest.raises(PermissionDenied, match="bound to no entity"):
        require_own_entity(Actor("v", "vasp"), LEI_A, "file a return")
    require_own_entity(Actor("s", "supervisor"), LEI_B, "file a return")


def test_unknown_action_and_unknown_role_are_refused():
    with pytest.raises(PermissionDenied, match="unknown action"):
        authorize(Actor("a", "admin"), "reserve.spend.everything")
    with pytest.raises(PermissionDenied, match="unknown role"):
        authorize(Actor("a", "king"), "sources.read")


def test_the_auditor_reads_everything_an_officer_reads_and_writes_nothing():
    reads = {a for a in PERMISSIONS if a.endswith(".read")}
    assert all(allowed("auditor", a) for a in reads), sorted(a for a in reads if not allowed("auditor", a))
    writes = {a for a in PERMISSIONS if not a.endswith((".read", ".verify")) and a != "audit.checkpoint"}
    assert not any(allowed("auditor", a) for a in writes), sorted(a for a in writes if allowed("auditor", a))
