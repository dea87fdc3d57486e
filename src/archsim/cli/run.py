"""``archsim run TOPOLOGY``: simulate and report."""

from __future__ import annotations

from typing import Annotated

import typer

from archsim.cli import options
from archsim.cli.common import (
    check_writable,
    fail,
    print_issues,
    resolve_topology,
    stderr,
    stdout,
    warn_if_closed,
)
from archsim.cli.options import parse_run_length, parse_seconds, with_run_length


def command(
    topology: options.TopologyArg,
    duration: options.Duration = None,
    warmup: options.Warmup = None,
    replications: options.Replications = None,
    seed: options.Seed = None,
    jobs: options.Jobs = None,
    rate_scale: options.RateScale = 1.0,
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value: KEY=VALUE (repeatable), e.g. components.app.replicas=5 or "
        "workload.browse.rate=500.")] = None,
    as_json: Annotated[bool, options.as_json("Print the JSON report only.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print a long-format CSV.")] = False,
    output: Annotated[str | None, options.output("Write the report to this file.")] = None,
    max_in_flight: Annotated[int, options.max_in_flight(
        "Stop an unstable run past this many requests in flight.")] = options.MAX_IN_FLIGHT,
    plot: Annotated[str | None, options.plot(
        "Also draw latency distributions and utilization to this .png, .svg or .pdf (needs "
        "matplotlib).")] = None,
    timeline: Annotated[str | None, typer.Option(
        "--timeline", help="Add per-interval series of this width (e.g. 1s) to the report, "
        "warm-up included, and sparklines to the tables.", show_default=False)] = None,
) -> None:
    """Simulate a topology and report throughput, latency, utilization and the bottleneck.

    Examples:
      archsim run monolith
      archsim run shop.yaml --duration 120s --replications 10 --json
      archsim run shop.yaml --set components.app.replicas=6 --rate-scale 1.5
      archsim run shop.yaml --plot latency.png
      archsim run shop.yaml --timeline 1s --json
    """
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--json/--csv")
    check_writable(output)
    duration_s, warmup_s = parse_run_length(duration, warmup)
    timeline_s = parse_seconds(timeline, "--timeline") if timeline else None
    if timeline_s is not None and timeline_s <= 0:  # type: ignore[operator]
        raise typer.BadParameter("expected an interval > 0, e.g. 1s", param_hint="--timeline")
    from archsim.cli.progress import LazyProgress
    from archsim.engine.simulate import simulate
    from archsim.engine.timeline import TimelineError
    from archsim.errors import ArchsimError, SpecError, UsageError
    from archsim.spec.loader import load

    try:
        check_plot(plot)
        topo = load(resolve_topology(topology), with_run_length(overrides, duration, warmup))
        warn_if_closed(topo, rate_scale)
        with LazyProgress(f"simulating {topo.name}") as progress:
            report = simulate(topo, duration_s=duration_s, warmup_s=warmup_s,
                              replications=replications, seed=seed,
                              jobs=jobs, rate_scale=rate_scale, max_in_flight=max_in_flight,
                              progress=progress, timeline_s=timeline_s)
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    except TimelineError as exc:  # raised before anything is simulated
        raise typer.BadParameter(str(exc), param_hint="--timeline") from None
    except UsageError as exc:
        fail(str(exc), 2)
    except ArchsimError as exc:
        fail(str(exc), 1)
    emit(report, as_json, as_csv, output)
    if plot:
        from archsim.report.figures import plot_run

        draw_plot(plot_run, report, plot)


def check_plot(path: str | None) -> None:
    """Refuse a bad --plot file type (exit 2) or a missing matplotlib (exit 1) before running."""
    if path:
        from archsim.report.plot import check_plot_path, require_matplotlib

        check_plot_path(path)
        require_matplotlib()


def draw_plot(draw: object, result: object, path: str) -> None:
    """Draw ``result`` to ``path`` with ``draw`` and say so on stderr (exit 1 on failure)."""
    from archsim.errors import ArchsimError

    try:
        draw(result, path)  # type: ignore[operator]
    except ArchsimError as exc:
        fail(str(exc), 1)
    stderr.print(f"plot written to {path}", markup=False)


def emit(report: object, as_json: bool, as_csv: bool, output: str | None) -> None:
    """Write the report as JSON, CSV or tables to stdout or ``output``."""
    from archsim.report.jsonout import to_csv, to_json

    if as_json or as_csv:
        text = to_json(report) if as_json else to_csv(report)  # type: ignore[arg-type]
        if output:
            _write(output, text)
        else:
            typer.echo(text, nl=False)
        return
    from archsim.report.render import render

    if output:
        from rich.console import Console

        try:
            with open(output, "w", encoding="utf-8") as handle:
                render(report, Console(file=handle, width=120, color_system=None),  # type: ignore[arg-type]
                       plain=True)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}", 1)
        stderr.print(f"report written to {output}", markup=False)
        return
    if stdout.is_terminal:
        render(report, stdout)  # type: ignore[arg-type]
    else:
        from rich.console import Console

        render(report, Console(width=200, color_system=None, highlight=False),  # type: ignore[arg-type]
               plain=True)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}", 1)
