"""What-ifs as pure steps: another program's receipts day by day, and a scenario rewritten to another program's
model (its MW, its zones, no AI load). The use case runs them through this program's rules and models."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from biplomacy.core.errors import InputError
from biplomacy.core.units import SATS_PER_BTC


@dataclass(frozen=True, slots=True)
class Receipt:
    day: date
    sats: int
    source: str


def to_sats(btc: str | Decimal) -> int:
    value = Decimal(btc) * SATS_PER_BTC
    if value != value.to_integral_value() or value < 0:
        raise InputError(f"{btc} BTC is not a whole number of sats", field="btc")
    return int(value)


def accumulation(start: date, end: date, daily_btc: str, lumps: Sequence[tuple[date, str]] = (),
                 source: str = "purchase") -> list[Receipt]:
    """A receipt of `daily_btc` every day from `start` to `end` (inclusive), plus each lump on its day."""
    if end < start:
        raise InputError(f"the end {end} is before the start {start}", field="end")
    if (end - start).days > 20 * 366:
        raise InputError("a what-if runs at most 20 years of days", field="end")
    daily = to_sats(daily_btc)
    out = [Receipt(start + timedelta(days=n), daily, source) for n in range((end - start).days + 1)] if daily else []
    out += [Receipt(d, to_sats(btc), source) for d, btc in lumps if start <= d <= end]
    return sorted(out, key=lambda r: r.day)


def _zone_blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each [[zone]] block of a scenario.toml."""
    starts = [m.start() for m in re.finditer(r"^\[\[zone\]\]\s*$", text, re.M)]
    blocks = []
    for i, s in enumerate(starts):
        nxt = re.search(r"^(\[\[|\[)(?!zone\]\])", text[s + 8:], re.M)
        end = s + 8 + nxt.start() if nxt else len(text)
        if i + 1 < len(starts):
            end = min(end, starts[i + 1])
        name = re.search(r'^name\s*=\s*"([^"]+)"', text[s:end], re.M)
        blocks.append((s, end, name.group(1) if name else ""))
    return blocks


def transplant_scenario(text: str, *, name: str, cap_mw: float, zones: Iterable[str], ai_firm_mw: float = 0.0) -> str:
    """`text` (a scenario.toml) with another program's model: its mining MW as the cap, only `zones`, the AI
    load set to `ai_firm_mw`, renamed `name`. Every other figure (grid, tariffs, fleet, network) stays."""
    keep = set(zones)
    blocks = _zone_blocks(text)
    missing = keep - {b[2] for b in blocks}
    if missing:
        raise InputError(f"the scenario has no zone {', '.join(sorted(missing))}", field="zones")
    for start, end, zone in reversed(blocks):
        if zone not in keep:
            text = text[:start] + text[end:]
    replacements = ((r'^name\s*=\s*"[^"]*"', f'name = "{name}"'), (r"^cap_mw\s*=\s*[\d.]+", f"cap_mw = {cap_mw:.1f}"),
                    (r"^firm_mw\s*=\s*[\d.]+", f"firm_mw = {ai_firm_mw:.1f}"))
    for pattern, new in replacements:
        text, n = re.subn(pattern, new, text, count=1, flags=re.M)
        if n != 1:
            raise InputError(f"the scenario has no line matching {pattern!r}", field="scenario")
    return text


def winter_share(monthly_mwh: Mapping[str, Sequence[float]], months: Iterable[int] = (11, 12, 1, 2)) -> float:
    """The share of the mining MWh that falls in `months` (1-12) across zones."""
    total = sum(sum(v) for v in monthly_mwh.values())
    winter = sum(v[m - 1] for v in monthly_mwh.values() for m in months)
    return winter / total if total > 0 else 0.0
