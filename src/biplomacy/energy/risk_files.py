"""The Monte Carlo's fan chart as a file, PNG or SVG by the file's suffix, rendered offline with vl-convert."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from biplomacy.core.errors import InputError
from biplomacy.energy.results import RiskReport
from biplomacy.energy.risk import fan_chart_for


def check_chart_path(path: Path) -> str:
    """Refuse a chart file we cannot write before any work is done; returns its suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InputError(f"{path} must end in .png or .svg", field="chart")
    if not path.parent.is_dir():
        raise InputError(f"folder {path.parent} does not exist", field="chart")
    return suffix


def write_fan_chart(report: RiskReport, path: Path) -> RiskReport:
    """Write the report's fan chart to `path`; returns the report naming the file it was written to."""
    import vl_convert as vlc

    suffix = check_chart_path(path)
    text = json.dumps(fan_chart_for(report))
    if suffix == ".png":
        path.write_bytes(vlc.vegalite_to_png(text, scale=2))
    else:
        path.write_text(vlc.vegalite_to_svg(text), encoding="utf-8")
    return replace(report, chart=path)
