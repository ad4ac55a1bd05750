"""Use case: the AML batch scan on a Dask cluster (`supervise aml scan --workers N / --scheduler ADDRESS`), for
national-size sets given as several CSV files or a folder of Parquet partitions. The alerts, their order and the
summary are those of the in-process scan of the same files (aml/scan.py); model/partition.py says why.

Four stages (five with a learned scorer), each a list of chunks for house.cluster.run_chunks (retried on another
worker if one dies):
1. split: each input file is read and checked (a bad row names the file and row), then its transfers are written
   to the buckets of their sender and of their receiver, and their ids to the bucket of the id (so that an id in
   two files is found, as the in-process scan finds it);
2. buckets: each bucket runs the rules that need only its own accounts' transfers, gather_scatter over the
   forward pairs through its accounts, hands the pairs of scatter_gather and stack to their senders' buckets and
   bipartite's sender pairs to their first receiver's, and writes out the transfers the other path rules and
   sanctioned_exposure can use (a small share);
3. walks: each bucket walks scatter_gather's and stack's pairs of the senders it owns, and counts bipartite's
   receiver pairs whose first receiver it owns (the client keeps the candidates the one-task scan would);
4. the other path rules, sanctioned_exposure (and unordered_cycle when on) over what stage 2 wrote;
5. with a profile's learned scorer: every bucket scores its own accounts (scan_learned.py says how its features
   are those of the whole table); the client adds the raised accounts' alerts, explained, after the rules'.
The intermediate files go to a scratch folder that every worker can reach (the local disk for --workers; beside
the inputs for --scheduler, which must be on storage the workers share) and are removed at the end, finished or
not. Nothing is returned, written or stored unless every chunk finished.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from biplomacy.aml.model import partition
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.rules import RULES, bipartite, enabled
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.results import ScanResult, ScanSummary
from biplomacy.aml.scan_chunks import MODEL_FILE, Job, LearnedJob
from biplomacy.aml.scan_inputs import expand
from biplomacy.core.errors import InputError
from biplomacy.house.cluster import Engine, Progress, connect, run_chunks

if TYPE_CHECKING:
    from distributed import Client

    from biplomacy.aml.profiles import Loaded

BUCKET_ROWS = 2_000_000  # transfers a bucket aims at (each transfer is in two buckets): bounds a worker's memory
FORWARD_GROUPS = (("cycles", "peel_chain", "pass_through", "random"),)


def scan_on_cluster(paths: Sequence[Path], used: Loaded | None, engine: Engine, sanctions: tuple[str, frozenset[str]],
                    th: Thresholds, scratch: Path | None = None, progress: Progress | None = None) -> ScanResult:
    files = expand(paths)
    sizes = [f.stat().st_size for f in files]
    buckets = max(2 * (engine.workers or 2), min(4096, sum(sizes) // (BUCKET_ROWS * 25) + 1))
    base = scratch or (Path(tempfile.gettempdir()) if engine.scheduler is None else files[0].parent)
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".biplomacy-aml-scan-", dir=base))
    version = used.profile.version if used is not None else th.version
    scorer = used.scorer if used is not None else None
    learned = None
    if scorer is not None and used is not None:
        (work / MODEL_FILE).write_text(scorer.text, encoding="utf-8")
        learned = LearnedJob(hashlib.sha256(scorer.text.encode()).hexdigest(), scorer.threshold, version,
                             tuple(used.profile.amount_grid))
    job = Job(str(work), buckets, len(files) > 1, th, sanctions[1], learned)
    try:
        with connect(engine) as client:
            alerts, n, vasps = _run(client, job, files, progress)
            raised = _learned(client, job, alerts, progress) if learned is not None else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    alerts = [replace(a, profile=version) for a in alerts] + raised
    by_rule: dict[str, int] = {}
    for a in alerts:
        by_rule[a.rule] = by_rule.get(a.rule, 0) + 1
    return ScanResult(tuple(alerts), ScanSummary(
        transactions=n, alerts=len(alerts), by_rule=by_rule, rules=tuple(r.name for r in enabled(th)),
        thresholds_version=th.version, profile=used.profile.version if used is not None else None,
        learned=scorer is not None, sanctions_list=sanctions[0], sanctioned_addresses=len(sanctions[1]),
        vasps=tuple(sorted(vasps - {""}))))


def _raise_first(results: Sequence[object]) -> None:
    """A chunk hands back a bad input as (message, field) rather than raising it (an exception's extra fields do
    not survive Dask's pickling); the first, in chunk order, is raised here."""
    for r in results:
        if isinstance(r, tuple) and len(r) == 3 and r[0] == "input-error":
            raise InputError(str(r[1]), field=str(r[2]))


def _run(client: Client | None, job: Job, files: list[Path], progress: Progress | None
         ) -> tuple[list[Alert], int, set[str]]:
    from biplomacy.aml import scan_chunks as chunks

    split = run_chunks(client, chunks.split, [(job, i, str(f)) for i, f in enumerate(files)], job="aml scan: split",
                       progress=progress)
    _raise_first(split)
    n = sum(int(s[0]) for s in split)  # type: ignore[index]
    vasps: set[str] = set().union(*[s[1] for s in split])  # type: ignore[index]
    names = [str(f) for f in files]
    per_bucket = run_chunks(client, chunks.bucket, [(job, b, names) for b in range(job.buckets)],
                            job="aml scan: buckets", progress=progress)
    _raise_first(per_bucket)
    on = {r.name for r in enabled(job.th)}
    keyed_parts = cast(list[dict[str, list[tuple[tuple[Any, ...], Alert]]]], per_bucket)
    walks = [(job, name, a) for name in partition.WALKED if name in on for a in range(job.buckets)]
    if walks:  # each bucket walks the pairs the buckets handed it
        walked = run_chunks(client, chunks.sender_walk, walks, job="aml scan: walks", progress=progress)
        by_rule: dict[str, list[tuple[tuple[Any, ...], Alert]]] = {}
        for (_, name, _), part in zip(walks, cast(list[list[tuple[tuple[Any, ...], Alert]]], walked), strict=True):
            by_rule.setdefault(name, []).extend(part)
        keyed_parts = [*keyed_parts, by_rule]
    tasks: list[tuple[Job, str, tuple[str, ...]]] = []
    for group in FORWARD_GROUPS:
        if on & set(group):
            tasks.append((job, "forward", tuple(r for r in group if r in on)))
    if "sanctioned_exposure" in on and job.sanctioned:
        _sanction_rounds(client, job)
        tasks.append((job, "sanctions", ("sanctioned_exposure",)))
    if "unordered_cycle" in on:
        tasks.append((job, "whole", ("unordered_cycle",)))
    found: dict[str, list[Alert]] = {}
    for got in run_chunks(client, chunks.subset_rules, tasks, job="aml scan: path rules", progress=progress):
        found.update(got)
    for name in (*partition.BY_BUCKET, *partition.PAIR_RULES, "bipartite"):
        if name not in on:
            continue
        keyed = sorted((ka for part in keyed_parts for ka in part.get(name, [])), key=lambda ka: ka[0])
        # bipartite's are candidates: kept in order unless both receivers were raised before
        found[name] = bipartite.sweep(keyed) if name == "bipartite" else [a for _, a in keyed]
    out: list[Alert] = []
    for rule in RULES:
        if rule.name in on:
            out.extend(found.get(rule.name, []))
    return out, n, vasps


def _learned(client: Client | None, job: Job, alerts: list[Alert], progress: Progress | None) -> list[Alert]:
    """The learned scorer's alerts, after the rules': every bucket scores its own accounts (scan_learned.py); the
    raised accounts come back in name order, as the in-process scan lists them (profiles.learned_alerts)."""
    from biplomacy.aml.model.features import LEARNED
    from biplomacy.aml.profiles import raised_alerts
    from biplomacy.aml.scan_learned import learned, write_rule_counts

    assert job.learned is not None
    counts: dict[str, int] = {}
    for a in alerts:
        if a.rule != LEARNED:
            for acct in set(a.accounts):
                counts[acct] = counts.get(acct, 0) + 1
    write_rule_counts(job, counts)
    got = run_chunks(client, learned, [(job, b) for b in range(job.buckets)], job="aml scan: learned scorer",
                     progress=progress)
    hits = sorted((h for part in got for h in cast(list[tuple[str, float, list[dict[str, Any]]]], part)),
                  key=lambda h: h[0])
    return raised_alerts(hits, alerts, job.learned.threshold, job.learned.version)


def _sanction_rounds(client: Client | None, job: Job) -> None:
    """The accounts within exposure_hops - 1 hops of a listed address, a round over the buckets per hop; then
    every bucket writes the transfers touching them (what within_hops reads)."""
    from biplomacy.aml import scan_chunks as chunks

    reached = set(job.sanctioned)
    frontier = set(job.sanctioned)
    for _ in range(job.th.exposure_hops - 1):
        if not frontier:
            break
        got = run_chunks(client, chunks.touching, [(job, b, frozenset(frontier), False) for b in range(job.buckets)],
                         job="aml scan: sanctions exposure")
        frontier = set().union(*got) - reached  # type: ignore[arg-type]
        reached |= frontier
    run_chunks(client, chunks.touching, [(job, b, frozenset(reached), True) for b in range(job.buckets)],
               job="aml scan: sanctions exposure")
