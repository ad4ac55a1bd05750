"""Calibration from labelled cases: a rule profile fitted to AMLSim's public data (a cut of it), scored with, and
refused when it or its labels are wrong, leaving the stored profile as it was."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from biplomacy.aml.calibrate import calibrate_files, evaluate_split
from biplomacy.aml.labels import read_labels
from biplomacy.aml.model.calibrate import pr_auc
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.profile_store import profile_in_force
from biplomacy.aml.profiles import load
from biplomacy.aml.scan import read_columns
from biplomacy.aml.stream import StreamScorer
from biplomacy.core.errors import InputError
from biplomacy.house.tables import AuditRow
from tests.aml.test_aml_stream import rows_of

FIXTURE = Path(__file__).parent / "data" / "amlsim-20K_fanin200-cut"
TX, NODES = FIXTURE / "transactions.csv", FIXTURE / "nodes.csv"


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    out = tmp_path_factory.mktemp("profile") / "fanin.json"
    done = calibrate_files([TX], NODES, out, model="gbt")
    return out, done


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_profile_records_what_it_was_fitted_on_its_scores_and_its_model(profile):
    out, done = profile
    doc = json.loads(out.read_text())
    assert doc["format"] == "biplomacy-aml-profile/1" and doc["version"] == done.version
    assert doc["fitted_on"]["transfers"] == 4113 and doc["fitted_on"]["positives"] == 940
    assert doc["fitted_on"]["labels_layout"] == "amlsim-accounts"
    assert doc["fitted_on"]["sha256"] == sha(TX)
    th = doc["thresholds"]  # fan-in fitted to AMLSim's slow fan-in: fewer payers over a longer window than v3's
    assert "fan_in" not in th["disabled"] and th["fan_in_min_counterparties"] < 8 and th["fan_in_window_hours"] > 24
    assert set(doc["amount_quantiles"]) == {"fan_in", "fan_out", "cycles", "scatter_gather", "gather_scatter",
                                            "bipartite", "stack", "random"} - set(th["disabled"])
    assert 0 < doc["scores"]["rules"]["f1"] <= 1
    assert doc["model"]["sha256"] == sha(out.with_name(doc["model"]["file"]))
    assert doc["scores"]["model_out_of_fold"]["f1"] > 0.5


def test_a_scan_with_the_profile_names_it_on_every_alert_and_explains_learned_alerts(profile, cli_nodb):
    out, done = profile
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(TX), "--profile", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    alerts = r.json["alerts"]
    assert r.json["summary"]["profile"] == done.version and r.json["summary"]["learned"]
    assert alerts and all(a["profile"] == done.version for a in alerts)
    learned = [a for a in alerts if a["rule"] == "learned"]
    assert learned and len(learned[0]["evidence"]["top_features"]) == 5
    nodes = read_columns(NODES)
    fraud = {n for n, f in zip(nodes["nodeid"], nodes["isFraud"], strict=True) if f == "1"}
    hit = sum(a["accounts"][0] in fraud for a in learned)
    assert hit / len(learned) > 0.8  # in-sample: it was fitted on these accounts


def test_without_a_profile_alerts_name_the_shipped_thresholds(cli_nodb):
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(TX), "--json")
    assert r.exit_code == 0 and r.json["summary"]["profile"] is None
    assert all(a["profile"] == "v3" for a in r.json["alerts"])


def test_a_time_split_scores_only_the_later_half_and_beats_the_uncalibrated_defaults():
    r = evaluate_split([TX], NODES, 0.5, "gbt")
    assert r.fitted_transfers + r.scored_transfers == 4113
    m = r.methods
    assert set(m) == {"naive", "defaults", "calibrated_rules", "calibrated_gbt"}
    assert m["calibrated_gbt"].overall["f1"] > m["defaults"].overall["f1"]
    assert m["calibrated_rules"].overall["f1"] > m["defaults"].overall["f1"]
    assert 0 <= m["calibrated_gbt"].overall["pr_auc"] <= 1


def test_one_row_at_a_time_scores_what_the_whole_matrix_scores(profile):
    out, _ = profile
    scorer = load(out).scorer
    assert scorer is not None
    x = np.random.default_rng(3).random((50, 18)) * [20, 20, 5000, 5000, 1, 1, 5, 5, 5, 5, 10, 10, 5, 5, 3, 20, 5, 5]
    assert [scorer.predict_one(r) for r in x.tolist()] == pytest.approx(scorer.predict(x).tolist(), abs=1e-12)


def test_pr_auc_is_average_precision():
    y = np.array([1, 0, 1, 0, 0], dtype=bool)
    assert pr_auc(np.array([0.9, 0.8, 0.7, 0.2, 0.1]), y) == pytest.approx((1 + 2 / 3) / 2)
    assert pr_auc(np.array([0.9, 0.9, 0.1, 0.1, 0.1]), y) == pytest.approx(0.5 * 0.5 + 0.5 * 0.4)  # ties: one step


def write(p: Path, text: str) -> Path:
    p.write_text(text)
    return p


@pytest.mark.parametrize(("labels", "message"), [
    ("nodeid,isFraud\n0,0\n1,0\n", "no account is labelled as laundering"),
    ("nodeid,isFraud\nx1,1\nx2,0\nx3,0\n", "labels of another data set"),
    ("nodeid,isFraud\n{first},1\nghost-7,1\n{second},0\n", "1 accounts labelled as laundering never appear"),
    ("account,flag\n1,2\n", "not a labels file"),
    ("nodeid,isFraud\n0,maybe\n", "row 2, isFraud"),
])
def test_bad_labels_are_named_and_the_stored_profile_stays_as_it_was(profile, cli_nodb, tmp_path, labels, message):
    out, _ = profile
    kept = tmp_path / "kept.json"
    shutil.copy(out, kept)
    before = sha(kept)
    tx = from_columns(read_columns(TX), "t")
    bad = write(tmp_path / "labels.csv", labels.format(first=tx.src[0], second=tx.dst[0]))
    r = cli_nodb("supervise", "aml", "calibrate", "--transactions", str(TX), "--labels", str(bad), "--out", str(kept))
    assert r.exit_code == 2
    assert message in r.stderr and "--labels" in r.stderr
    assert sha(kept) == before


def test_a_profile_of_another_format_or_with_another_model_is_refused(profile, cli_nodb, tmp_path):
    out, _ = profile
    doc = json.loads(out.read_text())
    other = write(tmp_path / "other.json", json.dumps({**doc, "format": "biplomacy-aml-profile/2"}))
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(TX), "--profile", str(other))
    assert r.exit_code == 2 and "profile format 'biplomacy-aml-profile/2'" in r.stderr
    shutil.copy(out, tmp_path / "p.json")
    model = tmp_path / doc["model"]["file"]
    model.write_text(out.with_name(doc["model"]["file"]).read_text().replace("learning_rate: 0.05", "x", 1) + "\n")
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(TX), "--profile", str(tmp_path / "p.json"))
    assert r.exit_code == 2 and "does not match the profile" in r.stderr
    model.unlink()
    with pytest.raises(InputError, match="model file .* is missing"):
        load(tmp_path / "p.json")


def test_labels_read_as_amlsim_writes_them(tmp_path):
    tx = from_columns(read_columns(TX), "t")
    a, b = str(tx.src[0]), str(tx.dst[0])
    nodes = read_labels(write(tmp_path / "n.csv", f"ACCOUNT_ID,isFraud,init_balance\n{a},1,10\n{b},0,5\n"), tx)
    assert nodes.positive == {a} and nodes.negative == {b}
    accts = read_labels(write(tmp_path / "a.csv", f"acct_id,dsply_nm,IS_SAR\n{a},A,true\n{b},B,false\n"), tx)
    assert accts.positive == {a}
    alerts = read_labels(write(tmp_path / "al.csv", "alert_id,alert_type,is_sar,tran_id,orig_acct,bene_acct\n"
                               f"1,fan_in,True,9,{a},{b}\n"), tx)
    assert alerts.positive == {a, b} and alerts.typology[a] == "fan_in" and alerts.negative is None


def test_adopting_a_profile_is_audited_and_the_stream_scores_with_it(profile, cli, db_url, store):
    out, done = profile
    r = cli("supervise", "aml", "profile", "adopt", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["version"] == done.version and r.json["learned"]
    assert cli("supervise", "aml", "profile", "show", "--json").json["version"] == done.version
    e = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(e) as s:
        entry = s.scalars(select(AuditRow).where(AuditRow.action == "aml.profile.adopt")).one()
    e.dispose()
    assert json.loads(entry.payload)["profile"] == done.version
    used = profile_in_force(store, None)
    assert used is not None and used.profile.version == done.version
    scorer = StreamScorer(profile=used)
    tx = from_columns(read_columns(TX), "t")
    raised = [a for t in rows_of(tx)[:3000] for a in scorer.score(t).alerts]
    assert raised and all(a.profile == done.version for a in raised)
    assert any(a.rule == "learned" for a in raised)
    kept = cli("supervise", "aml", "scan", "--transactions", str(TX), "--store", "--json")  # no --profile
    assert kept.exit_code == 0, kept.stderr
    assert kept.json["summary"]["profile"] == done.version and kept.json["summary"]["learned"]


def test_several_transactions_files_are_scanned_together(cli_nodb, tmp_path):
    head = TX.read_text().splitlines()
    a = write(tmp_path / "a.csv", "\n".join(head[:2001]) + "\n")
    b = write(tmp_path / "b.csv", "tx_id,timestamp,from_account,to_account,amount,asset\n"
                                  "x1,1970-01-05T00:00:00Z,p,q,5,USD\n")
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(a), "--transactions", str(b), "--json")
    assert r.exit_code == 0 and r.json["summary"]["transactions"] == 2001
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(a), "--transactions", str(a))
    assert r.exit_code == 2 and "more than once" in r.stderr


def test_explanations_add_up_to_the_score(profile):
    """Each learned alert's top features come from TreeSHAP contributions: they and the base value add up to the
    account's raw score, so what a supervisor reads is the whole of why the model raised it."""
    from biplomacy.aml.model import features
    from biplomacy.aml.model.rules import scan

    out, _ = profile
    used = load(out)
    tx = from_columns(read_columns(TX), "t")
    _, x = features.batch(tx, used.profile.amount_grid, scan(tx, used.profile.thresholds))
    booster = used.scorer.booster
    full = booster.predict(x, pred_contrib=True)
    assert full.sum(axis=1) == pytest.approx(booster.predict(x, raw_score=True), abs=1e-6)
    top = used.scorer.explain_many(x[:50])
    for row, named in zip(full[:50, :-1], top, strict=True):
        assert named[0]["contribution"] == pytest.approx(row[np.argmax(np.abs(row))], abs=1e-4)


def test_a_quarantine_keeps_the_adopted_profiles_state(profile, cli, store, tmp_path):
    """The quarantine reopens the stream's state with the adopted profile: the learned scorer's account features
    survive it, and the quarantined transfer is gone from the state."""
    out, done = profile
    assert cli("supervise", "aml", "profile", "adopt", str(out)).exit_code == 0
    folder = tmp_path / "aml-stream"
    rows = rows_of(from_columns(read_columns(TX), "t"))[:400]
    scorer = StreamScorer(folder, profile=profile_in_force(store, None))
    for t in rows:
        scorer.score(t)
    scorer.close()
    r = cli("supervise", "aml", "stream-quarantine", rows[-1].tx_id, "--reason", "dated wrong", "--state",
            str(folder), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["found"] is True
    again = StreamScorer(folder, profile=profile_in_force(store, None))
    try:
        assert again.traits is not None and len(again.traits.of) > 100  # kept through the quarantine's snapshot
        assert again.profile_version == done.version
    finally:
        again.close()
