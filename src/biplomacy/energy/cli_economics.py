"""Commands of `biplomacy energy` (part: economics and risk): expected-btc, economics, risk."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import typer

from biplomacy.cli.cluster import engine, scheduler_option, workers_option
from biplomacy.cli.output import emit, err, out, table
from biplomacy.core.errors import InputError

if TYPE_CHECKING:
    from biplomacy.energy.results import AsicEconomics, ExpectedBtc, RiskReport


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `energy` sub-app."""

    @app.command("expected-btc")
    def expected_btc(
        hashrate: str = typer.Option(..., "--hashrate", help="Hashrate, e.g. 100EH/s or 250PH/s."),
        difficulty: str = typer.Option(..., "--difficulty", help="Difficulty, e.g. 148.26T."),
        days: str = typer.Option(..., "--days", help="Length of the window in days (fractions allowed)."),
        fees: str = typer.Option("0", "--fees-btc-per-block", help="Mean fees per block in BTC (default 0)."),
        start_height: str = typer.Option(None, "--start-height",
                                         help="Block height at the start: splits the window at the halving."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Expected BTC = t * h / (D * 2^32) * (subsidy + fees), at a fixed difficulty."""
        from biplomacy.energy.economics import expected_btc_report

        result = expected_btc_report(hashrate, difficulty, _float(days, "--days"),
                                     fees_btc_per_block=_float(fees, "--fees-btc-per-block"),
                                     start_height=_int(start_height, "--start-height"))

        def render(r: ExpectedBtc) -> None:
            out.print(f"[bold]{r.expected_btc:,.8f} BTC[/bold] expected over {r.inputs.days:g} days "
                      f"({r.blocks:,.1f} blocks, {r.network_share:.2%} of blocks at this difficulty)")
            if r.blocks_after_halving:
                out.print(f"the window crosses the halving at block {r.halving_height:,}: "
                          f"{r.blocks_before_halving:,.1f} blocks at {r.subsidy_btc} BTC, "
                          f"{r.blocks_after_halving:,.1f} at {r.subsidy_btc_after_halving} BTC")
            out.print("hashes per unit of difficulty: 2^32 (2^48/65535 differs by 1.5e-5)")

        emit(result.to_json(), as_json, lambda _: render(result))

    @app.command("economics")
    def economics(
        asic: str = typer.Option("S21", "--asic", help="ASIC model: S21, S21-Pro, S21-XP, S21-XP-Hydro, S23-Hydro."),
        hashrate: str = typer.Option("1PH/s", "--hashrate", help="Installed hashrate of this model."),
        difficulty: str = typer.Option(None, "--difficulty", help="Difficulty (default: the registry's)."),
        btc_price: str = typer.Option(None, "--btc-price-usd", help="BTC price in USD (default: registry)."),
        fees: str = typer.Option(None, "--fees-btc-per-block", help="Mean fees per block in BTC."),
        power_price: str = typer.Option(None, "--power-price-usd-kwh", help="Power price in USD/kWh."),
        pue: str = typer.Option(None, "--pue", help="Power usage effectiveness (>= 1)."),
        ambient: str = typer.Option(None, "--ambient-c", help="Ambient temperature in degC (derating)."),
        capex: str = typer.Option(None, "--capex-usd-per-th", help="Machine price in USD per TH/s."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Hashprice, break-even power price, heat derating, daily margin and payback of one ASIC model."""
        from biplomacy.energy.economics import asic_economics_report

        result = asic_economics_report(
            asic, hashrate=hashrate, difficulty=difficulty, btc_price_usd=_float(btc_price, "--btc-price-usd"),
            fees_btc_per_block=_float(fees, "--fees-btc-per-block"),
            power_price_usd_kwh=_float(power_price, "--power-price-usd-kwh"), pue=_float(pue, "--pue"),
            ambient_c=_float(ambient, "--ambient-c"), capex_usd_per_th=_float(capex, "--capex-usd-per-th"))

        def render(r: AsicEconomics) -> None:
            payback = "never (margin <= 0)" if r.payback_days is None else f"{r.payback_days:,.0f} days"
            table(f"{r.asic} at {r.j_per_th} J/TH, {r.hashrate_th_s:,.0f} TH/s", ["figure", "value"], [
                ("hashprice", f"USD {r.hashprice_usd_ph_day:,.2f} /PH/day ({r.hashprice_btc_ph_day:.6f} BTC)"),
                ("break-even power price", f"USD {r.break_even_usd_kwh:.4f} /kWh (PUE {r.pue})"),
                ("power price", f"USD {r.power_price_usd_kwh:.4f} /kWh"),
                ("derating", f"{r.derating:.0%} of nameplate"),
                ("revenue / day", f"USD {r.revenue_usd_per_day:,.2f}"),
                ("energy / day", f"USD {r.energy_cost_usd_per_day:,.2f}"),
                ("margin / day", f"USD {r.margin_usd_per_day:,.2f}"),
                ("capex", f"USD {r.capex_usd:,.0f}"),
                ("payback", payback),
            ])
            _render_sources(r.sources)

        emit(result.to_json(), as_json, lambda _: render(result))

    _register_risk(app)


def _register_risk(app: typer.Typer) -> None:
    @app.command("risk")
    def risk(
        ctx: typer.Context,
        scenario: str = typer.Option(None, "--scenario", help="Shipped scenario name or a folder (default "
                                     "pakistan-2025; with --plan, the plan's own, as stored with it)."),
        plan: str = typer.Option(None, "--plan", help="A stored plan (id or name; see `energy plans`), simulated "
                                 "with the inputs stored with it; default: plan the scenario now without storing it."),
        paths: str = typer.Option(None, "--paths", help="Monte Carlo paths (default: the scenario's [risk] paths, "
                                  "10,000 for pakistan-2025: the plan's headline settings)."),
        years: str = typer.Option(None, "--years", help="Horizon in years, daily steps (default: [risk] years, 5)."),
        seed: str = typer.Option(None, "--seed", help="Seed of the random generator, PCG64 (default: [risk] seed, 1)."),
        follows: str = typer.Option(None, "--difficulty-follows-hashprice", help="Tie difficulty growth to hashprice "
                                    "with this elasticity (e.g. 1.0; 0 draws it independently; default: the "
                                    "scenario's [network] difficulty_hashprice_elasticity)."),
        price_shock: str = typer.Option("0", "--price-shock", help="Immediate BTC price change, e.g. -0.5."),
        tariff: str = typer.Option(None, "--tariff", help="Tariff option of the scenario (default: its first)."),
        energy_price: str = typer.Option(None, "--energy-price-usd-mwh",
                                         help="What-if energy price in USD/MWh instead of a tariff option."),
        chart: Path = typer.Option(None, "--chart", help="Write the fan chart as PNG or SVG to this file."),
        workers: str | None = workers_option(),
        scheduler: str | None = scheduler_option(),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Monte Carlo of a plan's fleet under BTC price, difficulty and fees: P5/P50/P95 of BTC, revenue, NPV; P(loss)."""
        from rich.progress import Progress

        from biplomacy.cli import context
        from biplomacy.energy.risk import run_risk
        from biplomacy.energy.risk_files import check_chart_path, write_fan_chart

        if chart is not None:
            check_chart_path(chart)
        where = engine(ctx, workers, scheduler)
        store = context.get(ctx).store() if plan is not None else None

        with Progress(console=err, transient=True, disable=as_json) as bar:
            task = bar.add_task("simulating", total=1.0)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = run_risk(scenario, paths=_int(paths, "--paths"), years=_float(years, "--years"),
                              seed=_int(seed, "--seed"), price_shock=_float(price_shock, "--price-shock"),
                              tariff=tariff, energy_price_usd_mwh=_float(energy_price, "--energy-price-usd-mwh"),
                              plan=plan, store=store, progress=progress, engine=where,
                              difficulty_follows_hashprice=_float(follows, "--difficulty-follows-hashprice"))
        if chart is not None:
            result = write_fan_chart(result, chart)

        def render(r: RiskReport) -> None:
            spreads = [("BTC mined", r.btc_mined, 2), ("BTC a year", r.btc_per_year, 1),
                       ("revenue USD", r.revenue_usd, 0), ("NPV USD", r.npv_usd, 0)]
            if r.costs is not None:
                spreads += [("subsidy PKR a year", r.costs.subsidy_pkr_per_year, 0),
                            ("capacity contribution PKR a year", r.costs.capacity_contribution_pkr_per_year, 0),
                            ("capacity others carry PKR a year", r.costs.capacity_carried_by_others_pkr_per_year, 0)]
            rows = [(name, *(f"{v:,.{dp}f}" for v in (s.p5, s.p50, s.p95))) for name, s, dp in spreads if s is not None]
            table(r.title, ["", "P5", "P50", "P95"], rows)
            out.print(f"probability of loss (NPV < 0): [bold]{r.probability_of_loss:.1%}[/bold]; the fleet mines on "
                      f"{r.share_of_days_mining:.0%} of days")
            for a in r.assumptions:
                out.print(f"- {a}")
            if r.chart is not None:
                out.print(f"fan chart: {r.chart}")
            _render_sources(r.sources)

        emit(result.to_json(), as_json, lambda _: render(result))


# Numbers are read here rather than by Typer so that a bad one is exit 2 naming its flag, like every input error.
@overload
def _float(text: str, flag: str) -> float: ...
@overload
def _float(text: None, flag: str) -> None: ...
def _float(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a number", field=flag) from None
    if not math.isfinite(value):
        raise InputError(f"{flag}: {text!r} is not a finite number", field=flag)
    return value


@overload
def _int(text: str, flag: str) -> int: ...
@overload
def _int(text: None, flag: str) -> None: ...
def _int(text: str | None, flag: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a whole number", field=flag) from None


def _render_sources(sources: Iterable[Mapping[str, Any]]) -> None:
    out.print("[dim]sources:[/dim]")
    for s in sources:
        src = s["source"]
        cite = f"{src['title']}, {src['publisher']}, {src['date']}" if src else f"assumption: {s['assumption']}"
        out.print(f"[dim]  {s['key']} = {s['value']} {s['unit']}: {cite}[/dim]")
