"""Each policy rule on its own: what it blocks, what it flags, what it lets through."""

from __future__ import annotations

from decimal import Decimal

import pytest

from biplomacy.core.errors import InputError
from biplomacy.reserve.model import policy
from biplomacy.reserve.price import policy_figures

FIG = policy_figures()
BTC = 100_000_000


def spend(profile: str, btc: str = "1", to_reserve: bool = False, approval: str = "") -> policy.SpendContext:
    return policy.SpendContext(profile, int(Decimal(btc) * BTC), to_reserve, 3, 5, approval, FIG)


def receipt(profile: str, source: str, holdings_btc: str = "1") -> policy.ReceiptContext:
    return policy.ReceiptContext(profile, source, BTC, int(Decimal(holdings_btc) * BTC), FIG)


@pytest.mark.parametrize("source", ["purchase", "mining"])
def test_imf_profile_flags_voluntary_accumulation(source: str) -> None:
    found = policy.imf_no_accumulation_receipt(receipt("imf-no-accumulation", source))
    assert [f.severity for f in found] == ["flag"]


@pytest.mark.parametrize("source", ["seizure", "transfer", "donation"])
def test_imf_profile_allows_other_sources(source: str) -> None:
    assert policy.imf_no_accumulation_receipt(receipt("imf-no-accumulation", source)) == []


def test_us_eo_blocks_a_sale_but_allows_a_move_between_reserve_wallets() -> None:
    assert [f.severity for f in policy.us_eo_no_sale(spend("us-eo-no-sale"))] == ["block"]
    assert policy.us_eo_no_sale(spend("us-eo-no-sale", to_reserve=True)) == []
    assert policy.us_eo_no_sale(spend("pakistan-draft")) == []


def test_bhutan_sale_needs_a_board_approval_reference() -> None:
    assert [f.severity for f in policy.bhutan_board_approval(spend("bhutan"))] == ["block"]
    assert policy.bhutan_board_approval(spend("bhutan", approval="DHI board resolution 2025/14")) == []
    assert policy.bhutan_board_approval(spend("bhutan", to_reserve=True)) == []


def test_pakistan_tiers_raise_the_quorum_with_the_amount() -> None:
    tier1, tier2 = FIG.tier_btc
    assert policy.required_threshold(spend("pakistan-draft", str(tier1))) == 3
    assert policy.required_threshold(spend("pakistan-draft", str(tier1 + 1))) == 4
    assert policy.required_threshold(spend("pakistan-draft", str(tier2 + 1))) == 5
    assert policy.pakistan_quorum_tier(spend("pakistan-draft", str(tier2 + 1)))[0].severity == "flag"
    assert policy.required_threshold(spend("us-eo-no-sale", str(tier2 + 1))) == 3


def test_pakistan_quorum_never_exceeds_the_number_of_signers() -> None:
    ctx = policy.SpendContext("pakistan-draft", 10**7 * BTC, False, 5, 5, "", FIG)
    assert policy.required_threshold(ctx) == 5


def test_pakistan_flags_holdings_above_the_fx_reserve_cap() -> None:
    cap_btc = FIG.fx_reserves_usd * FIG.cap_share_of_fx / FIG.btc_usd
    assert policy.pakistan_fx_cap(receipt("pakistan-draft", "seizure", str(int(cap_btc) - 1))) == []
    assert policy.pakistan_fx_cap(receipt("pakistan-draft", "seizure", str(int(cap_btc) + 1)))[0].severity == "flag"


def test_every_rule_is_registered_once() -> None:
    assert len(set(policy.SPEND_RULES)) == len(policy.SPEND_RULES) == 3
    assert len(set(policy.RECEIPT_RULES)) == len(policy.RECEIPT_RULES) == 2


def test_unknown_profile_is_an_input_error() -> None:
    with pytest.raises(InputError):
        policy.check_profile("anything-goes")


def test_us_profile_refuses_a_spend_outside_the_reserve_through_the_cli(cli, signers, cold_descriptor) -> None:  # type: ignore[no-untyped-def]
    from tests.reserve.custody.conftest import multisig
    from tests.reserve.custody.test_ceremony import ok

    ok(cli("reserve", "wallet", "add", "us", "--descriptor", multisig(3, signers), "--policy", "us-eo-no-sale",
           "--json"))
    address = ok(cli("reserve", "address", "us", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "us", "--json"))
    outside = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    sale = cli("reserve", "spend", "propose", "us", "--to", outside, "--amount", "0.5", "--purpose", "sell", "--json")
    assert sale.exit_code == 2 and "may not be sold" in sale.stderr
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    ok(cli("reserve", "spend", "propose", "us", "--to", cold, "--amount", "0.5", "--purpose", "to cold", "--json"))


def test_a_spend_above_the_first_tier_needs_four_of_five(cli, tmp_path, signers, cold_descriptor) -> None:  # type: ignore[no-untyped-def]
    from tests.reserve.custody.conftest import multisig
    from tests.reserve.custody.test_ceremony import ok, write

    ok(cli("reserve", "wallet", "add", "pk", "--descriptor", multisig(3, signers), "--json"))
    address = ok(cli("reserve", "address", "pk", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "150", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "pk", "--json"))
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    big = ok(cli("reserve", "spend", "propose", "pk", "--to", cold, "--amount", "120", "--purpose", "large move",
                 "--json"))
    assert big["threshold"] == 4 and big["policy_findings"]
    for k, signer in enumerate(signers[:3]):
        ok(cli("reserve", "spend", "submit", big["id"], "--psbt", write(tmp_path, f"{k}.psbt", signer.sign(big["psbt"])),
               "--json"))
    assert ok(cli("reserve", "spend", "status", big["id"], "--json"))["ready"] is False
    assert cli("reserve", "spend", "broadcast", big["id"], "--json").exit_code == 2
    last = ok(cli("reserve", "spend", "submit", big["id"], "--psbt",
                  write(tmp_path, "3.psbt", signers[3].sign(big["psbt"])), "--json"))
    assert last["ready"] is True
    assert len(ok(cli("reserve", "spend", "broadcast", big["id"], "--json"))["txid"]) == 64


def test_a_tier_above_the_wallets_m_is_named_as_beyond_the_script() -> None:
    beyond = policy.beyond_the_script("pakistan-draft", 3, 5, FIG)
    assert len(beyond) == len(FIG.tier_btc) and "needs 4 of 5" in beyond[0] and "takes 3" in beyond[0]
    assert policy.beyond_the_script("pakistan-draft", 5, 5, FIG) == []  # M = N: every tier is the script's own
    assert policy.beyond_the_script("bhutan", 2, 3, FIG) == []  # no signature rule beyond M


def test_the_designer_refuses_an_on_chain_wallet_whose_m_cannot_carry_the_tiers(cli, signers) -> None:  # type: ignore[no-untyped-def]
    from tests.reserve.custody.conftest import multisig
    from tests.reserve.custody.test_ceremony import ok

    refused = cli("reserve", "wallet", "add", "pk", "--descriptor", multisig(3, signers), "--on-chain", "--json")
    assert refused.exit_code == 2 and "needs 4 of 5" in refused.stderr and "takes 3" in refused.stderr
    assert ok(cli("reserve", "wallet", "list", "--json")) == []  # nothing stored
    ok(cli("reserve", "wallet", "add", "pk", "--descriptor", multisig(5, signers), "--on-chain", "--json"))
    ok(cli("reserve", "wallet", "add", "pk3", "--descriptor", multisig(3, signers), "--json"))  # procedural: allowed
