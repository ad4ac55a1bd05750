"""Tax base: FIFO gains per account and asset, per-account netting, turnover, rates, assumptions, bad files."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.aml.model.tax import Rates, Trade, realised, tax_base
from tests.aml.test_aml_rules import write_csv

T0 = datetime(2025, 1, 1, tzinfo=UTC)
HEADER = ["tx_id", "timestamp", "vasp", "account", "asset", "side", "quantity", "price", "fee"]
ROWS = [["1", "2025-01-01T00:00:00Z", "ExA", "alice", "BTC", "buy", "1", "10000000", "1000"],
        ["2", "2025-02-01T00:00:00Z", "ExA", "alice", "BTC", "buy", "1", "12000000", "0"],
        ["3", "2025-03-01T00:00:00Z", "ExA", "alice", "BTC", "sell", "1.5", "15000000", "500"],
        ["4", "2025-03-01T00:00:00Z", "ExB", "bob", "ETH", "buy", "10", "900000", ""],
        ["5", "2025-04-01T00:00:00Z", "ExB", "bob", "ETH", "sell", "10", "800000", ""]]


def trade(i, side, qty, price, account="a", vasp="V", fee="0"):
    return Trade(str(i), T0 + timedelta(days=i), vasp, account, "BTC", side, Decimal(qty), Decimal(price), Decimal(fee))


def test_fifo_sells_the_oldest_lot_first_with_fees_in_cost_and_proceeds():
    r = realised([trade(1, "buy", "1", "100", fee="1"), trade(2, "buy", "1", "200"), trade(3, "sell", "1.5", "300",
                                                                                       fee="2")])
    # proceeds 450 - 2; cost 101 + 0.5 x 200 = 201
    assert r[("V", "a")]["gains"] == Decimal("247") and r[("V", "a")]["losses"] == 0


def test_losses_offset_gains_of_the_same_account_only():
    trades = [trade(1, "buy", "1", "100", "a"), trade(2, "sell", "1", "150", "a"),
              trade(3, "buy", "1", "100", "a"), trade(4, "sell", "1", "80", "a"),
              trade(5, "buy", "1", "100", "b"), trade(6, "sell", "1", "40", "b")]
    d = tax_base(trades, Rates(Decimal("0.15"), Decimal(0), "PKR"))
    assert d.total is not None
    assert format(d.total.taxable_gains, "f") == "30.00" and format(d.total.realised_losses, "f") == "80.00"
    assert format(d.total.tax_on_gains, "f") == "4.50"


def test_selling_more_than_held_is_taken_at_zero_cost_and_reported():
    r = realised([trade(1, "buy", "1", "100"), trade(2, "sell", "3", "100")])
    assert r[("V", "a")]["uncovered_quantity"] == Decimal(2) and r[("V", "a")]["gains"] == Decimal(200)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 1000), st.integers(1, 10_000)), min_size=1, max_size=12))
def test_buying_then_selling_everything_at_cost_realises_nothing(lots):
    trades = [trade(i, "buy", str(q), str(p)) for i, (q, p) in enumerate(lots)]
    basis = sum(Decimal(q) * Decimal(p) for q, p in lots)
    qty = sum(q for q, _ in lots)
    trades.append(trade(len(lots), "sell", str(qty), str(basis / qty)))
    r = realised(trades)[("V", "a")]
    assert abs(r["gains"] - r["losses"]) < Decimal("1e-18") and r["uncovered_quantity"] == 0


def test_estimate_by_vasp_and_total_with_assumptions(cli_nodb, tmp_path):
    f = tmp_path / "trades.csv"
    write_csv(f, HEADER, ROWS)
    r = cli_nodb("supervise", "tax", "estimate", "--transactions", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    d = r.json
    assert d["by_vasp"]["ExA"]["taxable_gains"] == "6498500.00" and d["by_vasp"]["ExB"]["realised_losses"] == "1000000.00"
    assert d["total"]["tax_on_gains"] == "974775.00" and d["total"]["taxable_turnover"] == "61500000.00"
    assert any("FIFO" in a for a in d["assumptions"])
    assert {s["key"] for s in d["sources"]} == {"supervision.tax.capital_gains_rate", "supervision.tax.turnover_rate"}


def test_rates_file_changes_the_tax_not_the_base(cli_nodb, tmp_path):
    f = tmp_path / "trades.csv"
    write_csv(f, HEADER, ROWS)
    rates = tmp_path / "rates.toml"
    rates.write_text('capital_gains_rate = 0.10\nturnover_rate = 0.001\ncurrency = "PKR"\n')
    d = cli_nodb("supervise", "tax", "estimate", "--transactions", str(f), "--rates", str(rates), "--json").json
    assert d["total"]["taxable_gains"] == "6498500.00"
    assert d["total"]["tax_on_gains"] == "649850.00" and d["total"]["tax_on_turnover"] == "61500.00"


@pytest.mark.parametrize(("col", "value", "expected"), [
    (6, "-1", "row 2, quantity"), (7, "abc", "row 2, price"), (5, "hold", "row 2, side"),
    (1, "2025-01-01", "row 2, timestamp"),
])
def test_bad_trades_are_exit_2_naming_row_and_field(cli_nodb, tmp_path, col, value, expected):
    rows = [list(r) for r in ROWS]
    rows[0][col] = value
    f = tmp_path / "trades.csv"
    write_csv(f, HEADER, rows)
    r = cli_nodb("supervise", "tax", "estimate", "--transactions", str(f), "--json")
    assert r.exit_code == 2 and expected in r.stderr and r.stdout == ""


def test_bad_rates_and_missing_columns_are_exit_2(cli_nodb, tmp_path):
    f = tmp_path / "trades.csv"
    write_csv(f, HEADER, ROWS)
    rates = tmp_path / "rates.toml"
    rates.write_text("capital_gains_rate = 1.5\n")
    r = cli_nodb("supervise", "tax", "estimate", "--transactions", str(f), "--rates", str(rates))
    assert r.exit_code == 2 and "capital_gains_rate" in r.stderr
    write_csv(f, HEADER[:-3], [r[:-3] for r in ROWS])
    r = cli_nodb("supervise", "tax", "estimate", "--transactions", str(f))
    assert r.exit_code == 2 and "quantity" in r.stderr
