"""``archsim capacity TOPOLOGY --slo "p99<200ms"``: the highest load meeting every objective."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from archsim.cli import options
from archsim.cli.common import fail, print_issues, resolve_topology, stdout
from archsim.cli.options import parse_run_length, with_run_length

if TYPE_CHECKING:
    from archsim.analysis.capacity import CapacityResult
    from archsim.analysis.objectives import Objective


def command(
    topology: options.TopologyArg,
    slo: Annotated[list[str] | None, typer.Option(
        "--slo", help="Objective (repeatable): p99<200ms, mean<50ms, error_rate<0.1%, "
        "throughput>100/s; prefix CLASS: for one request class.",
        show_default="the file's slos")] = None,
    duration: Annotated[str | None, options.duration(
        "Measured simulated time per probe.")] = None,
    warmup: options.Warmup = None,
    replications: Annotated[int | None, options.replications(
        "Replications per probe (the interval needs at least 2).")] = None,
    seed: options.Seed = None,
    jobs: options.Jobs = None,
    overrides: options.Overrides = None,
    tolerance: Annotated[float, typer.Option(
        min=0.001, max=0.5, help="Stop when the bracket's gaps are below this share of it.")
    ] = 0.02,
    max_probes: Annotated[int, typer.Option(min=2, help="At most this many simulations.")] = 16,
    as_json: Annotated[bool, options.as_json("Print JSON only.")] = False,
    max_in_flight: Annotated[int, options.max_in_flight(
        "A probe past this many requests in flight counts as saturated.")
    ] = options.MAX_IN_FLIGHT,
) -> None:
    """Find the highest rate scale at which every objective is met, and what limits it.

    Bisects the rate scale between 0 and the load where queueing theory saturates a service;
    each probe is met, missed or uncertain by the 95% interval across replications. Prints
    the capacity with its interval, the bottleneck there and what to scale next. Exit 1 when
    no load meets the objectives.

    \b
    Examples:
      archsim capacity monolith --slo "p99<200ms"
      archsim capacity shop.yaml --slo "checkout:p99<300ms" --slo "error_rate<0.1%" --json
    """
    objectives = parse_slos(slo or [])
    duration_s, warmup_s = parse_run_length(duration, warmup)
    from archsim.analysis.capacity import capacity
    from archsim.cli.progress import LazyProgress
    from archsim.errors import ArchsimError, SpecError, UsageError

    try:
        with LazyProgress("searching the capacity") as progress:
            result = capacity(resolve_topology(topology), objectives,
                              overrides=with_run_length(overrides, duration, warmup),
                              duration_s=duration_s, warmup_s=warmup_s,
                              replications=replications, seed=seed,
                              jobs=jobs, max_in_flight=max_in_flight, tolerance=tolerance,
                              max_probes=max_probes, progress=progress)
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    except UsageError as exc:
        fail(str(exc), 2)
    except ArchsimError as exc:
        fail(str(exc), 1)
    _emit(result, as_json)
    if not result.met:
        raise typer.Exit(1)


def parse_slos(texts: list[str]) -> list[Objective]:
    """Every ``--slo`` parsed; a malformed one is a usage error (exit 2)."""
    from archsim.analysis.objectives import parse_objective

    try:
        return [parse_objective(text) for text in texts]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--slo") from None


def _emit(result: CapacityResult, as_json: bool) -> None:
    from archsim.report.capacity_render import render_capacity

    if as_json:
        import json

        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif stdout.is_terminal:
        render_capacity(result, stdout)
    else:
        from rich.console import Console

        render_capacity(result, Console(width=200, color_system=None, highlight=False),
                        plain=True)
