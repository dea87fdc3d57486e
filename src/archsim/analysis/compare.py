"""``archsim.compare``: several layouts simulated alike and reported side by side.

Every layout runs with the same settings and, by default, the same seeds
(``seed .. seed + n - 1``): common random numbers. Random streams are derived from the seed and
a stream name (``arrivals:<workload>``, ``work:<component>/<endpoint>``), so a workload with the
same name gets the same arrivals in every layout, and a component with the same name the same
work draws. Differences are then taken replication by replication (paired), which removes most
of the noise both layouts share; a small real difference stays visible. The interval method is
in :mod:`archsim.analysis.paired`. Each difference is given in percent of the baseline and
absolute; where the baseline is below a floor (an error rate or utilization under 1%, a latency
under 1 ms, see :data:`ABSOLUTE_BELOW`) the absolute one is the one shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsim import __version__
from archsim.analysis.metrics import SECTIONS, replication_values, report_values
from archsim.analysis.paired import (
    paired_half_width,
    paired_half_width_pct,
    unpaired_half_width,
    unpaired_half_width_pct,
)
from archsim.engine.run import ReplicationResult, RunSettings
from archsim.engine.simulate import DEFAULT_MAX_IN_FLIGHT, auto_warmup
from archsim.errors import UsageError

if TYPE_CHECKING:
    from archsim.report.build import Report
    from archsim.spec.schema import Topology


ABSOLUTE_BELOW: dict[str, float] = {"error_rate": 0.01, "utilization": 0.01,
                                    "throughput_rps": 1.0, "queue_mean": 0.1,
                                    "backlog_mean": 1.0}
"""Baselines below which a difference is shown absolute, not in percent, per metric (latency
metrics: below ``ABSOLUTE_BELOW_MS``). A relative difference from a near-zero baseline says
nothing (an error rate going from 0.01% to 2% is +19,900%); two percentage points do."""
ABSOLUTE_BELOW_MS = 1.0


def absolute_floor(metric: str) -> float:
    """The baseline below which ``metric``'s difference is shown absolute (its own unit)."""
    if metric.startswith("latency_ms_") or metric.endswith("_ms_mean"):
        return ABSOLUTE_BELOW_MS
    return ABSOLUTE_BELOW.get(metric, 0.0)


@dataclass(frozen=True, slots=True)
class Difference:
    """A layout's value relative to the baseline's, in percent, with its 95% interval; and the
    absolute difference (the metric's own unit) with its interval.

    ``absolute_shown`` is True when the baseline is below the metric's floor
    (:func:`absolute_floor`), where a percentage would mislead; the absolute difference is
    then the one to show and the one whose interval decides :attr:`significant`.
    """

    pct: float | None
    ci95_pct: tuple[float, float] | None
    absolute: float | None = None
    ci95_absolute: tuple[float, float] | None = None
    absolute_shown: bool = False

    @property
    def significant(self) -> bool:
        """Whether the 95% interval shown excludes 0 (a detectable difference)."""
        interval = self.ci95_absolute if self.absolute_shown else self.ci95_pct
        return interval is not None and (interval[0] > 0 or interval[1] < 0)

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95% interval of the difference shown (absolute or in percent)."""
        return self.ci95_absolute if self.absolute_shown else self.ci95_pct


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric of one request class, component or subscriber, across the layouts."""

    values: tuple[float | None, ...]
    better: str | None
    best: tuple[int, ...]
    differences: tuple[Difference | None, ...]


@dataclass
class Comparison:
    """Layouts side by side; :meth:`to_dict` gives the ``archsim compare --json`` document."""

    labels: list[str]
    simulation: dict[str, Any]
    reports: list[Report]
    sections: dict[str, dict[str, dict[str, MetricComparison]]]
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: settings, layouts, per-section metrics, and every layout's report."""
        out: dict[str, Any] = {"archsim_version": __version__, "simulation": self.simulation,
                               "baseline": self.labels[0], "layouts": []}
        for index, (label, report) in enumerate(zip(self.labels, self.reports, strict=True)):
            out["layouts"].append({
                "label": label, "topology": report.topology,
                "source": self.sources[index] if self.sources else None,
                "bottleneck": report.bottleneck,
                "slos_met": all(r["met"] for r in report.slos) if report.slos else None,
                "warnings": report.warnings})
        for section, entries in self.sections.items():
            out[section] = {name: {metric: self._metric(m) for metric, m in metrics.items()}
                            for name, metrics in entries.items()}
        out["reports"] = {label: r.to_dict() for label, r in zip(self.labels, self.reports,
                                                                 strict=True)}
        return out

    def _metric(self, metric: MetricComparison) -> dict[str, Any]:
        diffs = {}
        for label, diff in zip(self.labels[1:], metric.differences[1:], strict=True):
            if diff is not None:
                diffs[label] = {"pct": diff.pct, "ci95_pct": list(diff.ci95_pct)
                                if diff.ci95_pct else None, "significant": diff.significant,
                                "absolute": diff.absolute,
                                "ci95_absolute": list(diff.ci95_absolute)
                                if diff.ci95_absolute else None,
                                "shown": "absolute" if diff.absolute_shown else "pct"}
        return {"values": dict(zip(self.labels, metric.values, strict=True)),
                "better": metric.better, "best": [self.labels[i] for i in metric.best],
                "differences": diffs}


def compare(
    layouts: Sequence[Topology] | Mapping[str, Topology],
    *,
    duration_s: float | None = None,
    warmup_s: float | str | None = "file",
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    rate_scale: float = 1.0,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    common_random_numbers: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Comparison:
    """Simulate several layouts alike and compare them with the first (the baseline).

    Parameters
    ----------
    layouts:
        Two or more topologies; a mapping gives their labels, otherwise each is labelled by its
        name (made unique with its source file, then ``#2``, ``#3``).
    duration_s, warmup_s, replications, seed:
        As for :func:`archsim.simulate`; settings not given come from the baseline's
        ``simulation`` section and apply to every layout. With ``warmup_s=None`` (auto), every
        layout uses the longest warm-up MSER-5 picks for any of them.
    jobs:
        Worker processes shared by all layouts' replications (default all cores).
    rate_scale:
        Factor applied to every open workload rate, in every layout.
    max_in_flight:
        Bound on client requests in flight per replication (see :func:`archsim.simulate`).
    common_random_numbers:
        True (default): every layout uses seeds ``seed .. seed + n - 1`` and differences are
        paired by replication. False: layout ``k`` uses seeds from ``seed + k * n`` and
        differences are unpaired (independent runs), to see what pairing gains.
    progress:
        Called with the fraction done (0..1).

    Returns
    -------
    Comparison
        Per request class, component and subscriber: each layout's value, the best one, and
        each layout's difference from the baseline in percent and absolute, with 95% intervals.

    Raises
    ------
    UsageError
        For fewer than two layouts or invalid settings.
    ModelError
        When a layout is unstable past ``max_in_flight``.
    """
    labels, topologies = _labelled(layouts)
    base = topologies[0].simulation
    duration = base.duration if duration_s is None else duration_s
    count = base.replications if replications is None else replications
    first_seed = base.seed if seed is None else seed
    warmup = base.warmup if warmup_s == "file" else warmup_s
    _check_settings(duration, count, rate_scale, warmup)
    if warmup is None:
        warmup = max(auto_warmup(t, first_seed, duration, rate_scale, max_in_flight)
                     for t in topologies)
    settings = RunSettings(duration, float(warmup), rate_scale, max_in_flight)  # type: ignore[arg-type]
    seeds = [[first_seed + (0 if common_random_numbers else k * count) + i for i in range(count)]
             for k in range(len(topologies))]
    results = run_layouts(topologies, seeds, settings, jobs, progress)
    from archsim.report.build import build_report

    reports = [build_report(t, r, s[0], rate_scale)
               for t, r, s in zip(topologies, results, seeds, strict=True)]
    for report in reports:
        report.simulation["warmup_auto"] = warmup_s is None
    simulation = {"duration_s": duration, "warmup_s": round(float(warmup), 4),
                  "replications": count, "seed": first_seed, "rate_scale": rate_scale,
                  "common_random_numbers": common_random_numbers,
                  "seeds": {label: s[0] for label, s in zip(labels, seeds, strict=True)}}
    sections = _sections(reports, results, common_random_numbers)
    return Comparison(labels, simulation, reports, sections,
                      [t.source for t in topologies])


def _labelled(layouts: Sequence[Topology] | Mapping[str, Topology]
              ) -> tuple[list[str], list[Topology]]:
    if isinstance(layouts, Mapping):
        labels, topologies = [str(k) for k in layouts], list(layouts.values())
    else:
        topologies = list(layouts)
        names = [t.name for t in topologies]
        labels = [t.name if names.count(t.name) == 1 or _same_source(t, topologies)
                  else t.source for t in topologies]
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[index] = f"{label} #{seen[label]}"
    if len(topologies) < 2:
        raise UsageError(f"compare needs at least two layouts, got {len(topologies)}")
    return labels, topologies


def _same_source(topology: Topology, topologies: list[Topology]) -> bool:
    """Whether another layout of the same name comes from the same source (or from text)."""
    twins = [t.source for t in topologies if t.name == topology.name]
    return topology.source == "<string>" or twins.count(topology.source) > 1


def _check_settings(duration: float, count: int, rate_scale: float,
                    warmup: float | str | None) -> None:
    if duration <= 0:
        raise UsageError(f"the duration must be > 0 s, got {duration}")
    if count < 1:
        raise UsageError(f"replications must be >= 1, got {count}")
    if rate_scale < 0:
        raise UsageError(f"the rate scale must be >= 0, got {rate_scale}")
    if warmup is not None and (not isinstance(warmup, (int, float)) or warmup < 0):
        raise UsageError(f"the warm-up must be >= 0 s, got {warmup}")


def run_layouts(topologies: Sequence[Topology], seeds: Sequence[Sequence[int]],
                settings: RunSettings, jobs: int | None = None,
                progress: Callable[[float], None] | None = None
                ) -> list[list[ReplicationResult]]:
    """Run every (layout, seed) replication, over one process pool, grouped by layout.

    The results are in the order of ``seeds`` whatever ``jobs`` is.
    """
    from archsim.engine.replicate import default_jobs
    from archsim.engine.run import run_replication

    tasks = [(k, s) for k, layout_seeds in enumerate(seeds) for s in layout_seeds]
    jobs = min(jobs or default_jobs(), len(tasks))
    done: dict[tuple[int, int], ReplicationResult] = {}
    if jobs <= 1:
        for index, (k, s) in enumerate(tasks):
            def step(fraction: float, index: int = index) -> None:
                if progress is not None:
                    progress((index + fraction) / len(tasks))
            done[k, s] = run_replication(topologies[k], s, settings, step)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(run_replication, topologies[k], s, settings): (k, s)
                       for k, s in tasks}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                if progress is not None:
                    progress(len(done) / len(tasks))
    return [[done[k, s] for s in layout_seeds] for k, layout_seeds in enumerate(seeds)]


def _sections(reports: list[Report], results: list[list[ReplicationResult]],
              paired: bool) -> dict[str, dict[str, dict[str, MetricComparison]]]:
    point = [report_values(r) for r in reports]
    per_rep = [[replication_values(r) for r in layout] for layout in results]
    out: dict[str, dict[str, dict[str, MetricComparison]]] = {}
    for section, metrics in SECTIONS.items():
        names = list(dict.fromkeys(n for p in point for n in p[section]))
        out[section] = {}
        for name in names:
            entry: dict[str, MetricComparison] = {}
            for metric, better in metrics:
                values = tuple(p[section].get(name, {}).get(metric) for p in point)
                if all(v is None for v in values):
                    continue
                reps = [[rep[section].get(name, {}).get(metric) for rep in layout]
                        for layout in per_rep]
                entry[metric] = _metric(values, reps, better, paired, absolute_floor(metric))
            out[section][name] = entry
    return out


def _metric(values: tuple[float | None, ...], reps: list[list[float | None]],
            better: str | None, paired: bool, floor: float = 0.0) -> MetricComparison:
    diffs: list[Difference | None] = [None]
    for k in range(1, len(values)):
        diffs.append(_difference(values[0], values[k], reps[0], reps[k], paired, floor))
    return MetricComparison(values, better, _best(values, reps, better, paired, floor),
                            tuple(diffs))


def _best(values: tuple[float | None, ...], reps: list[list[float | None]],
          better: str | None, paired: bool, floor: float = 0.0) -> tuple[int, ...]:
    """The best layout and those within noise of it; empty when none is detectably better."""
    known = [i for i, v in enumerate(values) if v is not None]
    if better is None or len(known) < 2:
        return ()
    pick = min if better == "lower" else max

    def estimate(index: int) -> float:
        # the per-replication mean when there is one, so the best is chosen with the same
        # estimator as the noise test below (pooled percentiles can rank differently)
        finite = [v for v in reps[index] if v is not None]
        return sum(finite) / len(finite) if finite else values[index]  # type: ignore[return-value]

    top = pick(known, key=estimate)
    group = tuple(i for i in known
                  if i == top or not _separated(top, i, values, reps, paired, floor))
    return () if len(group) == len(known) else group


def _separated(first: int, second: int, values: tuple[float | None, ...],
               reps: list[list[float | None]], paired: bool, floor: float = 0.0) -> bool:
    """Whether two layouts' values differ detectably (95%); by value alone without an interval."""
    if values[first] == values[second]:
        return False
    base, other = (first, second) if values[first] != 0 else (second, first)
    diff = _difference(values[base], values[other], reps[base], reps[other], paired, floor)
    if diff is None or diff.interval is None:
        return True
    return diff.significant


def _difference(base: float | None, value: float | None, base_reps: list[float | None],
                reps: list[float | None], paired: bool, floor: float = 0.0) -> Difference | None:
    """``value`` against ``base``: in percent and absolute, each with its 95% interval."""
    if base is None or value is None:
        return None
    if paired:
        pairs = [(a, b) for a, b in zip(base_reps, reps, strict=True)
                 if a is not None and b is not None]
        first, second = [a for a, _ in pairs], [b for _, b in pairs]
        half = paired_half_width_pct(first, second)
        half_absolute = paired_half_width(first, second)
    else:
        first = [a for a in base_reps if a is not None]
        second = [b for b in reps if b is not None]
        half = unpaired_half_width_pct(first, second)
        half_absolute = unpaired_half_width(first, second)
    absolute = round(value - base, 6)
    interval = (None if half_absolute is None else
                (round(absolute - half_absolute, 6), round(absolute + half_absolute, 6)))
    shown = abs(base) < floor
    if base == 0:
        if value == 0:
            return Difference(0.0, (0.0, 0.0), 0.0, interval or (0.0, 0.0), shown)
        return Difference(None, None, absolute, interval, True)
    pct = round(100.0 * (value / base - 1.0), 4)
    relative = None if half is None else (round(pct - half, 4), round(pct + half, 4))
    return Difference(pct, relative, absolute, interval, shown)
