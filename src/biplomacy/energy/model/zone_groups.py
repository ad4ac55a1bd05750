"""Zones the planner's LP cannot tell apart, solved as one LP zone: an exact reduction (docs/adr/0008).

Two zones are interchangeable in the LP when they have the same PUE (so the same BTC per MWh and capex per MW), the
same heat derating in every hour, the same AI permission, no pinned AI centre ([[ai_centre]]), and ramp limits in
the same proportion to their connection limits. Such a group is one LP zone whose connection limit and ramp limit
are the members' sums.

Why it is exact: any plan of the members adds up to a plan of the group with the same cost (sums of heat, ramp and
connection rows are the group's rows). Conversely a plan of the group, split in proportion to the members'
connection limits (installed MW, AI MW and every hour's load, each times the member's share), is a plan of the
members: each member's heat row is the group's times the share, its ramp limit is the group's times the share
(the ramps are in proportion to the limits), and M + A stays within the share of the group's limit. Costs per MW are
equal, so the cost is the same. The two LPs therefore have the same optimum, and the split plan is an optimal plan
of the scenario's zones.

A scenario of many zones built from a few kinds (the bench's 100 zones are 15 kinds to the LP) becomes a much
smaller LP; a scenario of distinct zones is unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from biplomacy.energy.model.scenario import Scenario, Zone


@dataclass(frozen=True)
class ZoneGroups:
    zones: tuple[Zone, ...]  # the LP's zones (a group's sums; a zone of its own is itself)
    zone_of: np.ndarray  # per scenario zone: the index of its LP zone
    share: np.ndarray  # per scenario zone: its connection limit over its group's (1.0 alone)

    @property
    def merged(self) -> bool:
        return len(self.zones) < len(self.zone_of)

    def split(self, per_lp_zone: np.ndarray) -> np.ndarray:
        """Values per LP zone (a vector, or rows of hours) as values per scenario zone, each its share."""
        values = np.asarray(per_lp_zone)[self.zone_of]
        return values * self.share.reshape((-1,) + (1,) * (values.ndim - 1))


def each_alone(s: Scenario) -> ZoneGroups:
    n = len(s.zones)
    return ZoneGroups(s.zones, np.arange(n), np.ones(n))


def group_zones(s: Scenario, derate: np.ndarray) -> ZoneGroups:
    """The scenario's zones in groups the LP cannot tell apart (`derate`: zones x hours, planner.derate_matrix)."""
    keys: dict[tuple, list[int]] = {}
    for i, z in enumerate(s.zones):
        alone = z.connection_limit_mw <= 0 or s.ai_pinned_mw(z.name) > 0
        # the ramp's share of the limit to 12 digits: limits and ramps typed as 300 and 100 or 600 and 200 give
        # ratios that may differ in the last bit; a split by shares then exceeds a ramp by at most 1e-12 of it
        key = ("alone", i) if alone else (z.pue, z.ai_allowed, round(z.ramp_mw_per_h / z.connection_limit_mw, 12),
                                          derate[i].tobytes())
        keys.setdefault(key, []).append(i)
    zones: list[Zone] = []
    zone_of = np.empty(len(s.zones), dtype=np.int64)
    share = np.ones(len(s.zones))
    for k, members in enumerate(keys.values()):
        first = s.zones[members[0]]
        zone_of[members] = k
        if len(members) == 1:
            zones.append(first)
            continue
        limit = sum(s.zones[i].connection_limit_mw for i in members)
        share[members] = [s.zones[i].connection_limit_mw / limit for i in members]
        zones.append(dataclasses.replace(first, name=f"{first.name} and {len(members) - 1} like it",
                                         connection_limit_mw=limit,
                                         ramp_mw_per_h=sum(s.zones[i].ramp_mw_per_h for i in members)))
    return ZoneGroups(tuple(zones), zone_of, share)
