"""`biplomacy supervise`: licensing, register, returns, solvency, AML, travel rule."""

import typer

from biplomacy.aml import cli as supervise_aml
from biplomacy.supervision import cli_licensing as supervise_licensing

app = typer.Typer(help="licensing, register, returns, solvency, AML, travel rule.", no_args_is_help=True)

supervise_licensing.register(app)
supervise_aml.register(app)
