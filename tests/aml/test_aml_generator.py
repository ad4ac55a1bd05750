"""Generated transaction sets: seeded, of the size asked, labelled; evaluation counts hits and misses honestly."""

import csv
from dataclasses import asdict

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.evaluate import evaluate
from biplomacy.aml.model.generator import TYPOLOGIES, generate


def test_same_seed_same_set_and_size_as_asked():
    a, b = generate(3000, 3, seed=7), generate(3000, 3, seed=7)
    assert a == b
    assert len(a.columns["tx_id"]) == 3000
    assert generate(3000, 3, seed=8).columns["amount"] != a.columns["amount"]


def test_every_typology_is_planted_and_labels_point_at_real_transactions():
    g = generate(5000, 4, seed=2)
    ids = set(g.columns["tx_id"])
    assert {typ for _, typ, _ in g.labels} == set(TYPOLOGIES)
    assert all(t in ids for t, _, _ in g.labels)
    assert len(set(g.columns["vasp"])) == 4


def test_cross_vasp_cycle_spans_several_vasps():
    g = generate(3000, 3, seed=1)
    row = {t: i for i, t in enumerate(g.columns["tx_id"])}
    legs = [t for t, typ, _ in g.labels if typ == "cross_vasp_cycle"]
    assert len({g.columns["vasp"][row[t]] for t in legs}) > 1


def test_evaluate_counts_true_and_false_positives_and_misses():
    labels = [("t1", "fan_in", "fi-0"), ("t2", "fan_in", "fi-0"), ("t3", "fan_in", "fi-1"), ("t9", "cycle", "c-0")]
    alerts = [Alert("fan_in", ["h"], ["t1", "t5"], 0.9), Alert("fan_in", ["g"], ["t6"], 0.9),
              Alert("pass_through", ["m"], ["t9"], 0.7)]
    r = evaluate(alerts, labels)
    assert asdict(r["fan_in"]) == {"precision": 0.5, "precision_any_planted": 0.5, "recall": 0.5, "planted": 2, "alerts": 2, "true_positives": 1,
                           "detected_instances": 1, "on_other_planted": 0}
    assert r["cycle"].recall == 0.0 and r["cycle"].precision is None
    assert r["pass_through"].precision == 0.0 and r["pass_through"].on_other_planted == 1
    assert r["pass_through"].precision_any_planted == 1.0


def test_generate_then_evaluate_through_the_cli(cli_nodb, tmp_path):
    r = cli_nodb("supervise", "aml", "generate", "--out", str(tmp_path), "--transactions", "4000", "--seed", "5",
                 "--json")
    assert r.exit_code == 0, r.stderr
    with (tmp_path / "transactions.csv").open() as f:
        assert sum(1 for _ in csv.reader(f)) == 4001
    r = cli_nodb("supervise", "aml", "evaluate", "--transactions", str(tmp_path / "transactions.csv"),
                 "--labels", str(tmp_path / "labels.csv"), "--json")
    assert r.exit_code == 0, r.stderr
    typ = r.json["typologies"]
    for name in TYPOLOGIES:
        assert typ[name]["planted"] == 1 and typ[name]["recall"] == 1.0


def test_labels_naming_unknown_transactions_are_exit_2(cli_nodb, tmp_path):
    cli_nodb("supervise", "aml", "generate", "--out", str(tmp_path), "--transactions", "500")
    (tmp_path / "bad.csv").write_text("tx_id,typology,instance\nnope,fan_in,x\n")
    r = cli_nodb("supervise", "aml", "evaluate", "--transactions", str(tmp_path / "transactions.csv"),
                 "--labels", str(tmp_path / "bad.csv"))
    assert r.exit_code == 2 and "nope" in r.stderr


def test_bad_generate_arguments_are_exit_2(cli_nodb, tmp_path):
    r = cli_nodb("supervise", "aml", "generate", "--out", str(tmp_path), "--vasps", "1")
    assert r.exit_code == 2 and "--vasps" in r.stderr
