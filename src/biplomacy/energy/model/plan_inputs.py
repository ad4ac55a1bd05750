"""What the risk model reads from a plan and its scenario, as a plain record a stored plan keeps with it.

A stored plan is self-contained for the Monte Carlo: its zones' PUE, the ASIC fleet, the tariff options (with their
levies), the USD/PKR rate, the network assumptions, the supply costs, the headline's Monte Carlo settings, the
scenario's source keys, and the plan's fleet itself (energy/model/fleet.py: the MWh and TH-hours of each day of its
year, and each tariff's daily subsidy and contribution) are kept as JSON next to its summary, so `biplomacy energy
risk --plan ID` gives the same figures after the scenario's files change or are gone. Format 1 (plans stored before
the fleet model) had no profile: the risk model then spreads the plan's MWh evenly over the year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from biplomacy.core.errors import InputError
from biplomacy.energy.model.fleet import DailyProfile
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.scenario import Asic, Capex, RiskDefaults, SupplyCost, Tariff
from biplomacy.energy.model.tariffs import DailyCosts

if TYPE_CHECKING:
    from biplomacy.energy.model.scenario import Scenario

FORMAT = 2  # bumped when the stored shape changes; a reader refuses a format it does not know
READS = (1, 2)


@dataclass(frozen=True)
class PlanEconomics:
    """A plan's fleet and the scenario figures that turn it into the Monte Carlo's fleet (energy/risk.py)."""

    name: str  # the scenario's name
    zone_pue: Mapping[str, float]
    fleet: tuple[Asic, ...]
    tariffs: tuple[Tariff, ...]
    usd_pkr: float
    network: NetworkAssumptions
    source_keys: tuple[str, ...]
    capex: Capex = Capex()
    supply_cost: SupplyCost = SupplyCost()
    risk: RiskDefaults = RiskDefaults()
    profile: DailyProfile | None = None  # None: stored before plans kept their fleet (format 1)
    daily_costs: Mapping[str, DailyCosts] = field(default_factory=dict)  # tariff name -> its days

    @classmethod
    def of(cls, s: Scenario, profile: DailyProfile | None = None,
           daily_costs: Mapping[str, DailyCosts] | None = None) -> PlanEconomics:
        return cls(s.name, {z.name: z.pue for z in s.zones}, s.fleet, s.tariffs, s.usd_pkr, s.network, s.source_keys,
                   s.capex, s.supply_cost, s.risk, profile, dict(daily_costs or {}))

    @property
    def fleet_j_per_th(self) -> float:
        """Share-weighted efficiency of the fleet (as Scenario.fleet_j_per_th)."""
        return sum(a.j_per_th * a.share for a in self.fleet)

    @property
    def fleet_usd_per_th(self) -> float:
        """Share-weighted price of the fleet per TH/s."""
        return sum(a.price_usd_per_th * a.share for a in self.fleet)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "scenario": self.name, "zone_pue": dict(self.zone_pue),
                "fleet": [asdict(a) for a in self.fleet],
                "tariffs": [asdict(t) | {"levies": list(t.levies)} for t in self.tariffs],
                "usd_pkr": self.usd_pkr, "network": asdict(self.network), "source_keys": list(self.source_keys),
                "capex": asdict(self.capex), "supply_cost": asdict(self.supply_cost), "risk": asdict(self.risk),
                "profile": self.profile.to_json() if self.profile is not None else None,
                "daily_costs": {name: {"subsidy_pkr": _rounded(c.subsidy_pkr), "contribution_pkr": _rounded(c.contribution_pkr),
                                       "kwh": _rounded(c.kwh), "fixed_unpaid_pkr_per_year": c.fixed_unpaid_pkr_per_year}
                                for name, c in self.daily_costs.items()}}

    @classmethod
    def from_json(cls, d: Any, where: str) -> PlanEconomics:
        """Read what `to_json` wrote (this format or an older one); anything else is refused naming `where`."""
        try:
            if d["format"] not in READS:
                raise ValueError(f"format {d['format']!r}, this version reads {', '.join(map(str, READS))}")
            tariffs = tuple(Tariff(str(t["name"]), float(t["pkr_per_kwh"]), tuple(t.get("levies", ())))
                            for t in d["tariffs"])
            network = d["network"] | {"difficulty_hashprice_elasticity": d["network"].get("difficulty_hashprice_elasticity", 0.0)}
            prof = d.get("profile")
            costs = {str(name): DailyCosts(np.asarray(c["subsidy_pkr"]), np.asarray(c["contribution_pkr"]),
                                           np.asarray(c["kwh"]), float(c["fixed_unpaid_pkr_per_year"]))
                     for name, c in (d.get("daily_costs") or {}).items()}
            return cls(str(d["scenario"]), {str(k): float(v) for k, v in d["zone_pue"].items()},
                       tuple(Asic(**_only(Asic, a)) for a in d["fleet"]), tariffs, float(d["usd_pkr"]),
                       NetworkAssumptions(**_only(NetworkAssumptions, network)),
                       tuple(str(k) for k in d["source_keys"]),
                       Capex(**d["capex"]) if "capex" in d else Capex(),
                       SupplyCost(**d["supply_cost"]) if "supply_cost" in d else SupplyCost(),
                       RiskDefaults(**d["risk"]) if "risk" in d else RiskDefaults(),
                       DailyProfile.from_json(prof) if prof else None, costs)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{where}: its stored inputs cannot be read ({type(exc).__name__}: {exc})",
                             field="plan") from None


def _rounded(a: np.ndarray) -> list[float]:
    """As floats, whole: the stored plan's risk reproduces its headline exactly."""
    return [float(v) for v in a]


def _only(kind: type, d: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(kind)}
    missing = names - set(d)
    if missing:
        raise KeyError(f"{kind.__name__} lacks {sorted(missing)}")
    return {k: d[k] for k in names}
