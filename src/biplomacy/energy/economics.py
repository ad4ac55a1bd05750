"""Use cases of mining economics: expected BTC for a hashrate, and one ASIC's hashprice, break-even and payback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.provenance import load_registry
from biplomacy.core.units import Difficulty, Hashrate, JPerTH
from biplomacy.energy.model import economics as econ
from biplomacy.energy.model.network import HASHES_PER_DIFFICULTY, NetworkAssumptions
from biplomacy.energy.results import AsicEconomics, ExpectedBtc, ExpectedBtcInputs

Q = TypeVar("Q", Hashrate, Difficulty)


@dataclass(frozen=True, slots=True)
class AsicModel:
    """An ASIC of the shipped catalogue: efficiency and ambient limit by registry key (None: liquid-cooled)."""

    name: str
    j_per_th_key: str
    ambient_limit_key: str | None


CATALOGUE = {a.name.lower(): a for a in (
    AsicModel("S21", "energy.mining.asic_s21_j_per_th", "energy.mining.asic_ambient_limit_c"),
    AsicModel("S21-Pro", "energy.mining.asic_s21_pro_j_per_th", "energy.mining.asic_ambient_limit_c"),
    AsicModel("S21-XP", "energy.mining.asic_s21_xp_j_per_th", "energy.mining.asic_ambient_limit_c"),
    AsicModel("S21-XP-Hydro", "energy.mining.asic_s21_xp_hydro_j_per_th", None),
    AsicModel("S23-Hydro", "energy.mining.asic_s23_hydro_j_per_th", None),
)}


def asic_model(name: str) -> AsicModel:
    try:
        return CATALOGUE[name.strip().lower().replace(" ", "-").replace("_", "-")]
    except KeyError:
        names = ", ".join(a.name for a in CATALOGUE.values())
        raise NotFound(f"unknown ASIC {name!r}; known: {names}", field="asic") from None


def _parsed(kind: type[Q], text: str, field: str) -> Q:
    """`kind.parse`, its refusal worded as a use case words it: naming the field, the message not starting with it."""
    try:
        return kind.parse(text, field=field)
    except InputError as exc:
        raise InputError(str(exc).removeprefix(f"{field}: "), field=field) from None


def expected_btc_report(hashrate: str, difficulty: str, days: float, *, fees_btc_per_block: float = 0.0,
                        start_height: int | None = None) -> ExpectedBtc:
    """Expected BTC at a fixed difficulty; across the halving block by block when a start height is given."""
    h = _parsed(Hashrate, hashrate, "hashrate")
    d = _parsed(Difficulty, difficulty, "difficulty")
    problems = []
    if not days >= 0:
        problems.append(("days", f"must be zero or more, got {days}"))
    if not fees_btc_per_block >= 0:
        problems.append(("fees_btc_per_block", f"must be zero or more, got {fees_btc_per_block}"))
    if start_height is not None and start_height < 0:
        problems.append(("start_height", f"must be zero or more, got {start_height}"))
    if problems:
        field, message = problems[0]
        raise InputError(message, field=field)
    reg = load_registry()
    subsidy = reg.number("energy.network.subsidy_btc")
    halving = int(reg.value("energy.network.halving_height"))
    seconds = days * econ.SECONDS_PER_DAY
    before: float | None = None  # the window split at the halving, with a start height only
    after: float | None = None
    subsidy_after: float | None = None
    if start_height is None:
        expected = econ.expected_btc(h, d, seconds, subsidy_btc=subsidy, fees_btc_per_block=fees_btc_per_block)
        blocks = seconds / 600.0
    else:
        w = econ.expected_btc_from_height(h, d, seconds, start_height, fees_btc_per_block=fees_btc_per_block,
                                          subsidy_btc=subsidy, halving_height=halving)
        expected, blocks = w.expected_btc, w.blocks
        before, after, subsidy_after = w.blocks_before_halving, w.blocks_after_halving, w.subsidy_btc_after
    return ExpectedBtc(
        hashes_per_difficulty="2^32", hashes_per_difficulty_value=HASHES_PER_DIFFICULTY,
        inputs=ExpectedBtcInputs(h.value, d.value, days, fees_btc_per_block, start_height),
        subsidy_btc=subsidy, fees_btc_per_block=fees_btc_per_block, halving_height=halving,
        expected_btc=expected, blocks=blocks, blocks_before_halving=before, blocks_after_halving=after,
        subsidy_btc_after_halving=subsidy_after,
        network_share=h.value * 600.0 / (d.value * HASHES_PER_DIFFICULTY),
        sources=tuple(reg.cited(["energy.network.hashes_per_difficulty", "energy.network.subsidy_btc",
                                 "energy.network.halving_height", "energy.network.block_interval_s"])))


def asic_economics_report(asic: str, *, hashrate: str = "1PH/s", difficulty: str | None = None,
                          btc_price_usd: float | None = None, fees_btc_per_block: float | None = None,
                          power_price_usd_kwh: float | None = None, pue: float | None = None,
                          ambient_c: float | None = None, capex_usd_per_th: float | None = None) -> AsicEconomics:
    """Hashprice, break-even power price, heat derating, daily margin and payback of `hashrate` of one model."""
    reg = load_registry()
    net = NetworkAssumptions.defaults(reg)
    model = asic_model(asic)
    keys = [model.j_per_th_key, "energy.network.subsidy_btc", "energy.mining.kwh_per_day_per_watt"]
    h = _parsed(Hashrate, hashrate, "hashrate")
    d = _parsed(Difficulty, difficulty, "difficulty") if difficulty is not None else Difficulty(net.difficulty)
    if difficulty is None:
        keys.append("energy.network.difficulty")

    def pick(value: float | None, key: str, field: str, low: float) -> float:
        if value is None:
            keys.append(key)
            return reg.number(key)
        if not value >= low:
            raise InputError(f"must be at least {low:g}, got {value}", field=field)
        return value

    price = pick(btc_price_usd, "energy.network.btc_price_usd", "btc_price_usd", 1e-9)
    fees = pick(fees_btc_per_block, "energy.network.fees_btc_per_block", "fees_btc_per_block", 0.0)
    power = pick(power_price_usd_kwh, "energy.mining.power_price_usd_kwh", "power_price_usd_kwh", 0.0)
    pue_v = pick(pue, "energy.mining.pue", "pue", 1.0)
    capex = pick(capex_usd_per_th, "energy.mining.asic_price_usd_per_th", "capex_usd_per_th", 0.0)
    eff = JPerTH(reg.number(model.j_per_th_key))
    derating, limit = 1.0, None
    if ambient_c is not None and model.ambient_limit_key is not None:
        limit = reg.number(model.ambient_limit_key)
        derating = econ.derating_fraction(ambient_c, limit, reg.number("energy.mining.derating_per_c"))
        keys += [model.ambient_limit_key, "energy.mining.derating_per_c"]
    hp = econ.hashprice(d, price, subsidy_btc=net.subsidy_btc, fees_btc_per_block=fees)
    day = econ.asic_day(h, eff, hp, power, capex_usd=capex * h.value / 1e12, pue=pue_v, derating=derating)
    return AsicEconomics(
        asic=model.name, j_per_th=eff.value, hashrate_th_s=h.value / 1e12, difficulty=d.value,
        btc_price_usd=price, fees_btc_per_block=fees, power_price_usd_kwh=power, pue=pue_v,
        ambient_c=ambient_c, ambient_limit_c=limit, derating=derating,
        hashprice_usd_ph_day=hp.usd_per_ph_day, hashprice_btc_ph_day=hp.btc_per_ph_day,
        break_even_usd_kwh=econ.break_even_power_price_usd_kwh(hp, eff, pue_v),
        capex_usd=capex * h.value / 1e12, revenue_usd_per_day=day.revenue_usd,
        energy_cost_usd_per_day=day.energy_cost_usd, margin_usd_per_day=day.margin_usd,
        payback_days=day.payback_days, sources=tuple(reg.cited(keys)))
