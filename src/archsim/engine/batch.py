"""Many simulations at once: every (run, replication) pair is one task on one executor.

:func:`archsim.simulate` runs one topology's replications in parallel; a sweep of twenty points
with five replications each would then keep at most five workers busy. :func:`simulate_batch`
submits all a hundred replications together (and the warm-up pilots before them when the
warm-up is automatic), so a cluster of any size is kept busy, and builds each run's report
exactly as :func:`archsim.simulate` does: same seeds, same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.engine.cluster import Call, run_calls
from archsim.engine.run import RunSettings, run_replication
from archsim.engine.simulate import DEFAULT_MAX_IN_FLIGHT, auto_warmup
from archsim.errors import ModelError, UsageError

if TYPE_CHECKING:
    from archsim.report.build import Report
    from archsim.spec.schema import Topology

PILOT_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class BatchRun:
    """One simulation of a batch: a topology at a rate scale."""

    topology: Topology
    rate_scale: float = 1.0


@dataclass(frozen=True, slots=True)
class _Plan:
    duration_s: float
    warmup_s: float | None
    replications: int
    seed: int


def simulate_batch(
    runs: Sequence[BatchRun],
    *,
    executor: Any = None,
    duration_s: float | None = None,
    warmup_s: float | str | None = "file",
    replications: int | None = None,
    seed: int | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    progress: Callable[[float], None] | None = None,
) -> list[Report | ModelError]:
    """Simulate every run, all replications on one executor; a report or the error per run.

    Parameters
    ----------
    runs:
        The simulations, each a topology and a rate scale.
    executor:
        From :func:`archsim.engine.cluster.open_executor`; ``None`` runs in this process.
    duration_s, warmup_s, replications, seed, max_in_flight:
        As for :func:`archsim.simulate` (seconds); settings not given come from each
        topology's ``simulation`` section.
    progress:
        Called with the fraction done (0..1).

    Returns
    -------
    list
        Per run, in order: its :class:`~archsim.report.build.Report`, identical to
        ``archsim.simulate`` with the same settings, or the ModelError that stopped it (an
        unstable model past ``max_in_flight``).

    Raises
    ------
    UsageError
        For non-positive durations, replications or rate scales, or a negative warm-up.
    """
    plans = [_plan(run, duration_s, warmup_s, replications, seed) for run in runs]
    pilots = [index for index, plan in enumerate(plans) if plan.warmup_s is None]
    units = sum(p.replications for p in plans) + PILOT_WEIGHT * len(pilots)
    done_pilots = PILOT_WEIGHT * len(pilots) / (units or 1.0)

    def scaled(start: float, share: float) -> Callable[[float], None]:
        return lambda fraction: progress(start + share * fraction) if progress else None

    warmups: dict[int, float | ModelError] = {}
    if pilots:
        calls = [Call(auto_warmup, (runs[i].topology, plans[i].seed, plans[i].duration_s,
                                    runs[i].rate_scale, max_in_flight)) for i in pilots]
        for index, value in zip(pilots, run_calls(executor, calls, scaled(0.0, done_pilots)),
                                strict=True):
            warmups[index] = value
    tasks: list[tuple[int, int]] = []
    calls = []
    for index, (run, plan) in enumerate(zip(runs, plans, strict=True)):
        warmup = warmups.get(index, plan.warmup_s)
        if isinstance(warmup, Exception):
            continue
        settings = RunSettings(plan.duration_s, float(warmup), run.rate_scale,  # type: ignore[arg-type]
                               max_in_flight)
        for replication_seed in range(plan.seed, plan.seed + plan.replications):
            tasks.append((index, replication_seed))
            calls.append(Call(run_replication, (run.topology, replication_seed, settings),
                              fractional=True))
    outcomes = run_calls(executor, calls, scaled(done_pilots, 1.0 - done_pilots))
    return _reports(runs, plans, warmups, tasks, outcomes)


def _plan(run: BatchRun, duration_s: float | None, warmup_s: float | str | None,
          replications: int | None, seed: int | None) -> _Plan:
    """The run's settings, checked as :func:`archsim.simulate` checks them."""
    sim = run.topology.simulation
    duration = sim.duration if duration_s is None else duration_s
    warmup = sim.warmup if warmup_s == "file" else warmup_s
    count = sim.replications if replications is None else replications
    if duration <= 0:
        raise UsageError(f"the duration must be > 0 s, got {duration}")
    if count < 1:
        raise UsageError(f"replications must be >= 1, got {count}")
    if run.rate_scale < 0:
        raise UsageError(f"the rate scale must be >= 0, got {run.rate_scale}")
    if warmup is not None and (not isinstance(warmup, (int, float)) or warmup < 0):
        raise UsageError(f"the warm-up must be >= 0 s, got {warmup}")
    return _Plan(duration, warmup, count, sim.seed if seed is None else seed)  # type: ignore[arg-type]


def _reports(runs: Sequence[BatchRun], plans: list[_Plan],
             warmups: dict[int, float | ModelError], tasks: list[tuple[int, int]],
             outcomes: list[Any]) -> list[Report | ModelError]:
    from archsim.report.build import build_report

    by_run: dict[int, list[Any]] = {}
    for (index, _), outcome in zip(tasks, outcomes, strict=True):
        by_run.setdefault(index, []).append(outcome)
    reports: list[Report | ModelError] = []
    for index, (run, plan) in enumerate(zip(runs, plans, strict=True)):
        results = by_run.get(index, [])
        failure = warmups.get(index)
        if not isinstance(failure, Exception):
            failure = next((r for r in results if isinstance(r, Exception)), None)
        if failure is not None:
            reports.append(_model_error(failure))
            continue
        report = build_report(run.topology, results, plan.seed, run.rate_scale)
        report.simulation["warmup_auto"] = plan.warmup_s is None
        reports.append(report)
    return reports


def _model_error(error: Exception) -> ModelError:
    """Only a ModelError stops a single run; any other ArchsimError is raised at once."""
    if isinstance(error, ModelError):
        return error
    raise error
