"""``archsim graph FILE``: print the topology as a graph (text, Mermaid or Graphviz dot)."""

from __future__ import annotations

from typing import Annotated

import typer

from archsim.cli.common import fail, print_issues, resolve_topology

FORMATS = ("text", "mermaid", "dot")


def command(
    file: Annotated[str, typer.Argument(help="Topology file (or bundled model name).",
                                        show_default=False)],
    output_format: Annotated[str, typer.Option(
        "--format", help="Output: 'text' (one node per line, then its edges), 'mermaid' "
        "(flowchart for Markdown) or 'dot' (Graphviz)."
    )] = "text",
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print who calls whom: clients, components, calls, publishes and subscriptions.

    Synchronous requests are solid arrows; messages (publish, subscription) are dashed.
    Exit 1 when the file is invalid (every problem is printed).

    \b
    Examples:
      archsim graph monolith
      archsim graph shop.yaml --format mermaid -o shop.mmd
      archsim graph shop.yaml --format dot | dot -Tsvg > shop.svg
    """
    from pathlib import Path

    from archsim.errors import SpecError
    from archsim.graph import render_dot, render_mermaid, render_text
    from archsim.spec.loader import load

    if output_format not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(map(repr, FORMATS))}, "
                                 f"got {output_format!r}", param_hint="--format")
    try:
        topology = load(resolve_topology(file))
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    render = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}[output_format]
    text = render(topology)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    else:
        typer.echo(text, nl=False)
