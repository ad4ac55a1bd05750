"""The vectorised loader reads exactly what the row-by-row one reads, and leaves anything unusual to it."""

from datetime import datetime

import numpy as np
import pytest

from biplomacy.aml.model.generator import generate
from biplomacy.aml.model.transactions import from_columns
from biplomacy.core.errors import InputError


def test_timestamps_and_amounts_match_python_parsing():
    cols = generate(3000, 3, 7).columns
    tx = from_columns(cols, "g.csv")
    expected = np.asarray([datetime.fromisoformat(t).timestamp() for t in cols["timestamp"]])
    assert np.array_equal(tx.ts, expected)
    assert np.array_equal(tx.amount, np.asarray([float(a) for a in cols["amount"]]))


def test_z_suffix_and_fractions_read_like_offsets():
    cols = {"tx_id": ["a", "b", "c"], "from_account": ["x", "y", "z"], "to_account": ["y", "z", "x"],
            "amount": ["1", "2.5", "3"], "asset": ["BTC"] * 3,
            "timestamp": ["2025-09-01T00:00:00Z", "2025-09-01T00:00:01.250+00:00", "2025-09-01T05:00:00+05:00"]}
    tx = from_columns(cols, "t.csv")
    assert tx.ts.tolist() == [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in cols["timestamp"]]


@pytest.mark.parametrize("bad", ["2025-09", "2025-09-01T00:00:00", "yesterday+00:00"])
def test_a_bad_timestamp_is_still_named_by_row_and_field(bad):
    cols = {"tx_id": ["a", "b"], "from_account": ["x", "y"], "to_account": ["y", "x"], "amount": ["1", "2"],
            "asset": ["BTC", "BTC"], "timestamp": ["2025-09-01T00:00:00+00:00", bad]}
    with pytest.raises(InputError, match="row 3, timestamp"):
        from_columns(cols, "t.csv")


def test_amlsims_older_sample_layout_loads_with_daily_steps_and_row_ids(tmp_path):
    from biplomacy.aml.scan import read_columns

    f = tmp_path / "transactions.csv"
    f.write_text("sourceNodeId,targetNodeId,value,time\n216,14730,163.3,1\n322,5431,4.11,3\n")
    tx = from_columns(read_columns(f), str(f))
    assert tx.tx_id.tolist() == ["r2", "r3"] and tx.ts.tolist() == [86400.0, 3 * 86400.0]
    assert tx.src.tolist() == ["216", "322"] and tx.amount.tolist() == [163.3, 4.11]


def test_amlworld_layout_loads_with_bank_scoped_accounts_and_its_laundering_column(tmp_path):
    """IBM AMLworld's published CSV layout (two columns named Account; naive timestamps read as UTC)."""
    from biplomacy.aml.scan import read_columns

    f = tmp_path / "HI-Small_Trans.csv"
    f.write_text("Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,"
                 "Payment Currency,Payment Format,Is Laundering\n"
                 "2022/09/01 00:20,10,8000EBD30,10,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0\n"
                 "2022/09/01 00:20,3208,8000F4580,1,8000F5340,0.01,US Dollar,0.01,US Dollar,Cheque,1\n")
    tx = from_columns(read_columns(f), str(f))
    assert tx.src.tolist() == ["10:8000EBD30", "3208:8000F4580"] and tx.dst.tolist()[1] == "1:8000F5340"
    assert tx.label.tolist() == [0, 1] and tx.asset.tolist()[0] == "US Dollar"
    assert tx.ts[0] == datetime.fromisoformat("2022-09-01T00:20:00+00:00").timestamp()
