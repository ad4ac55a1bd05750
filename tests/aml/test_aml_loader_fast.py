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
