"""``archsim.capacity``: the highest load that still meets every objective.

The search runs over the rate scale (a factor on every open workload's rate). Each probe is a
full simulation with the same seeds, and each objective is measured with a 95% interval across
replications (:mod:`archsim.analysis.objectives`), so a probe is *met* (the whole interval
meets every objective), *missed* (some objective's whole interval misses, or the run is
saturated in the sense of :mod:`archsim.analysis.overload`) or *uncertain*.

The search keeps ``low``, the highest scale met, and ``high``, the lowest scale missed. It
starts from ``low = 0`` and ``high`` = the scale where queueing theory says the first service
saturates (or doubles from 1 until a probe misses when theory gives no bound), and bisects.
Once a probe is uncertain, the boundary lies within simulation noise of it; the search then
bisects the two gaps between ``low``, the uncertain probes and ``high`` until each is below
``tolerance`` x ``high``. ``[low, high]`` is reported as the 95% interval of the capacity and
the point estimate is the highest probe whose mean values meet every objective.

Throughput objectives are lower bounds (met only from some load on), so they do not steer the
search; they are checked at the capacity point, and a miss there means no load meets all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from archsim.analysis.objectives import (
    MET,
    MISSED,
    UNCERTAIN,
    Objective,
    file_objectives,
    parse_objective,
    point_met,
)
from archsim.analysis.overload import analytic_saturation_scale, next_steps
from archsim.analysis.probe import Probe, Prober
from archsim.errors import UsageError

if TYPE_CHECKING:
    from archsim.spec.loader import Source
    from archsim.spec.schema import Topology

SEARCH_LIMIT = 1024.0
"""Without an analytic bound, the search doubles the rate scale up to this factor."""


@dataclass
class CapacityResult:
    """The capacity found, the state of the system there and what to scale next."""

    topology: str
    objectives: list[Objective]
    met: bool
    rate_scale: float
    rate_scale_ci95: tuple[float, float]
    analytic_saturation_scale: float | None
    at_capacity: Probe | None
    limit: list[str]
    next_steps: list[dict[str, Any]]
    probes: list[Probe]
    simulation: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        report = self.at_capacity.report if self.at_capacity else None
        return {
            "topology": self.topology,
            "objectives": [o.text for o in self.objectives],
            "met": self.met,
            "rate_scale": round(self.rate_scale, 6),
            "rate_scale_ci95": [_round(v) for v in self.rate_scale_ci95],
            "analytic_saturation_scale": _round(self.analytic_saturation_scale),
            "requests": {name: _slim(entry) for name, entry in
                         (report["requests"] if report else {}).items()},
            "bottleneck": report["bottleneck"] if report else None,
            "utilization": {name: entry["utilization"] for name, entry in
                            (report["components"] if report else {}).items()
                            if entry.get("utilization") is not None},
            "limit": self.limit,
            "next": self.next_steps,
            "measures": [asdict(m) for m in self.at_capacity.measures] if self.at_capacity
            else [],
            "probes": [p.summary() for p in self.probes],
            "simulation": self.simulation,
            "warnings": self.warnings,
        }


def capacity(
    source: Source | Topology,
    objectives: Sequence[Objective | str] = (),
    *,
    overrides: Sequence[str] = (),
    duration_s: float | None = None,
    warmup_s: float | str | None = "file",
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    max_in_flight: int | None = None,
    tolerance: float = 0.02,
    max_probes: int = 16,
    progress: Callable[[float], None] | None = None,
) -> CapacityResult:
    """Find the highest rate scale at which every objective is met.

    Parameters
    ----------
    source:
        A topology file, YAML text or a loaded Topology.
    objectives:
        Objectives or their text (``"p99<200ms"``, see :mod:`archsim.analysis.objectives`);
        empty means the file's ``slos``.
    overrides:
        ``KEY=VALUE`` strings, as ``--set``.
    duration_s, warmup_s, replications, seed, jobs, max_in_flight:
        As for :func:`archsim.simulate` (seconds); every probe uses the same seeds. Use at
        least two replications: the interval comes from their spread.
    tolerance:
        Stop when the gaps of the bracket are below this fraction of its upper end.
    max_probes:
        At most this many simulations.
    progress:
        Called with the fraction of the probe budget used (0..1).

    Returns
    -------
    CapacityResult
        ``to_dict()`` gives ``rate_scale``, ``requests`` (offered rates at that scale),
        ``bottleneck`` and ``next`` (what to scale).

    Raises
    ------
    SpecError
        When the file or an override is invalid.
    UsageError
        Without objectives, for an objective naming an unknown request class, without an
        open workload, or for a bad tolerance or probe budget.

    Examples
    --------
    >>> result = capacity("models/monolith.yaml", ["p99<200ms"])   # doctest: +SKIP
    >>> result.to_dict()["bottleneck"]                              # doctest: +SKIP
    'app'
    """
    topology = _load(source, overrides)
    goals = _objectives(topology, objectives)
    if not 0 < tolerance < 1 or max_probes < 2:
        raise UsageError(f"need 0 < tolerance < 1 and max_probes >= 2, got {tolerance} and "
                         f"{max_probes}")
    run = Prober(topology, goals, duration_s, warmup_s, replications, seed, jobs,
                  max_in_flight, max_probes, progress)
    analytic = analytic_saturation_scale(topology)
    high = analytic if analytic is not None else _upper_bound(run)
    low = 0.0
    for probe in run.probes:
        low, high = _update(probe, low, high)
    while len(run.probes) < max_probes:
        scale = _next_scale(run.probes, low, high, tolerance)
        if scale is None:
            break
        low, high = _update(run.probe(scale), low, high)
    if progress is not None:
        progress(1.0)
    return _result(topology, goals, run, low, high, analytic)


def _load(source: Source | Topology, overrides: Sequence[str]) -> Topology:
    from archsim.spec.loader import load
    from archsim.spec.schema import Topology

    if isinstance(source, Topology):
        if overrides:
            raise UsageError("overrides need the topology file or text, not a loaded Topology")
        topology = source
    else:
        topology = load(source, overrides)
    if not any(w.is_open for w in topology.workload):
        raise UsageError(f"{topology.name}: capacity scales the rate of open workloads, and "
                         "this topology has none (only 'users:' workloads)")
    return topology


def _objectives(topology: Topology, given: Sequence[Objective | str]) -> list[Objective]:
    try:
        goals = [g if isinstance(g, Objective) else parse_objective(g) for g in given]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    goals = goals or file_objectives(topology)
    if not goals:
        raise UsageError("no objective: give one such as --slo 'p99<200ms', or add 'slos:' "
                         "to the topology")
    names = [w.name for w in topology.workload]
    for goal in goals:
        if goal.request is not None and goal.request not in names:
            from archsim.spec.overrides import suggest

            raise UsageError(f"objective {goal.text!r} names the request class "
                             f"{goal.request!r}, which is not in the workload ("
                             f"{', '.join(names)}).{suggest(goal.request, names)}")
    return goals


def _upper_bound(run: Prober) -> float:
    """Double the scale from 1 until a probe misses (no analytic bound to start from)."""
    scale = 1.0
    while scale <= SEARCH_LIMIT and len(run.probes) < run.budget:
        if run.probe(scale).verdict == MISSED:
            return scale
        scale *= 2
    return float("inf")


def _update(probe: Probe, low: float, high: float) -> tuple[float, float]:
    if probe.verdict == MET and probe.rate_scale > low:
        return probe.rate_scale, max(high, probe.rate_scale)
    if probe.verdict == MISSED and probe.rate_scale < high:
        return min(low, probe.rate_scale), probe.rate_scale
    return low, high


def _next_scale(probes: list[Probe], low: float, high: float,
                tolerance: float) -> float | None:
    """The next scale to try, or None when the bracket is narrow enough.

    First the crossing of the mean values is narrowed to ``tolerance`` x ``high``; then the
    gaps between the confident ends and the band of noisy probes, until each is below that or
    half the band's width (the interval's ends matter less than the estimate).
    """
    if high == float("inf"):
        return None
    slack = tolerance * high
    inside = [p for p in probes if low <= p.rate_scale < high]
    point_low = max((p.rate_scale for p in inside if p.point_met), default=low)
    point_high = min((p.rate_scale for p in inside if not p.point_met
                      and p.rate_scale > point_low), default=high)
    if point_high - point_low > slack:
        return (point_low + point_high) / 2
    band = [p.rate_scale for p in inside if p.verdict == UNCERTAIN]
    band_low = min([*band, point_low, point_high])
    band_high = max([*band, point_low, point_high])
    enough = max(slack, (band_high - band_low) / 2)
    below, above = band_low - low, high - band_high
    if max(below, above) <= enough:
        return None
    return (low + band_low) / 2 if below >= above else (band_high + high) / 2


def _result(topology: Topology, goals: list[Objective], run: Prober, low: float,
            high: float, analytic: float | None) -> CapacityResult:
    candidates = [p for p in run.probes if p.point_met and p.rate_scale < high]
    best = max(candidates, key=lambda p: p.rate_scale, default=None)
    shown = best or min(run.probes, key=lambda p: p.rate_scale, default=None)
    warnings = []
    limit = _limit(run.probes, high, analytic)
    met = best is not None
    if best is not None:
        lower_missed = [m.objective + f" on {m.request}" for m, g in
                        zip(best.measures, run.expanded(), strict=True)
                        if not g.upper and not point_met(m, g)]
        if lower_missed:
            met = False
            limit = [f"{text} is missed even at the capacity point" for text in lower_missed]
    if high == float("inf"):
        warnings.append(f"every objective is still met at {SEARCH_LIMIT:g}x the load; the "
                        "search stopped there")
    if run.replications < 2:
        warnings.append("one replication gives no confidence interval; the verdicts use "
                        "single values")
    if len(run.probes) >= run.budget:
        warnings.append(f"the probe budget ({run.budget}) ran out before the bracket was "
                        "narrow enough")
    if shown is not None and shown.report is not None:
        warnings.extend(shown.report["warnings"])
    return CapacityResult(
        topology=topology.name, objectives=goals, met=met,
        rate_scale=best.rate_scale if best else 0.0, rate_scale_ci95=(low, high),
        analytic_saturation_scale=analytic, at_capacity=shown, limit=limit,
        next_steps=next_steps(shown.report if shown else None),
        probes=sorted(run.probes, key=lambda p: p.rate_scale),
        simulation=_simulation(run, shown), warnings=warnings)


def _limit(probes: list[Probe], high: float, analytic: float | None) -> list[str]:
    """What is missed just above the capacity: each objective at its worst class."""
    missed = [p for p in probes if p.verdict == MISSED and p.rate_scale == high]
    if missed:
        probe = missed[0]
        worst: dict[str, Any] = {}
        for item in probe.measures:
            if item.verdict != MISSED:
                continue
            kept = worst.get(item.objective)
            lower = item.metric == "throughput"
            if kept is None or (item.value or 0) * (-1 if lower else 1) > (
                    kept.value or 0) * (-1 if lower else 1):
                worst[item.objective] = item
        found = [f"{m.objective} missed at rate scale {high:.4g}: {m.value_text} on "
                 f"{m.request}" for m in worst.values()]
        return found + [f"at rate scale {high:.4g}: {r}" for r in probe.saturated]
    if analytic is not None and high == analytic:
        return [f"saturation: queueing theory puts utilization at 1 at rate scale {analytic:.4g}"]
    return []


def _simulation(run: Prober, shown: Probe | None) -> dict[str, Any]:
    if shown is not None and shown.report is not None:
        return {k: v for k, v in shown.report["simulation"].items() if k != "rate_scale"}
    return {"duration_s": run.duration_s, "warmup_s": run.warmup_s,
            "replications": run.replications, "seed": run.seed}


def _slim(entry: dict[str, Any]) -> dict[str, Any]:
    return {"offered_rps": entry["offered_rps"], "throughput_rps": entry["throughput_rps"],
            "error_rate": entry["error_rate"], "latency_ms": entry["latency_ms"]}


def _round(value: float | None) -> float | None:
    """Rounded for JSON; None for a missing or infinite value."""
    return None if value is None or value == float("inf") else round(value, 6)
