"""Before solving, check the constraints that obviously cannot all hold and say which zone and hours, in words.

The LP's only hard requirement is the AI firm load (mining may always be zero), so a plan is infeasible
when that load does not fit the cap, the connection limits of the zones that allow AI, or the grid's
headroom (available generation minus demand) in some hour.
"""

from __future__ import annotations

import numpy as np

from biplomacy.core.errors import InfeasibleError, Issue
from biplomacy.energy.model.scenario import Scenario


def _mw(x: float) -> str:
    return f"{x:,.0f} MW" if abs(x) >= 10 else f"{x:,.1f} MW"


def infeasibility_reasons(s: Scenario) -> list[Issue]:
    """Every obvious reason the plan cannot be met; empty when none is found."""
    issues: list[Issue] = []
    firm = s.ai.firm_mw
    if firm <= 0:
        return issues
    if firm > s.cap_mw:
        issues.append(Issue("ai_over_cap", "cap_mw",
                            f"AI firm load {_mw(firm)} exceeds the cap of {_mw(s.cap_mw)}"))
    for z in s.zones:
        pinned = s.ai_pinned_mw(z.name)
        if pinned > z.connection_limit_mw or (pinned > 0 and not z.ai_allowed):
            what = f"connection limit {_mw(z.connection_limit_mw)}" if z.ai_allowed else "AI ban (ai_allowed = false)"
            issues.append(Issue("ai_centre_over_limit", f"zone {z.name}",
                                f"AI firm load {_mw(pinned)} exceeds zone {z.name}'s {what}"))
    ai_zones = [z for z in s.zones if z.ai_allowed]
    if not ai_zones:
        issues.append(Issue("ai_no_zone", "zone.ai_allowed",
                            f"AI firm load {_mw(firm)} has no zone to go to: no zone has ai_allowed = true"))
    else:
        room = sum(z.connection_limit_mw for z in ai_zones)
        if firm > room:
            names = ", ".join(f"{z.name} {_mw(z.connection_limit_mw)}" for z in ai_zones)
            where = f"zone {ai_zones[0].name}'s connection limit" if len(ai_zones) == 1 else (
                f"the connection limits of the zones that allow AI ({names}), together")
            issues.append(Issue("ai_over_connection_limits", "zone.connection_limit_mw",
                                f"AI firm load {_mw(firm)} exceeds {where} {_mw(room)}"))
    headroom = s.grid.available_total_mw - s.grid.demand_mw
    short = np.flatnonzero(s.ai.uptime * firm > headroom + 1e-9)
    if short.size:
        worst = int(short[np.argmin(headroom[short])])
        first = ", ".join(s.grid.hours[i] for i in short[:3]) + (" ..." if short.size > 3 else "")
        issues.append(Issue("ai_over_headroom", "grid.csv",
                            f"AI firm load {_mw(s.ai.uptime * firm)} exceeds the grid's headroom (available "
                            f"minus demand) in {short.size} hour(s) ({first}); the least is "
                            f"{_mw(float(headroom[worst]))} at {s.grid.hours[worst]}"))
    return issues


def check_feasible(s: Scenario) -> None:
    """Raise InfeasibleError naming every obvious reason, before any solver runs."""
    issues = infeasibility_reasons(s)
    if issues:
        raise InfeasibleError.from_issues(issues, what=f"the plan for scenario {s.name}")
