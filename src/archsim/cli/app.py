"""The ``archsim`` command: one small module per command, each over a library function."""

from __future__ import annotations

from typing import Annotated

import typer

from archsim import __version__
from archsim.cli import (
    analyze,
    capacity,
    check,
    compare,
    graph,
    models,
    new,
    report,
    run,
    schema,
    sweep,
    validate,
)

app = typer.Typer(
    name="archsim",
    help="Predict how a backend architecture behaves under load, from a YAML topology.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Predict how a backend architecture behaves under load, from a YAML topology."""


app.command("run")(run.command)
app.command("analyze")(analyze.command)
app.command("compare")(compare.command)
app.command("check")(check.command)
app.command("sweep")(sweep.command)
app.command("capacity")(capacity.command)
app.command("validate")(validate.command)
app.command("schema")(schema.command)
app.command("graph")(graph.command)
app.command("models")(models.command)
app.command("new")(new.command)
app.command("report")(report.command)


def main() -> None:
    """Entry point of the console script and ``python -m archsim``."""
    app()
