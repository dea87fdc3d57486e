"""``archsim report``: one self-contained HTML page for a design review.

Either simulate here (one TOPOLOGY: a run, plus a load curve with ``--sweep``; two or more: a
comparison) or render saved results (``--from-json`` with the output of ``run``, ``compare`` or
``sweep --json``; TOPOLOGY files then only draw the diagrams).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from archsim.cli import options
from archsim.cli.common import fail, print_issues, resolve_topology, stderr, warn_if_closed
from archsim.cli.options import parse_run_length, with_run_length

if TYPE_CHECKING:
    from archsim.report.document import Document


def command(
    topologies: Annotated[list[str] | None, typer.Argument(
        help="Topology files or bundled model names: one is simulated, two or more compared. "
        "With --from-json they only supply the diagrams.", show_default=False,
        metavar="TOPOLOGY")] = None,
    output: Annotated[str, options.output("The HTML file to write.")] = "report.html",
    from_json: Annotated[list[str] | None, typer.Option(
        "--from-json", help="Render a saved 'archsim run|compare|sweep --json' output instead "
        "of simulating (repeatable: a run and a sweep make one page; '-' reads stdin).",
        show_default=False)] = None,
    sweep_values: Annotated[str | None, typer.Option(
        "--sweep", help="Also sweep the rate scale for the load-latency curve: "
        "START:STOP[:STEP] or a comma list (one TOPOLOGY).", show_default=False)] = None,
    title: Annotated[str | None, typer.Option(help="The page title.",
                                              show_default="from the content")] = None,
    duration: options.Duration = None,
    warmup: options.Warmup = None,
    replications: options.Replications = None,
    seed: options.Seed = None,
    jobs: options.Jobs = None,
    rate_scale: Annotated[float | None, options.rate_scale(show_default="1")] = None,
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value in every topology: KEY=VALUE (repeatable).")] = None,
) -> None:
    """Write a self-contained HTML report: diagram, tables, latency, load curve, timelines.

    The page has no scripts and loads nothing (inline SVG and styles), so it opens offline
    and can be mailed or attached to a design review. Charts need matplotlib
    (pip install 'archsim[plot]').

    \b
    Examples:
      archsim report monolith -o monolith.html
      archsim report shop.yaml --sweep 0.2:2.0:0.2 -o shop.html
      archsim report monolith.yaml microservices.yaml -o compare.html
      archsim run shop.yaml --json > run.json
      archsim report --from-json run.json shop.yaml -o shop.html
    """
    names = topologies or []
    simulating = {"--sweep": sweep_values, "--duration": duration, "--warmup": warmup,
                  "--replications": replications, "--seed": seed, "--jobs": jobs,
                  "--rate-scale": rate_scale, "--set": overrides}
    if from_json:
        given = [flag for flag, value in simulating.items() if value]
        if given:
            raise typer.BadParameter(f"{', '.join(given)}: only when simulating; "
                                     "--from-json renders saved results",
                                     param_hint="--from-json")
    elif not names:
        raise typer.BadParameter("give a TOPOLOGY to simulate, or --from-json FILE",
                                 param_hint="TOPOLOGY")
    elif sweep_values and len(names) != 1:
        raise typer.BadParameter(f"--sweep takes one TOPOLOGY, got {len(names)}",
                                 param_hint="--sweep")
    duration_s, warmup_s = parse_run_length(duration, warmup)
    scales = _sweep_scales(sweep_values) if sweep_values else None
    settings = {"duration_s": duration_s, "warmup_s": warmup_s,
                "replications": replications, "seed": seed, "jobs": jobs}
    from archsim.errors import ArchsimError, SpecError, UsageError

    try:
        loaded = _load(names, with_run_length(overrides, duration, warmup))
        if from_json:
            document = _saved(from_json, loaded)
        else:
            document = _simulated(loaded, settings, rate_scale or 1.0, scales)
        if title:
            document.title = title
        from archsim.report.html import write_html

        write_html(document, output)
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    except UsageError as exc:
        fail(str(exc), 2)
    except ArchsimError as exc:
        fail(str(exc), 1)
    stderr.print(f"report written to {output}", markup=False)


def _load(names: list[str], overrides: list[str]) -> list[Any]:
    """Every topology, all issues of all files reported at once."""
    from archsim.errors import SpecError
    from archsim.spec.loader import load

    loaded, issues = [], []
    for name in names:
        try:
            loaded.append(load(resolve_topology(name), overrides))
        except SpecError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SpecError(issues)
    return loaded


def _saved(paths: list[str], topologies: list[Any]) -> Document:
    from archsim.report.document import load_json

    document = load_json(paths[0])
    for path in paths[1:]:
        document.merge(load_json(path))
    document.add_topologies(topologies)
    return document


def _simulated(topologies: list[Any], settings: dict[str, Any], rate_scale: float,
               scales: list[float] | None) -> Document:
    from archsim.cli.progress import LazyProgress
    from archsim.report import document as documents

    for topology in topologies:
        warn_if_closed(topology, rate_scale, sweeping=bool(scales))
    if len(topologies) > 1:
        from archsim.analysis.compare import compare

        with LazyProgress(f"comparing {len(topologies)} layouts") as progress:
            comparison = compare(topologies, rate_scale=rate_scale, progress=progress,
                                 **settings)
        return documents.from_comparison(comparison, topologies)
    from archsim.engine.simulate import simulate

    topology = topologies[0]
    with LazyProgress(f"simulating {topology.name}") as progress:
        report = simulate(topology, rate_scale=rate_scale, progress=progress, **settings)
    document = documents.from_report(report, topology)
    if scales:
        from archsim.analysis.sweep import sweep

        with LazyProgress(f"sweeping the rate scale over {len(scales)} points") as progress:
            result = sweep(topology, scales, progress=progress, **settings)
        document.merge(documents.from_sweep(result, topology))
    return document


def _sweep_scales(text: str) -> list[float]:
    """The rate scales of ``--sweep``, checked before anything runs (usage error, exit 2)."""
    from archsim.analysis.sweep import parse_values

    try:
        values = parse_values(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sweep") from None
    return options.check_rate_scales(values, text, "--sweep")
