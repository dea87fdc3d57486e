"""``archsim compare A.yaml B.yaml ...`` or ``archsim compare FILE --variant KEY=VALUE ...``."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from archsim.cli import options
from archsim.cli.common import fail, print_issues, resolve_topology, stdout, warn_if_closed
from archsim.cli.options import parse_run_length, with_run_length

BASELINE = "from the baseline"
_NEXT_KEY = re.compile(r",\s*(?=[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*\s*=)")


def split_variant(text: str) -> list[str]:
    """``"a.b=1,c.d={x: 1, y: 2}"`` -> ``["a.b=1", "c.d={x: 1, y: 2}"]``.

    A comma separates two overrides only when a ``KEY=`` follows it, so commas inside flow
    values (``{dist: gamma, mean: 6ms}``) stay part of the value.
    """
    return [part.strip() for part in _NEXT_KEY.split(text) if part.strip()]


def _check_variants(values: list[str] | None) -> list[str] | None:
    """Every part of every ``--variant`` is ``KEY=VALUE`` (usage error, exit 2)."""
    for text in values or ():
        for part in split_variant(text) or [text]:
            problem = options.override_problem(part)
            if problem:
                raise typer.BadParameter(problem)
    return values


def command(
    topologies: Annotated[list[str], typer.Argument(
        help="Two or more topology files (or bundled model names); the first is the baseline. "
        "With --variant, exactly one.", show_default=False, metavar="TOPOLOGY...")],
    variants: Annotated[list[str] | None, typer.Option(
        "--variant", help="A variant of the one TOPOLOGY: KEY=VALUE[,KEY=VALUE...] "
        "(repeatable; each --variant is one more layout, compared with the file as given).",
        show_default=False, callback=_check_variants)] = None,
    duration: Annotated[str | None, options.duration(source=BASELINE)] = None,
    warmup: Annotated[str | None, options.warmup(BASELINE)] = None,
    replications: Annotated[int | None, options.replications("Replications per layout.",
                                                             BASELINE)] = None,
    seed: Annotated[int | None, options.seed(BASELINE)] = None,
    jobs: options.Jobs = None,
    rate_scale: options.RateScale = 1.0,
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value in every layout: KEY=VALUE (repeatable).")] = None,
    independent: Annotated[bool, typer.Option(
        "--independent", help="Give each layout its own seeds and unpaired intervals "
        "(to see what common random numbers gain).")] = False,
    as_json: Annotated[bool, options.as_json("Print the JSON comparison only.")] = False,
    plot: Annotated[str | None, options.plot(
        "Also draw p99 per class and utilization per component, layouts side by side, to "
        "this .png, .svg or .pdf (needs matplotlib).")] = None,
) -> None:
    """Simulate layouts alike and show them side by side, best value marked.

    Every layout runs with the same seeds, so the same workload gets the same arrivals in each
    (common random numbers), and differences from the baseline (the first layout) are paired
    replication by replication: a percent with its 95% confidence interval. Settings not given
    come from the baseline file. --variant makes one more layout from the one TOPOLOGY;
    --set changes every layout.

    \b
    Examples:
      archsim compare monolith.yaml microservices.yaml
      archsim compare shop.yaml --variant components.app.replicas=6
      archsim compare shop.yaml --variant "components.app.replicas=6,components.app.workers=8"
      archsim compare a.yaml b.yaml --replications 10 --json
      archsim compare monolith.yaml microservices.yaml --plot layouts.svg
    """
    if variants and len(topologies) != 1:
        raise typer.BadParameter(f"--variant needs exactly one TOPOLOGY, got {len(topologies)}",
                                 param_hint="--variant")
    if not variants and len(topologies) < 2:
        raise typer.BadParameter(
            "compare needs two or more layouts: give two or more files, or one file and "
            "--variant KEY=VALUE (--set applies to every layout)", param_hint="TOPOLOGY...")
    duration_s, warmup_s = parse_run_length(duration, warmup)
    from archsim.analysis.compare import compare
    from archsim.cli.progress import LazyProgress
    from archsim.cli.run import check_plot, draw_plot
    from archsim.errors import ArchsimError, SpecError, UsageError

    try:
        check_plot(plot)
        layouts = _load(topologies, variants or [], with_run_length(overrides, duration, warmup))
        loaded = list(layouts.values()) if isinstance(layouts, dict) else layouts
        for topology in {t.name: t for t in loaded}.values():
            warn_if_closed(topology, rate_scale)
        with LazyProgress(f"comparing {len(layouts)} layouts") as progress:
            comparison = compare(layouts, duration_s=duration_s, warmup_s=warmup_s,
                                 replications=replications, seed=seed,
                                 jobs=jobs, rate_scale=rate_scale,
                                 common_random_numbers=not independent, progress=progress)
    except SpecError as exc:
        print_issues(exc.issues)
        raise typer.Exit(1) from None
    except UsageError as exc:
        fail(str(exc), 2)
    except ArchsimError as exc:
        fail(str(exc), 1)
    _emit(comparison, as_json)
    if plot:
        from archsim.report.figures import plot_comparison

        draw_plot(plot_comparison, comparison, plot)


def _load(topologies: list[str], variants: list[str], overrides: list[str]) -> Any:
    """The layouts: the files (labelled by compare), or the file and its labelled variants."""
    from archsim.errors import SpecError
    from archsim.spec.loader import load
    from archsim.spec.overrides import variant_override

    paths = [resolve_topology(name) for name in topologies]
    jobs = ([(path, []) for path in paths] if not variants else
            [(paths[0], [])] + [(paths[0], [variant_override(part) for part in
                                             split_variant(text)]) for text in variants])
    loaded, issues = [], []
    for path, extra in jobs:
        try:
            loaded.append(load(path, [*overrides, *extra]))
        except SpecError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SpecError(issues)
    if not variants:
        return loaded
    labels = [loaded[0].name, *(text.strip() for text in variants)]
    return dict(zip(_unique(labels), loaded, strict=True))


def _unique(labels: list[str]) -> list[str]:
    """Labels made unique with ``#2``, ``#3`` (the same --variant given twice)."""
    out: list[str] = []
    for label in labels:
        unique, number = label, 1
        while unique in out:
            number += 1
            unique = f"{label} #{number}"
        out.append(unique)
    return out


def _emit(comparison: object, as_json: bool) -> None:
    if as_json:
        import json

        typer.echo(json.dumps(comparison.to_dict(), indent=2, allow_nan=False))  # type: ignore[attr-defined]
        return
    from rich.console import Console

    from archsim.report.render_compare import render_comparison

    if stdout.is_terminal:
        render_comparison(comparison, stdout)  # type: ignore[arg-type]
    else:
        render_comparison(comparison, Console(width=250, color_system=None, highlight=False),  # type: ignore[arg-type]
                          plain=True)
