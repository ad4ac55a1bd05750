"""`biplomacy energy`: mining zones on surplus power, economics, tariffs and risk."""

import typer

from biplomacy.energy import cli_economics as energy_economics
from biplomacy.energy import cli_plan as energy_plan

app = typer.Typer(help="mining zones on surplus power, economics, tariffs and risk.", no_args_is_help=True)

energy_economics.register(app)
energy_plan.register(app)
