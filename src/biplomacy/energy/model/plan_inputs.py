"""What the risk model reads from a plan's scenario, as a plain record a stored plan keeps with it.

A stored plan is self-contained for the Monte Carlo: its zones' PUE, the ASIC fleet, the tariff options, the
USD/PKR rate, the network assumptions and the scenario's source keys are kept as JSON next to its summary, so
`biplomacy energy risk --plan ID` still runs after the scenario's files change or are gone. The hourly mining
(installed MW and MWh per zone) is already in the plan's summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from biplomacy.core.errors import InputError
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.scenario import Asic, Tariff

if TYPE_CHECKING:
    from biplomacy.energy.model.scenario import Scenario

FORMAT = 1  # bumped when the stored shape changes; a reader refuses a format it does not know


@dataclass(frozen=True)
class PlanEconomics:
    """A scenario's figures that turn a plan's mining into the Monte Carlo's fleet (energy/risk.py fleet_from_plan)."""

    name: str  # the scenario's name
    zone_pue: Mapping[str, float]
    fleet: tuple[Asic, ...]
    tariffs: tuple[Tariff, ...]
    usd_pkr: float
    network: NetworkAssumptions
    source_keys: tuple[str, ...]

    @classmethod
    def of(cls, s: Scenario) -> PlanEconomics:
        return cls(s.name, {z.name: z.pue for z in s.zones}, s.fleet, s.tariffs, s.usd_pkr, s.network, s.source_keys)

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
                "fleet": [asdict(a) for a in self.fleet], "tariffs": [asdict(t) for t in self.tariffs],
                "usd_pkr": self.usd_pkr, "network": asdict(self.network), "source_keys": list(self.source_keys)}

    @classmethod
    def from_json(cls, d: Any, where: str) -> PlanEconomics:
        """Read what `to_json` wrote; anything else is refused naming `where` (e.g. "stored plan 3")."""
        try:
            if d["format"] != FORMAT:
                raise ValueError(f"format {d['format']!r}, this version reads {FORMAT}")
            return cls(str(d["scenario"]), {str(k): float(v) for k, v in d["zone_pue"].items()},
                       tuple(Asic(**_only(Asic, a)) for a in d["fleet"]),
                       tuple(Tariff(**_only(Tariff, t)) for t in d["tariffs"]), float(d["usd_pkr"]),
                       NetworkAssumptions(**_only(NetworkAssumptions, d["network"])),
                       tuple(str(k) for k in d["source_keys"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{where}: its stored inputs cannot be read ({type(exc).__name__}: {exc})",
                             field="plan") from None


def _only(kind: type, d: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(kind)}
    missing = names - set(d)
    if missing:
        raise KeyError(f"{kind.__name__} lacks {sorted(missing)}")
    return {k: d[k] for k in names}
