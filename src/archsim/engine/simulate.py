"""``archsim.simulate``: the public entry point of a simulation run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings, run_replication
from archsim.errors import UsageError

if TYPE_CHECKING:
    from archsim.report.build import Report
    from archsim.spec.schema import Topology

DEFAULT_MAX_IN_FLIGHT = 200_000
PILOT_FOR_AUTO_WARMUP = 0.5


def simulate(
    topology: Topology,
    *,
    duration_s: float | None = None,
    warmup_s: float | str | None = "file",
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    rate_scale: float = 1.0,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    progress: Callable[[float], None] | None = None,
    timeline_s: float | None = None,
) -> Report:
    """Simulate a topology and return the combined report.

    Parameters
    ----------
    topology:
        A validated topology from :func:`archsim.load`.
    duration_s:
        Measured simulated time per replication, seconds (default: the file's ``simulation``).
    warmup_s:
        Warm-up discarded from every statistic, seconds; ``None`` picks it from the data
        (MSER-5 on a pilot run); the default ``"file"`` takes the file's setting.
    replications:
        Independent replications with seeds ``seed .. seed + n - 1``.
    seed:
        Seed of the first replication.
    jobs:
        Worker processes (default all cores); the report does not depend on it.
    rate_scale:
        Factor applied to every open workload's rate.
    max_in_flight:
        Bound on client requests in flight per replication; past it the run stops with a
        ModelError naming the saturated component.
    progress:
        Called with the fraction done (0..1).
    timeline_s:
        Bin width of the report's ``timeline`` (seconds, warm-up included); None for none.

    Returns
    -------
    Report
        ``report.to_dict()`` is the JSON report of SPEC section 3.

    Raises
    ------
    UsageError
        For non-positive durations, replications or rate scale, or a ``timeline_s`` that is
        not > 0 or makes more than 100,000 bins per replication (then also a ValueError).
    ModelError
        For an unstable model past ``max_in_flight``, or a construct the engine cannot run.
    """
    from archsim.report.build import build_report

    sim = topology.simulation
    duration = sim.duration if duration_s is None else duration_s
    warmup = sim.warmup if warmup_s == "file" else warmup_s
    count = sim.replications if replications is None else replications
    first_seed = sim.seed if seed is None else seed
    if duration <= 0:
        raise UsageError(f"the duration must be > 0 s, got {duration}")
    if count < 1:
        raise UsageError(f"replications must be >= 1, got {count}")
    if rate_scale < 0:
        raise UsageError(f"the rate scale must be >= 0, got {rate_scale}")
    if warmup is not None and (not isinstance(warmup, (int, float)) or warmup < 0):
        raise UsageError(f"the warm-up must be >= 0 s, got {warmup}")
    auto = warmup is None
    if timeline_s is not None:
        check_timeline(timeline_s, duration, warmup)  # type: ignore[arg-type]
    if auto:
        warmup = auto_warmup(topology, first_seed, duration, rate_scale, max_in_flight)
    settings = RunSettings(float(duration), float(warmup), rate_scale, max_in_flight,  # type: ignore[arg-type]
                           timeline_s=timeline_s)
    results = run_replications(topology, first_seed, count, settings, jobs, progress)
    report = build_report(topology, results, first_seed, rate_scale)
    report.simulation["warmup_auto"] = auto
    return report


def check_timeline(interval_s: float, duration_s: float, warmup_s: float | None) -> None:
    """Refuse a timeline interval <= 0 s or one making more than 100,000 bins, before any run.

    ``warmup_s`` None (automatic): counted at its longest, half the duration.
    """
    from archsim.engine.timeline import TimelineError, check_bin_count

    if not interval_s > 0:
        raise TimelineError(f"the timeline interval must be > 0 s, got {interval_s}")
    if warmup_s is None:
        check_bin_count(interval_s, duration_s * PILOT_FOR_AUTO_WARMUP, duration_s,
                        "the automatic warm-up counted at its longest, half the duration")
    else:
        check_bin_count(interval_s, warmup_s, duration_s)


def auto_warmup(topology: Topology, seed: int, duration_s: float, rate_scale: float,
                max_in_flight: int) -> float:
    """Warm-up chosen by MSER-5 on a pilot replication without warm-up.

    The pilot (seed ``seed``, the full duration) records every response time in completion
    order; MSER-5 (White 1997) gives the number of leading responses to drop, and the warm-up
    is the time by which that many responses had completed (at most half the duration, and
    never past the start of the first fault). MSER-5 finds a minimum even in a series without
    start-up bias (and then drops up to half of it); a truncation is kept only when the
    dropped responses' batch means differ from the rest's (Welch's t test at 5%).
    """
    from archsim.analysis.stats import mser5_truncation

    settings = RunSettings(duration_s, 0.0, rate_scale, max_in_flight)
    pilot = run_replication(topology, seed, settings)
    best = 0.0
    for stats in pilot.classes:
        latencies = stats.latencies_s
        if len(latencies) < 20:
            continue
        drop = mser5_truncation(latencies)
        if drop and _biased(latencies, drop):
            # completion times are not kept; estimate them from the class throughput
            best = max(best, duration_s * drop / len(latencies))
    cap = duration_s * PILOT_FOR_AUTO_WARMUP
    starts = [fault.at for fault in topology.faults if fault.at > 0]
    if starts:  # a fault is a scheduled event, not start-up bias: never cut into one
        cap = min(cap, min(starts))
    return min(best, cap)


def _biased(latencies: Any, drop: int) -> bool:
    """Whether the first ``drop`` responses differ in mean from the rest (Welch's t test on
    batch means of 5, the batches MSER-5 uses; 5% level). No evidence: no warm-up needed."""
    import numpy as np
    from scipy import stats

    values = np.asarray(latencies, dtype=float)
    usable = len(values) // 5 * 5
    batches = values[:usable].reshape(-1, 5).mean(axis=1)
    head, tail = batches[:drop // 5], batches[drop // 5:]
    if len(head) < 2 or len(tail) < 2:
        return True  # too little to test: keep MSER's answer
    if abs(head.mean() - tail.mean()) <= 1e-6 * abs(tail.mean()):
        return False  # the same up to rounding (every response took the same time)
    result = stats.ttest_ind(head, tail, equal_var=False)
    return bool(result.pvalue < 0.05)
