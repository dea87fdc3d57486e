"""Shared helpers of the dynamics tests: tiny topologies, run replications, t intervals."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

import archsim
from archsim.engine.run import ReplicationResult, RunSettings, run_replication

WIDEN = 2.0  # as tests/engine/_accuracy.py: 2 x the 95% half-width


def topology(rate: str, extra: str = "", work: str = "1ms", workers: int = 64) -> archsim.Topology:
    """One workload ``rate`` (YAML flow text) to a service with ``workers`` workers."""
    return archsim.load(f"""archsim: 1
name: dyn
workload:
  - name: req
    to: svc/op
    rate: {rate}
components:
  svc:
    type: service
    workers: {workers}
{extra}    endpoints: {{op: {{work: {work}}}}}
""")


def run(topo: archsim.Topology, seeds: range, duration_s: float, warmup_s: float = 0.0,
        timeline_s: float | None = None) -> list[ReplicationResult]:
    """Replications with ``seeds`` in this process."""
    settings = RunSettings(duration_s, warmup_s, timeline_s=timeline_s)
    return [run_replication(topo, seed, settings) for seed in seeds]


def within_ci(values: list[float], expected: float) -> tuple[bool, float, float]:
    """Whether ``expected`` is within WIDEN x the Student-t 95% half-width of the mean."""
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    half = float(stats.t.ppf(0.975, len(array) - 1) * array.std(ddof=1) / math.sqrt(len(array)))
    return abs(mean - expected) <= WIDEN * half, mean, half
