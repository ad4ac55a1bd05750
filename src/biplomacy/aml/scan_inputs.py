"""What `aml scan --transactions` names: files (CSV or Parquet), or folders of Parquet partitions (docs/aml.md,
"National size"), each folder read as its part files in name order; and how one file's columns are read."""

from __future__ import annotations

import csv
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


def read_columns(path: Path, field: str = "transactions") -> dict[str, list[str]]:
    """A CSV or Parquet file's columns, every value as text; a file that cannot be read is named (as `field`)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", field=field)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"{path}: not a readable Parquet file ({exc})", field=field) from None
        return {c: [("" if v is None else str(v)) for v in table.column(c).to_pylist()] for c in table.column_names}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            header = [h if h not in header[:k] else f"{h}.{header[:k].count(h)}" for k, h in enumerate(header)]
            cols: dict[str, list[str]] = {h: [] for h in header}
            for n, row in enumerate(reader, 2):
                if len(row) != len(header):
                    raise InputError(
                        f"{path}: row {n} has {len(row)} fields, the header {len(header)}", field=field
                    )
                for h, v in zip(header, row, strict=True):
                    cols[h].append(v)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 CSV file", field=field) from None
    return cols
