"""What `aml scan --transactions` names: files (CSV or Parquet), or folders of Parquet partitions (docs/aml.md,
"A folder of Parquet partitions"), each folder read as its part files in name order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from biplomacy.core.errors import InputError

PART_SUFFIX = ".parquet"


def expand(paths: Sequence[Path]) -> list[Path]:
    """The files to scan, in order: a file as it is, a folder as its *.parquet parts in name order (hidden and
    underscore-prefixed files, as Spark and Dask write beside the parts, are left out)."""
    if not paths:
        raise InputError("at least one transactions file is needed", field="transactions")
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            parts = sorted(f for f in p.iterdir()
                           if f.suffix.lower() == PART_SUFFIX and f.is_file() and not f.name.startswith((".", "_")))
            if not parts:
                raise InputError(f"{p}: a folder with no .parquet partitions", field="transactions")
            files.extend(parts)
        elif not p.is_file():
            raise InputError(f"{p}: no such file", field="transactions")
        else:
            files.append(p)
    twice = sorted({str(f) for f in files if sum(g.resolve() == f.resolve() for g in files) > 1})
    if twice:
        raise InputError(f"{twice[0]} is given more than once", field="transactions")
    return files
