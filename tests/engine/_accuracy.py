"""Shared helpers of the accuracy tests: run replications, build CIs, compare with theory.

How a tolerance is set
----------------------
Every stochastic check compares a closed-form value with the Student-t 95% confidence interval
of the replication means (replications are independent, so their means are iid and close to
normal; Law, *Simulation Modeling and Analysis*, 5th ed., section 9.4.1). The check passes when
the theory value lies inside that interval widened by ``WIDEN``:

    |mean of replications - theory| <= WIDEN * t_{0.975, n-1} * s / sqrt(n)

With ``WIDEN = 2`` a correct engine fails one check with probability
P(|T_{n-1}| > 2 t_{0.975, n-1}): 0.5% for n = 5, 0.21% for n = 8, 0.14% for n = 10. Seeds
are fixed, so a run is deterministic; the margin is what keeps the suite green when an engine
optimisation legitimately reshuffles random numbers, while a bias of a few half-widths (a few
per cent here) still fails. The interval is computed here with scipy, independently of
:mod:`archsim.analysis.stats`, and one test checks that the report's own ``ci95`` agrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

import archsim
from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings
from archsim.report.build import build_report

if TYPE_CHECKING:
    from collections.abc import Sequence

    from archsim.engine.run import ReplicationResult

WIDEN = 2.0
"""Factor applied to the 95% half-width (see the module docstring for the false-alarm rate)."""


@dataclass
class Run:
    """One experiment: the JSON report plus the raw replication results behind it."""

    report: dict
    results: list[ReplicationResult]
    samples_s: dict[str, np.ndarray]

    def request(self, name: str = "req") -> dict:
        """The report entry of request class ``name``."""
        return self.report["requests"][name]

    def component(self, name: str) -> dict:
        """The report entry of component ``name``."""
        return self.report["components"][name]

    def latencies(self, cls: str = "req") -> list[np.ndarray]:
        """Per-replication response times (seconds) of class ``cls``."""
        out = []
        for result in self.results:
            stats_ = next(c for c in result.classes if c.name == cls)
            out.append(np.frombuffer(stats_.latencies_s, dtype=float))
        return out

    def mean_latency(self, cls: str = "req") -> list[float]:
        """Per-replication mean response time (seconds)."""
        return [float(v.mean()) for v in self.latencies(cls)]

    def components_named(self, name: str) -> list:
        """Per-replication ComponentStats of component ``name``."""
        return [next(c for c in r.components if c.name == name) for r in self.results]

    def classes_named(self, name: str = "req") -> list:
        """Per-replication ClassStats of class ``name``."""
        return [next(c for c in r.classes if c.name == name) for r in self.results]

    @property
    def duration_s(self) -> float:
        return self.results[0].duration_s


def simulate(yaml_text: str, *, duration_s: float, warmup_s: float, replications: int,
             seed: int = 1, timeline_s: float | None = None) -> Run:
    """Run ``replications`` replications in this process and build the report from them.

    This is what :func:`archsim.simulate` does with ``jobs=1``; the raw results are kept so a
    test can compute per-replication statistics the report does not carry.
    """
    topology = archsim.load(yaml_text)
    settings = RunSettings(duration_s, warmup_s, timeline_s=timeline_s)
    results = run_replications(topology, seed, replications, settings, jobs=1)
    report = build_report(topology, results, seed)
    return Run(report.to_dict(), results, report.latency_samples_s)


def t_interval(values: Sequence[float]) -> tuple[float, float]:
    """(mean, 95% Student-t half-width) of independent replication values."""
    array = np.asarray(values, dtype=float)
    count = len(array)
    assert count >= 2, "a confidence interval needs at least two replications"
    half = stats.t.ppf(0.975, count - 1) * array.std(ddof=1) / math.sqrt(count)
    return float(array.mean()), float(half)


def check(label: str, values: Sequence[float], theory: float, *,
          widen: float = WIDEN) -> tuple[float, float]:
    """Assert ``theory`` lies in the replications' 95% CI widened by ``widen``.

    Prints one ``CHECK`` line (visible with ``pytest -s``) and returns (mean, tolerance).
    """
    mean, half = t_interval(values)
    tolerance = widen * half
    print(f"CHECK {label}: simulated {mean:.6g} theory {theory:.6g} tolerance {tolerance:.3g} "
          f"(95% half-width {half:.3g} x {widen:g}, n={len(values)})")
    assert abs(mean - theory) <= tolerance, (
        f"{label}: simulated {mean:.6g} vs theory {theory:.6g}: off by {mean - theory:+.4g}, "
        f"more than {widen:g} x the 95% half-width {half:.4g} over {len(values)} replications")
    return mean, tolerance


def check_interval(label: str, interval: Sequence[float], theory: float, *,
                   widen: float = WIDEN) -> None:
    """Assert ``theory`` lies in a reported 95% interval [lo, hi] widened by ``widen``."""
    low, high = interval
    centre, half = (low + high) / 2.0, (high - low) / 2.0
    tolerance = widen * half
    print(f"CHECK {label}: simulated {centre:.6g} theory {theory:.6g} tolerance {tolerance:.3g} "
          f"(reported ci95 [{low:.6g}, {high:.6g}] x {widen:g})")
    assert abs(centre - theory) <= tolerance, (
        f"{label}: reported ci95 [{low:.6g}, {high:.6g}] widened x{widen:g} misses theory "
        f"{theory:.6g}")
