"""`biplomacy energy`: mining zones on surplus power, economics, tariffs and risk."""

import typer

from biplomacy.cli import energy_economics, energy_plan

app = typer.Typer(help="mining zones on surplus power, economics, tariffs and risk.", no_args_is_help=True)

energy_economics.register(app)
energy_plan.register(app)
