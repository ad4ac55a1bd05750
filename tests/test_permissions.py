"""The one permission table, checked as a full role x action matrix against the policy written out here."""

import pytest

from biplomacy.errors import PermissionDenied
from biplomacy.permissions import PERMISSIONS, ROLES, Actor, allowed, authorize

EVERYONE = set(ROLES)
EXPECTED = {
    "sources.read": EVERYONE, "audit.verify": EVERYONE, "energy.read": EVERYONE, "reserve.read": EVERYONE,
    "register.read": EVERYONE,
    "audit.read": {"auditor", "supervisor", "admin"},
    "users.manage": {"admin"},
    "energy.plan": {"analyst", "admin"}, "energy.scenario.write": {"analyst", "admin"},
    "reserve.wallet.manage": {"admin"}, "reserve.chain.rehearse": {"signer", "admin"},
    "reserve.spend.propose": {"admin"}, "reserve.spend.sign": {"signer"}, "reserve.spend.broadcast": {"admin"},
    "reserve.ledger.write": {"admin"}, "reserve.statement.publish": {"admin"},
    **{a: {"supervisor", "admin"} for a in (
        "licensing.apply", "licensing.review", "returns.file", "returns.review", "solvency.publish", "aml.scan",
        "aml.case", "travelrule.exchange", "sanctions.update", "stablecoin.review", "tax.estimate")},
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


def test_unknown_action_and_unknown_role_are_refused():
    with pytest.raises(PermissionDenied, match="unknown action"):
        authorize(Actor("a", "admin"), "reserve.spend.everything")
    with pytest.raises(PermissionDenied, match="unknown role"):
        authorize(Actor("a", "king"), "sources.read")
