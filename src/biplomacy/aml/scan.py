"""Use case: scan a transactions file (CSV or Parquet; ours or AMLSim's layout) with every AML rule."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from biplomacy.aml.model.rules import RULES as RULES  # the registry, for peers' bundles
from biplomacy.aml.model.rules import enabled
from biplomacy.aml.model.sanctions import SanctionsList, parse_address_lines
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions, concat, from_columns
from biplomacy.aml.results import ScanResult, ScanSummary
from biplomacy.aml.scan_inputs import read_columns as read_columns  # where it always was, for its callers

if TYPE_CHECKING:
    from biplomacy.aml.profiles import Loaded
    from biplomacy.house.cluster import Engine

SHIPPED_SDN = "ofac-sdn-xbt-2024-09-27.txt"
SHIPPED_THRESHOLDS = "thresholds-v3.toml"  # used where no profile is in force


def shipped_thresholds_text() -> str:
    return (resources.files("biplomacy") / "data" / "aml" / SHIPPED_THRESHOLDS).read_text(encoding="utf-8")


def thresholds(text: str | None = None) -> Thresholds:
    """The shipped thresholds, or those of a thresholds TOML `text` laid over them (a peer's adopted set: a key it
    does not give keeps the shipped value, one this Biplomacy does not know is left out)."""
    doc = tomllib.loads(shipped_thresholds_text())
    if text is not None:
        doc |= tomllib.loads(text)
    known = {f.name for f in fields(Thresholds)}
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in doc.items() if k in known}
    return Thresholds(**values)


def shipped_sanctions() -> SanctionsList:
    text = (resources.files("biplomacy") / "data" / "sanctions" / SHIPPED_SDN).read_text(encoding="utf-8")
    return parse_address_lines(text, SHIPPED_SDN)


def load_transactions(paths: Sequence[Path]) -> Transactions:
    """One table of every file's transfers (a supervisor joins several VASPs' files; a folder gives its Parquet
    partitions), in time order."""
    from biplomacy.aml.scan_inputs import expand

    return concat([(from_columns(read_columns(p), str(p)), str(p)) for p in expand(paths)])


def scan_file(path: Path | Sequence[Path], profile: Path | None = None, engine: Engine | None = None) -> ScanResult:
    """Scan one file or several together, with the shipped thresholds or a rule profile (and its learned scorer),
    in-process or on the Dask cluster `engine` names (the same alerts)."""
    from biplomacy.aml.profiles import load

    return scan_paths([path] if isinstance(path, Path) else list(path), load(profile) if profile is not None else None,
                      engine)


def scan_paths(paths: Sequence[Path], used: Loaded | None, engine: Engine | None = None) -> ScanResult:
    """Every file of `paths` as one table, scanned with a loaded profile (None: the shipped thresholds)."""
    from biplomacy.aml.profiles import scan_with

    th = used.profile.thresholds if used is not None else thresholds()
    sdn = shipped_sanctions()
    if engine is not None and not engine.in_process:
        from biplomacy.aml.scan_cluster import scan_on_cluster

        return scan_on_cluster(paths, used, engine, (sdn.name, sdn.addresses), th)
    tx = load_transactions(paths)
    alerts = scan_with(tx, th, sdn.addresses, used)
    by_rule: dict[str, int] = {}
    for a in alerts:
        by_rule[a.rule] = by_rule.get(a.rule, 0) + 1
    return ScanResult(tuple(alerts), ScanSummary(
        transactions=len(tx), alerts=len(alerts), by_rule=by_rule, rules=tuple(r.name for r in enabled(th)),
        thresholds_version=th.version, profile=used.profile.version if used is not None else None,
        learned=used is not None and used.scorer is not None, sanctions_list=sdn.name, sanctioned_addresses=len(sdn.addresses),
        vasps=tuple(sorted(set(tx.vasp.tolist()) - {""}))))
