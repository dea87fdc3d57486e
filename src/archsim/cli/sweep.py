"""``archsim sweep TOPOLOGY --rate-scale A:B:STEP``: the load-latency curve, knee, saturation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from archsim.cli import options
from archsim.cli.common import fail, print_issues, resolve_topology, stdout, warn_if_closed
from archsim.cli.options import parse_run_length, with_run_length

if TYPE_CHECKING:
    from archsim.analysis.sweep import SweepResult


def command(
    topology: options.TopologyArg,
    rate_scale: Annotated[str | None, typer.Option(
        "--rate-scale", help="Rate scales to sweep: START:STOP[:STEP] (inclusive) or a comma "
        "list, e.g. 0.2:2.0:0.2.", show_default=False)] = None,
    param: Annotated[str | None, typer.Option(
        "--param", help="Sweep one value instead: KEY=START:STOP[:STEP] or KEY=A,B,C, e.g. "
        "components.web.replicas=1:8.", show_default=False)] = None,
    duration: Annotated[str | None, options.duration(
        "Measured simulated time per point.")] = None,
    warmup: options.Warmup = None,
    replications: Annotated[int | None, options.replications(
        "Replications per point.")] = None,
    seed: options.Seed = None,
    jobs: Annotated[int | None, options.jobs(
        "Worker processes (all points' replications share them).")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Run on a Dask cluster instead: its scheduler address, e.g. "
        "tcp://10.0.0.5:8786 (needs archsim[dask]; same result as a local run).",
        show_default=False)] = None,
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value at every point: KEY=VALUE (repeatable).")] = None,
    stop_at_saturation: Annotated[bool, typer.Option(
        "--stop-at-saturation", help="Stop after the first saturated point.")] = False,
    plot: Annotated[str | None, options.plot(
        "Also draw the curves to this .png, .svg or .pdf (needs matplotlib).")] = None,
    as_json: Annotated[bool, options.as_json("Print JSON only.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per point.")] = False,
    max_in_flight: Annotated[int, options.max_in_flight(
        "A point past this many requests in flight counts as saturated.")
    ] = options.MAX_IN_FLIGHT,
) -> None:
    """Simulate at every value of one parameter: throughput, p50 and p99, knee, saturation.

    The knee is where p99 bends from flat to steep (Kneedle); the saturation point is the
    first point whose run is unstable, completes under 95% of its arrivals, or where queueing
    theory puts a service at utilization 1. Every point uses the same seeds.

    \b
    Examples:
      archsim sweep monolith --rate-scale 0.2:2.0:0.2
      archsim sweep shop.yaml --param components.app.replicas=1:8 --plot replicas.svg
      archsim sweep shop.yaml --rate-scale 0.5,1,1.5,2 --csv > curve.csv
      archsim sweep shop.yaml --rate-scale 0.1:3.0:0.1 --cluster tcp://10.0.0.5:8786
    """
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--json/--csv")
    parameter, values = _parameter(rate_scale, param)
    duration_s, warmup_s = parse_run_length(duration, warmup)
    changes = with_run_length(overrides, duration, warmup)
    from archsim.analysis.sweep import RATE_SCALE, sweep
    from archsim.cli.progress import LazyProgress
    from archsim.errors import ArchsimError, SpecError, UsageError
    from archsim.report.plot import check_plot_path, plot_sweep, require_matplotlib

    try:
        if plot:
            check_plot_path(plot)
            require_matplotlib()
        if parameter == RATE_SCALE:
            from archsim.spec.loader import load

            warn_if_closed(load(resolve_topology(topology), changes), None, sweeping=True)
        with LazyProgress(f"sweeping {parameter} over {len(values)} points") as progress:
            result = sweep(resolve_topology(topology), values, parameter=parameter,
                           overrides=changes,
                           duration_s=duration_s, warmup_s=warmup_s,
                           replications=replications, seed=seed,
                           jobs=jobs, max_in_flight=max_in_flight,
                           stop_at_saturation=stop_at_saturation, progress=progress,
                           cluster=cluster)
        if plot:
            plot_sweep(result, plot)
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    except UsageError as exc:
        fail(str(exc), 2)
    except ArchsimError as exc:
        fail(str(exc), 1)
    _emit(result, as_json, as_csv)
    if plot:
        from archsim.cli.common import stderr

        stderr.print(f"plot written to {plot}", markup=False)


def _parameter(rate_scale: str | None, param: str | None) -> tuple[str, list[float | str]]:
    """The swept parameter and its values from --rate-scale or --param (usage errors)."""
    from archsim.analysis.sweep import RATE_SCALE, parse_values

    if (rate_scale is None) == (param is None):
        raise typer.BadParameter("give exactly one of --rate-scale and --param",
                                 param_hint="--rate-scale/--param")
    flag, text, key = "--rate-scale", rate_scale, RATE_SCALE
    if param is not None:
        flag = "--param"
        key, sep, text = param.partition("=")
        key = key.strip()
        if not sep or options.override_problem(param):
            raise typer.BadParameter(f"expected KEY=START:STOP[:STEP] or KEY=A,B,C, got "
                                     f"{param!r}", param_hint=flag)
    try:
        values = parse_values(text or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from None
    if param is None:
        options.check_rate_scales(values, text or "", flag)
    return key, values


def _emit(result: SweepResult, as_json: bool, as_csv: bool) -> None:
    import json

    from archsim.report.sweep_render import render_sweep, sweep_csv

    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif as_csv:
        typer.echo(sweep_csv(result), nl=False)
    elif stdout.is_terminal:
        render_sweep(result, stdout)
    else:
        from rich.console import Console

        render_sweep(result, Console(width=200, color_system=None, highlight=False),
                     plain=True)
