"""The ledger on the rehearsal chain: a reorged-out receipt is flagged vanished, never dropped; holdings by source."""

from __future__ import annotations

from typing import Any

from tests.reserve.custody.test_ceremony import ok


def test_reorg_flags_a_vanished_receipt_and_keeps_it_in_the_history(cli: Any, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    first = ok(cli("reserve", "address", "t", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", first, "2", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "3", "--json"))
    second = ok(cli("reserve", "address", "t", "--json"))["address"]
    gone = ok(cli("reserve", "chain", "fund", second, "0.7", "--source", "donation", "--json"))["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "t", "--json"))["balance_btc"] == "2.7"

    reorg = ok(cli("reserve", "chain", "reorg", "1", "--json"))
    assert reorg["vanished"] == [gone]
    after = ok(cli("reserve", "sync", "t", "--json"))
    assert after["balance_btc"] == "2"
    assert after["vanished"] == [f"{gone}:0"]

    book = ok(cli("reserve", "ledger", "show", "t", "--json"))
    statuses = {e["txid"]: e["status"] for e in book["entries"]}
    assert statuses[gone] == "vanished" and len(statuses) == 2
    assert [v["txid"] for v in book["vanished"]] == [gone]


def test_reorg_back_to_mempool_leaves_the_receipt_unconfirmed(cli: Any, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    address = ok(cli("reserve", "address", "t", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "t", "--json"))
    ok(cli("reserve", "chain", "reorg", "1", "--to-mempool", "--json"))
    synced = ok(cli("reserve", "sync", "t", "--json"))
    assert (synced["balance_btc"], synced["unconfirmed_btc"], synced["vanished"]) == ("0", "1", [])


def test_holdings_are_split_by_source_and_valued_in_usd_and_pkr(cli: Any, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    for amount, source in (("1", "seizure"), ("0.5", "donation"), ("0.25", "mining")):
        address = ok(cli("reserve", "address", "t", "--json"))["address"]
        ok(cli("reserve", "chain", "fund", address, amount, "--source", source, "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "t", "--json"))
    ok(cli("reserve", "prices", "import", "--json"))
    book = ok(cli("reserve", "ledger", "show", "--json"))
    assert {s["source"]: s["btc"] for s in book["by_source"]} == {"seizure": "1", "donation": "0.5", "mining": "0.25"}
    assert book["total_btc"] == "1.75"
    assert book["price_usd"] == "91000.00000000"  # the latest point of the shipped snapshot (Jan 2026)
    # a regtest wallet is a rehearsal wallet: its coins are never valued as national holdings
    assert book["mark"] == "rehearsal" and book["value_usd"] is None and book["value_pkr"] is None
    from decimal import Decimal

    from biplomacy.reserve.model.ledger import valuation

    value = valuation(book["total_sats"], Decimal(book["price_usd"]), Decimal(book["pkr_per_usd"]))
    assert str(value.usd) == "159250.00"  # what the same coins on the reserve's chain would be valued at
    assert str(value.pkr) == "44749250.00"  # at 281 PKR/USD, the snapshot's PKR series


def test_classify_records_zone_and_cost_basis(cli: Any, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    address = ok(cli("reserve", "address", "t", "--json"))["address"]
    txid = ok(cli("reserve", "chain", "fund", address, "0.1", "--source", "mining", "--json"))["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "t", "--json"))
    ok(cli("reserve", "ledger", "classify", "t", f"{txid}:0", "--source", "mining", "--zone", "Sindh-1",
           "--cost-basis-usd", "6500.00", "--json"))
    entry = ok(cli("reserve", "ledger", "show", "t", "--json"))["entries"][0]
    assert (entry["zone"], entry["cost_basis_usd"]) == ("Sindh-1", "6500.00")
    bad = cli("reserve", "ledger", "classify", "t", f"{txid}:0", "--source", "gift", "--json")
    assert bad.exit_code == 2
    # #20: values beyond the column (1e30 overflowed NUMERIC on PostgreSQL), NaN and negatives were stored
    for basis in ("1e30", "NaN", "-5", "Infinity", "0.001"):
        r = cli("reserve", "ledger", "classify", "t", f"{txid}:0", "--source", "mining", "--cost-basis-usd", basis,
                "--json")
        assert r.exit_code == 2 and "cost basis" in r.stderr and "Traceback" not in r.stderr, (basis, r.stderr)
    r = cli("reserve", "ledger", "classify", "t", f"{txid}:99999999999999999999", "--source", "mining", "--json")
    assert r.exit_code == 2 and "Traceback" not in r.stderr  # an output index beyond 64 bits
    assert ok(cli("reserve", "ledger", "show", "t", "--json"))["entries"][0]["cost_basis_usd"] == "6500.00"


def test_history_counts_a_receipt_from_its_block_time_not_the_sync_day(cli: Any, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    address = ok(cli("reserve", "address", "t", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1", "--json"))
    ok(cli("reserve", "chain", "mine", "2", "--json"))  # block 1 is dated 10 minutes after regtest's genesis
    ok(cli("reserve", "sync", "t", "--json"))
    history = ok(cli("reserve", "ledger", "show", "--json"))["history"]
    assert history == [{"day": "2011-02-02", "sats": 100_000_000, "btc": "1"}]


def test_imf_profile_flags_mined_and_bought_coins_in_the_ledger_but_not_seized_ones(
        cli: Any, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "sv", "--descriptor", treasury_descriptor, "--policy", "imf-no-accumulation",
           "--json"))
    for amount, source in (("1", "seizure"), ("0.5", "purchase"), ("0.25", "mining")):
        address = ok(cli("reserve", "address", "sv", "--json"))["address"]
        ok(cli("reserve", "chain", "fund", address, amount, "--source", source, "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    synced = ok(cli("reserve", "sync", "sv", "--json"))
    assert len(synced["policy_findings"]) == 2
    book = ok(cli("reserve", "ledger", "show", "--json"))
    assert sorted(e["source"] for e in book["flagged"]) == ["mining", "purchase"]
    assert all(e["flags"][0].startswith("imf-no-accumulation") for e in book["flagged"])
