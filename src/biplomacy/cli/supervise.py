"""`biplomacy supervise`: licensing, register, returns, solvency, AML, travel rule."""

import typer

from biplomacy.cli import supervise_aml, supervise_licensing

app = typer.Typer(help="licensing, register, returns, solvency, AML, travel rule.", no_args_is_help=True)

supervise_licensing.register(app)
supervise_aml.register(app)
