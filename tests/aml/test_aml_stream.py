"""Streaming AML: the incremental rules raise what a batch scan raises, and the state survives a restart."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.generator import generate
from biplomacy.aml.model.rules import scan, streaming
from biplomacy.aml.model.stream_state import StreamState, Tx
from biplomacy.aml.model.transactions import Transactions, from_columns
from biplomacy.aml.scan import shipped_sanctions, thresholds
from biplomacy.aml.stream import StreamScorer
from biplomacy.aml.stream_log import read_alert_lines
from biplomacy.core.errors import ConfigError, InputError

T0 = datetime(2025, 9, 1, tzinfo=UTC)


def rows_of(tx: Transactions) -> list[Tx]:
    return [Tx(str(tx.tx_id[i]), float(tx.ts[i]), str(tx.src[i]), str(tx.dst[i]), float(tx.amount[i]),
               str(tx.asset[i]), str(tx.vasp[i])) for i in range(len(tx))]


def with_sanctioned_exposure(columns: dict[str, list[str]], sanctioned: str) -> dict[str, list[str]]:
    """Two transfers with a sanctioned address inserted in time order: one to an account that already has
    counterparties (they become 2 hops away through it), one from a fresh account late in the set."""
    cols = {k: list(v) for k, v in columns.items()}
    for at, src, dst, tx_id in ((len(cols["tx_id"]) // 2, sanctioned, cols["from_account"][100], "sx1"),
                                (len(cols["tx_id"]) - 10, "fresh-buyer", sanctioned, "sx2")):
        for k, v in zip(cols, (tx_id, cols["timestamp"][at], src, dst, "5000.00", "USDT", "VASP-A"), strict=True):
            cols[k].insert(at, v)
    return cols


def key(a: Alert) -> tuple[object, ...]:
    """What must agree between the two scans (docs/aml.md names the deliberate differences)."""
    if a.rule == "pass_through":
        return a.rule, a.accounts[1]  # the mule account
    if a.rule == "peel_chain":
        return a.rule, a.transactions[0]  # the chain's head
    if a.rule == "sanctioned_exposure":
        return a.rule, a.accounts[0]
    return a.rule, tuple(a.accounts), tuple(a.transactions)


def test_streaming_raises_what_the_batch_scan_raises_on_planted_typologies() -> None:
    sdn = shipped_sanctions().addresses
    sanctioned = sorted(sdn)[0]
    tx = from_columns(with_sanctioned_exposure(generate(20_000, 3, 5).columns, sanctioned), "generated")
    th = thresholds()
    batch = scan(tx, th, sdn)
    state = StreamState(th, sdn)
    streamed = [a for t in rows_of(tx) for a in state.apply(t, streaming(th))]

    rules = Counter(a.rule for a in batch)
    assert all(rules[r] >= 8 for r in ("structuring", "fan_in", "fan_out", "pass_through", "cycle",
                                       "cross_vasp_cycle", "peel_chain", "dormant_wake")), rules
    assert rules["sanctioned_exposure"] >= 3  # the direct one, the fresh buyer, and 2-hop counterparties
    assert Counter(map(key, streamed)) == Counter(map(key, batch))
    # a streamed peel chain is the batch chain up to peel_min_hops hops
    whole = {a.transactions[0]: a.transactions for a in batch if a.rule == "peel_chain"}
    for a in (a for a in streamed if a.rule == "peel_chain"):
        assert len(a.transactions) == th.peel_min_hops
        assert whole[a.transactions[0]][:th.peel_min_hops] == a.transactions
    # exposure distances: the batch's (final) distance is the shortest one streamed for that account
    final = {a.accounts[0]: a.evidence["hops"] for a in batch if a.rule == "sanctioned_exposure"}
    shortest: dict[str, object] = {}
    for a in (a for a in streamed if a.rule == "sanctioned_exposure"):
        shortest[a.accounts[0]] = min(a.evidence["hops"], shortest.get(a.accounts[0], 9))  # type: ignore[call-overload]
    assert shortest == final


def t(i: int, src: str, dst: str, amount: float, hours: float, vasp: str = "ExA") -> Tx:
    return Tx(f"p{i}", (T0 + timedelta(hours=hours)).timestamp(), src, dst, amount, "USD", vasp)


# every pattern starts before the restart and completes after it; each part in time order
BEFORE = sorted([
    *[t(i, "hub", f"r{i}", 100, i * 0.5) for i in range(5)],  # fan_out: 5 of 8 counterparties
    t(10, "s", "x1", 950, 1), t(11, "s", "x2", 960, 2),  # structuring: 2 of 3
    t(20, "k1", "k2", 9000, 1, "ExA"), t(21, "k2", "k3", 8900, 5, "ExB"),  # cross-VASP cycle: 2 of 3 legs
    t(30, "p0", "p1", 50_000, 1), t(31, "p1", "p2", 45_000, 3), t(32, "p2", "p3", 40_000, 5),  # peel: 3 of 4 hops
    t(40, "w1", "mule", 15_000, 6),  # pass-through: the transfer in
    t(50, "sleeper", "w2", 20, -24 * 100),  # dormant: last activity 100 days earlier
], key=lambda x: x.ts)
AFTER = sorted([
    *[t(i, "hub", f"r{i}", 100, i * 0.5) for i in range(5, 8)],
    t(12, "s", "x3", 970, 3),
    t(22, "k3", "k1", 8800, 9, "ExC"),
    t(33, "p3", "p4", 36_000, 7),
    t(41, "mule", "w3", 14_500, 8),
    t(51, "sleeper", "w4", 30_000, 10),
], key=lambda x: x.ts)
COMPLETED = {"fan_out", "structuring", "cross_vasp_cycle", "peel_chain", "pass_through", "dormant_wake"}


def crash_after_scoring(state: Path, txs: list[Tx], snapshot_every: int) -> None:
    """Score `txs` in another process that then dies without closing anything (as a kill would leave it)."""
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from biplomacy.aml.stream import StreamScorer
        from biplomacy.aml.model.stream_state import Tx
        s = StreamScorer(Path({str(state)!r}), snapshot_every={snapshot_every})
        for row in {[list(vars_of(x)) for x in txs]!r}:
            s.score(Tx(*row))
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True)


def vars_of(x: Tx) -> tuple[object, ...]:
    return (x.tx_id, x.ts, x.src, x.dst, x.amount, x.asset, x.vasp)


@pytest.mark.parametrize("snapshot_every", [1_000, 4])  # replay the whole log; or a snapshot plus its log's tail
def test_a_pattern_completed_after_a_crash_and_restart_still_fires(tmp_path: Path, snapshot_every: int) -> None:
    state = tmp_path / "state"
    crash_after_scoring(state, BEFORE, snapshot_every)
    scorer = StreamScorer(state, snapshot_every=snapshot_every)
    assert scorer.size().scored == len(BEFORE)
    fired = {a.rule for x in AFTER for a in scorer.score(x).alerts}
    assert COMPLETED <= fired, fired
    with pytest.raises(InputError, match="already scored"):  # ids scored before the crash are remembered
        scorer.score(BEFORE[0])
    scorer.close()
    stored = {a.alert.rule for a in read_alert_lines(state)}
    assert COMPLETED <= stored


def test_a_graceful_restart_replays_nothing_and_keeps_every_alert(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = StreamScorer(state)
    answers = [first.score(x) for x in BEFORE + AFTER[:3]]
    assert all(a.stored for a in answers)
    raised = sum(len(a.alerts) for a in answers)
    assert raised >= 1  # fan_out at the eighth counterparty
    with pytest.raises(ConfigError, match="held by another process"):
        StreamScorer(state)
    first.close()
    again = StreamScorer(state)
    assert again.size().replayed_on_start == 0 and again.size().scored == len(BEFORE) + 3
    assert len(read_alert_lines(state)) == raised
    again.close()


def test_a_transfer_far_older_than_the_stream_is_refused_naming_the_timestamp() -> None:
    scorer = StreamScorer()
    scorer.score(t(1, "a", "b", 10, 100))
    with pytest.raises(InputError, match="before the stream's latest") as err:
        scorer.score(t(2, "a", "b", 10, 90))
    assert err.value.field == "timestamp"
    answer = scorer.score(t(3, "a", "b", 10, 99))  # a little late is still scored
    assert answer.window.scored == 2 and answer.stored is False and "memory" in (answer.not_stored_because or "")


def test_streamed_alerts_become_cases_once_each(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scorer = StreamScorer(tmp_path / "var" / "aml-stream")
    early = [a.rule for x in BEFORE for a in scorer.score(x).alerts]
    first = cli("supervise", "aml", "stream-import", "--json")
    assert first.exit_code == 0, first.stderr
    assert sorted(a["rule"] for a in first.json["alerts"]) == sorted(early) and first.json["already_imported"] == 0
    late = [a.rule for x in AFTER for a in scorer.score(x).alerts]
    second = cli("supervise", "aml", "stream-import", "--json")  # while the scorer still runs
    assert sorted(a["rule"] for a in second.json["alerts"]) == sorted(late) and COMPLETED <= set(late)
    again = cli("supervise", "aml", "stream-import", "--json")
    assert again.json["imported"] == 0 and again.json["already_imported"] == len(early) + len(late)
    assert again.json["scan_id"] is None
    cases = cli("supervise", "aml", "cases", "--json").json
    assert sorted(c["rule"] for c in cases) == sorted(early + late) and {c["state"] for c in cases} == {"open"}
    scorer.close()
    missing = cli("supervise", "aml", "stream-import", "--state", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "nowhere" in missing.stderr


def test_a_tampered_snapshot_is_refused_and_a_torn_last_log_line_is_skipped(tmp_path: Path) -> None:
    import pickle

    state = tmp_path / "state"
    crash_after_scoring(state, BEFORE[:4], 3)  # a snapshot after 3, the 4th in the log
    log = next(state.glob("transfers-*.log"))
    with log.open("a") as f:
        f.write('["torn", 17')  # a write cut short: that transfer was never answered
    again = StreamScorer(state)
    assert again.size().scored == 4 and again.size().replayed_on_start == 1
    again.close()

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (print, ("pwned",))

    (state / "snapshot.pkl").write_bytes(pickle.dumps({"format": 1, "gen": 9, "state": Evil()}))
    with pytest.raises(ConfigError, match="not a readable AML streaming snapshot"):
        StreamScorer(state)
    (state / "snapshot.pkl").unlink()  # the refusal let go of the directory: moving the file away starts empty
    fresh = StreamScorer(state)
    assert fresh.size().scored == 0 and len(list(state.glob("transfers-*.log.orphaned"))) == 1
    fresh.close()


def test_a_snapshot_written_before_each_rule_had_its_own_file_still_loads(tmp_path: Path) -> None:
    import pickle

    state = tmp_path / "state"
    first = StreamScorer(state)
    for x in BEFORE:
        first.score(x)
    first.close()
    snap = state / "snapshot.pkl"
    doc = pickle.loads(snap.read_bytes())  # noqa: S301 (our own file)
    old = pickle.dumps(doc, protocol=2, fix_imports=False)  # classes named as text, to rename them as they were
    old = old.replace(b"biplomacy.aml.model.stream_state\n", b"biplomacy.aml.model.stream\n")
    old = old.replace(b"biplomacy.aml.model.thresholds\n", b"biplomacy.aml.model.rules\n")
    assert b"biplomacy.aml.model.stream\n" in old and b"biplomacy.aml.model.rules\n" in old
    snap.write_bytes(old)
    again = StreamScorer(state)
    assert again.size().scored == len(BEFORE)
    assert COMPLETED <= {a.rule for x in AFTER for a in again.score(x).alerts}
    again.close()


def test_a_streaming_answer_is_the_records_own_document() -> None:
    """Scored.to_json is built field by field for speed: the same document record_json gives, with and without
    alerts and with the reason an answer was not stored."""
    from biplomacy.aml.model.alerts import Alert
    from biplomacy.aml.results import Scored, StreamWindow
    from biplomacy.core.records import record_json

    alert = Alert("fan_in", ["a", "b"], ["t1"], 0.71234567, {"k": 3}, "p-1")
    for scored in (Scored("t1", (), 0.0, True, StreamWindow(5, 3)),
                   Scored("t2", (alert, alert), 0.71234567, False, StreamWindow(9, 4), "no state directory")):
        assert scored.to_json() == record_json(scored)
        assert list(scored.to_json()) == list(record_json(scored))


def test_a_transfer_logs_the_line_json_would_write() -> None:
    """The transfer log's line is written out by hand for speed: the text json.dumps gives, for odd names too."""
    import json

    from biplomacy.aml.model.stream_state import Tx
    from biplomacy.aml.stream_log import log_line

    for tx in (Tx("t-1", 1735689600.0, "acct-1", "acct-2", 1234.56, "USDT", "VASP-A"),
               Tx('q"\\uote', 1e-7, "Ü-ß-名前", "tab\there\n", 0.1 + 0.2, "", ""),
               Tx("big", 4102444800.123456, "a", "a", 1e22, "BTC", "x"),
               Tx("int-ts", 17, "a", "b", 5, "BTC", "x"),  # not floats: json.dumps itself
               Tx("nan", 1.0, "a", "b", float("nan"), "BTC", "x")):
        want = json.dumps([tx.tx_id, tx.ts, tx.src, tx.dst, tx.amount, tx.asset, tx.vasp], separators=(",", ":"))
        assert log_line(tx) == want
