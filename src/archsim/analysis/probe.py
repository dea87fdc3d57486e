"""Probes of a capacity search: one simulation at one rate scale, judged on the objectives.

A probe is *met* when the whole 95% interval of every upper-bound objective meets it,
*missed* when some objective's whole interval misses it or the run is saturated
(:mod:`archsim.analysis.overload`), *uncertain* otherwise. Throughput objectives (lower
bounds) are measured but do not decide the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from archsim.analysis.objectives import (
    MET,
    MISSED,
    UNCERTAIN,
    Measure,
    Objective,
    measure,
    point_met,
)
from archsim.analysis.overload import saturation_reasons
from archsim.errors import ModelError, UsageError

if TYPE_CHECKING:
    from archsim.spec.schema import Topology


@dataclass(frozen=True, slots=True)
class Probe:
    """One simulated load: the verdict, every objective measured, and the report."""

    rate_scale: float
    verdict: str
    point_met: bool
    measures: tuple[Measure, ...]
    saturated: tuple[str, ...]
    report: dict[str, Any] | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """Plain data without the report."""
        return {"rate_scale": self.rate_scale, "verdict": self.verdict,
                "point_met": self.point_met, "saturated": list(self.saturated),
                "measures": [asdict(m) for m in self.measures]}



class Prober:
    """Runs probes with fixed settings and keeps them in the order they ran."""

    def __init__(self, topology: Topology, goals: list[Objective], duration_s: float | None,
                 warmup_s: float | str | None, replications: int | None, seed: int | None,
                 jobs: int | None, max_in_flight: int | None, budget: int,
                 progress: Callable[[float], None] | None) -> None:
        from archsim.engine.simulate import DEFAULT_MAX_IN_FLIGHT

        sim = topology.simulation
        self.topology, self.goals, self.jobs = topology, goals, jobs
        self.duration_s = sim.duration if duration_s is None else duration_s
        self.warmup_s = sim.warmup if warmup_s == "file" else warmup_s
        self.replications = sim.replications if replications is None else replications
        self.seed = sim.seed if seed is None else seed
        self.max_in_flight = max_in_flight or DEFAULT_MAX_IN_FLIGHT
        self.budget, self.progress = budget, progress
        self.probes: list[Probe] = []
        if self.duration_s <= 0 or self.replications < 1:
            raise UsageError(f"need a duration > 0 s and replications >= 1, got "
                             f"{self.duration_s} and {self.replications}")
        if self.warmup_s is not None and (not isinstance(self.warmup_s, (int, float))
                                          or self.warmup_s < 0):
            raise UsageError(f"the warm-up must be >= 0 s, got {self.warmup_s}")

    def probe(self, scale: float) -> Probe:
        """Simulate at ``scale``, measure every objective and classify the probe."""
        from archsim.engine.replicate import run_replications
        from archsim.engine.run import RunSettings
        from archsim.engine.simulate import auto_warmup
        from archsim.report.build import build_report

        done = len(self.probes)

        def step(fraction: float) -> None:
            if self.progress is not None:
                self.progress(min(1.0, (done + fraction) / self.budget))

        try:
            warmup = self.warmup_s
            if warmup is None:
                warmup = auto_warmup(self.topology, self.seed, self.duration_s, scale,
                                     self.max_in_flight)
            settings = RunSettings(self.duration_s, float(warmup), scale,  # type: ignore[arg-type]
                                   self.max_in_flight)
            results = run_replications(self.topology, self.seed, self.replications, settings,
                                       self.jobs, step)
        except ModelError as exc:
            reasons = saturation_reasons(self.topology, scale, None, str(exc))
            probe = Probe(scale, MISSED, False, (), tuple(reasons))
            self.probes.append(probe)
            return probe
        report = build_report(self.topology, results, self.seed, scale).to_dict()
        reasons = tuple(saturation_reasons(self.topology, scale, report))
        measures = tuple(measure(goal, name, results) for goal in self.goals
                         for name in self._classes(goal))
        steering = [(m, g) for m, g in zip(measures, self.expanded(), strict=True) if g.upper]
        verdicts = {m.verdict for m, _ in steering}
        verdict = (MISSED if reasons or MISSED in verdicts else
                   UNCERTAIN if UNCERTAIN in verdicts else MET)
        met = not reasons and all(point_met(m, g) for m, g in steering)
        probe = Probe(scale, verdict, met, measures, reasons, report)
        self.probes.append(probe)
        return probe

    def _classes(self, goal: Objective) -> list[str]:
        return [goal.request] if goal.request else [w.name for w in self.topology.workload]

    def expanded(self) -> list[Objective]:
        """The objective behind each of a probe's measures, in the same order."""
        return [goal for goal in self.goals for _ in self._classes(goal)]
