"""``archsim analyze TOPOLOGY``: the instant queueing-theory answer, no simulation."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from archsim.cli import options
from archsim.cli.common import fail, print_issues, resolve_topology, stdout, warn_if_closed


def command(
    topology: options.TopologyArg,
    rate_scale: options.RateScale = 1.0,
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value: KEY=VALUE (repeatable), e.g. components.app.replicas=5.")] = None,
    as_json: Annotated[bool, options.as_json("Print the JSON analysis only.")] = False,
) -> None:
    """Queueing theory in an instant: visit ratios, utilization, bottleneck, saturation and
    mean latency per request class, each labelled exact or approximate with its assumptions.

    Examples:
      archsim analyze monolith
      archsim analyze shop.yaml --rate-scale 1.5 --set components.app.replicas=4
      archsim analyze shop.yaml --json
    """
    from archsim.analysis.analyze import analyze
    from archsim.errors import ModelError, SpecError, UsageError
    from archsim.spec.loader import load

    try:
        loaded = load(resolve_topology(topology), overrides or ())
        warn_if_closed(loaded, rate_scale)
        result = analyze(loaded, rate_scale)
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    except UsageError as exc:
        fail(str(exc), 2)
    except ModelError as exc:
        fail(str(exc), 1)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    from rich.console import Console

    from archsim.report.render_analysis import render_analysis

    if stdout.is_terminal:
        render_analysis(result, stdout)
    else:
        render_analysis(result, Console(width=200, color_system=None, highlight=False),
                        plain=True)
