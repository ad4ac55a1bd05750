"""IBM AMLworld's published CSV layout, read as it is and evaluated on a time split end to end.

The file is hand-made (tests/aml/data/README.md): no AMLworld data was reachable to cut a fixture from (the sets
are published on Kaggle; the public repositories that name HI-Small_Trans.csv hold Git LFS pointers only)."""

from datetime import datetime
from pathlib import Path

from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.scan import read_columns

HANDMADE = Path(__file__).parent / "data" / "amlworld-handmade" / "HI-handmade_Trans.csv"


def test_the_published_layout_reads_as_it_is():
    """Two columns named Account, minute timestamps with slashes, banks with leading zeros, any currency."""
    tx = from_columns(read_columns(HANDMADE), str(HANDMADE))
    assert len(tx) == 86 and int((tx.label == 1).sum()) == 14
    assert tx.ts[0] == datetime.fromisoformat("2022-09-01T00:20:00+00:00").timestamp()
    assert tx.src[0] == tx.dst[0] == "021174:80004D57A0"  # bank-scoped, leading zeros kept: a reinvestment
    btc = tx.asset.tolist().index("Bitcoin")
    assert tx.amount[btc] == 0.025852  # the amount paid, in the currency paid


def test_a_time_split_evaluation_runs_on_it_with_its_own_laundering_column_as_labels(cli_nodb):
    r = cli_nodb("supervise", "aml", "evaluate", "--transactions", str(HANDMADE), "--labels", str(HANDMADE),
                 "--split", "0.5", "--json")
    assert r.exit_code == 0, r.stderr
    d = r.json
    assert d["fitted_transfers"] + d["scored_transfers"] == 86 and d["scored_positives"] == 4
    assert set(d["methods"]) == {"naive", "defaults", "calibrated_rules", "calibrated_gbt"}
    assert d["fitted_scores"]["rules"]["positives"] == 6  # the earlier half's fan-out: hub and five legs
