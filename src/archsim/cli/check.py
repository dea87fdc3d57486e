"""``archsim check TOPOLOGY...``: simulate, test the ``slos``, exit 1 when one is missed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from archsim.cli import options
from archsim.cli.common import (
    fail,
    print_issues,
    resolve_topology,
    stderr,
    stdout,
    warn_if_closed,
)
from archsim.cli.options import parse_run_length, with_run_length

if TYPE_CHECKING:
    from archsim.analysis.check import CheckResult
    from archsim.report.junit import CheckFailure


def command(
    topologies: Annotated[list[str], typer.Argument(
        help="Topology files, or bundled model names.", show_default=False,
        metavar="TOPOLOGY...")],
    duration: options.Duration = None,
    warmup: options.Warmup = None,
    replications: options.Replications = None,
    seed: options.Seed = None,
    jobs: options.Jobs = None,
    rate_scale: options.RateScale = 1.0,
    overrides: Annotated[list[str] | None, options.overrides(
        "Override a value in every file: KEY=VALUE (repeatable).")] = None,
    as_json: Annotated[bool, options.as_json("Print the results as JSON only.")] = False,
    junit: Annotated[str | None, typer.Option(
        "--junit", help="Also write a JUnit XML file (one test case per objective) for CI.",
        show_default=False, metavar="FILE")] = None,
) -> None:
    """Simulate each topology and test its 'slos'; exit 1 when any objective is missed.

    Every objective of the file's slos section is tested against the run's point estimate
    (latency percentiles over all replications, error rate, throughput). Exit code 0 when all
    are met, 1 when one is missed or a file is invalid or unstable, 2 for wrong usage.

    \b
    Examples:
      archsim check shop.yaml
      archsim check designs/*.yaml --junit slo-report.xml
      archsim check shop.yaml --rate-scale 1.5 --json
    """
    duration_s, warmup_s = parse_run_length(duration, warmup)
    settings = {"duration_s": duration_s, "warmup_s": warmup_s, "replications": replications,
                "seed": seed, "jobs": jobs, "rate_scale": rate_scale}
    changes = with_run_length(overrides, duration, warmup)
    outcomes = [_check_one(name, changes, settings, as_json) for name in topologies]
    if junit:
        _write_junit(junit, outcomes)
    passed = all(_passed(o) for o in outcomes)
    if as_json:
        typer.echo(json.dumps({"passed": passed, "checks": [_as_dict(o) for o in outcomes]},
                              indent=2, allow_nan=False))
    elif len(outcomes) > 1:
        failed = sum(not _passed(o) for o in outcomes)
        stdout.print(f"{len(outcomes)} files checked: {len(outcomes) - failed} passed, "
                     f"{failed} failed", markup=False)
    raise typer.Exit(0 if passed else 1)


def _check_one(name: str, overrides: list[str], settings: dict[str, Any],
               as_json: bool) -> CheckResult | CheckFailure:
    from archsim.analysis.check import check
    from archsim.cli.progress import LazyProgress
    from archsim.errors import ModelError, SpecError, UsageError
    from archsim.report.junit import CheckFailure
    from archsim.spec.loader import load

    path = resolve_topology(name)
    try:
        topology = load(path, overrides)
        warn_if_closed(topology, settings["rate_scale"])
        with LazyProgress(f"checking {topology.name}") as progress:
            result = check(topology, progress=progress, **settings)
    except SpecError as exc:
        print_issues(exc.issues)
        return CheckFailure(path, str(exc))
    except UsageError as exc:
        fail(str(exc), 2)
    except ModelError as exc:
        stderr.print(f"error: {path}: {exc}", markup=False)
        return CheckFailure(path, str(exc))
    for warning in result.report.warnings:
        stderr.print(f"warning: {path}: {warning}", markup=False)
    if not result.slos:
        stderr.print(f"warning: {path}: no slos in the file; nothing to check", markup=False)
    if not as_json:
        _print_result(result)
    return result


def _print_result(result: CheckResult) -> None:
    from rich.console import Console

    from archsim.analysis.slo import describe
    from archsim.report.render import render_slos

    plain = not stdout.is_terminal
    console = Console(width=200, color_system=None, highlight=False) if plain else stdout
    sim = result.report.simulation
    console.print(f"{result.report.topology} ({result.source}): {sim['replications']} "
                  f"replication(s) x {sim['duration_s']:g} s after {sim['warmup_s']:g} s "
                  f"warm-up, seed {sim['seed']}", markup=False)
    if result.slos:
        render_slos(result.slos, console, plain)
    total, missed = len(result.slos), result.missed
    if not missed:
        console.print(f"PASSED: {total} of {total} objectives met", markup=False)
        return
    console.print(f"FAILED: {len(missed)} of {total} objectives missed", markup=False)
    for row in missed:
        objective, target, value = describe(row)
        console.print(f"  {row['request']}: {objective} {target}, got {value}", markup=False)


def _passed(outcome: CheckResult | CheckFailure) -> bool:
    from archsim.report.junit import CheckFailure

    return not isinstance(outcome, CheckFailure) and outcome.passed


def _as_dict(outcome: CheckResult | CheckFailure) -> dict[str, Any]:
    from archsim.report.junit import CheckFailure

    if isinstance(outcome, CheckFailure):
        return {"source": outcome.source, "passed": False, "error": outcome.message}
    return outcome.to_dict()


def _write_junit(path: str, outcomes: list[CheckResult | CheckFailure]) -> None:
    from archsim.report.junit import junit_xml

    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(junit_xml(outcomes))
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}", 1)
