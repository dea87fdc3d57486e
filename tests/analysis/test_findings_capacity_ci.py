"""Finding: ``archsim capacity`` gave per-replication p99 intervals below zero (a symmetric
Student-t interval on a positive, skewed quantity with two or three replications).

Theory target: an M/M/1 queue's response time is exponential with rate mu - lambda
(Kleinrock, *Queueing Systems* vol. 1, 1975, eq. 3.27), so p99 = ln(100) / (mu - lambda); at
rate scale 1.8 of 50/s (lambda = 90/s, mu = 100/s) that is 460.5 ms.
"""

from __future__ import annotations

import math

import pytest

import archsim
from archsim.analysis.objectives import interval_ci95, measure, parse_objective
from archsim.analysis.stats import mean_ci95, positive_mean_ci95
from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings

MM1 = """\
archsim: 1
name: mm1
workload: [{name: req, to: server/work, rate: 50}]
components:
  server: {type: service, workers: 1, endpoints: {work: {work: {dist: exponential, mean: 10ms}}}}
"""
THEORY_P99_MS = math.log(100) / (100.0 - 90.0) * 1000


def test_cox_interval_by_hand() -> None:
    """[50, 200] ms: y = ln x has mean ln 100 and variance 2 ln(2)^2 = 0.9609; t(0.975, 1) =
    12.706, so the ends are exp(ln 100 + 0.4805 -+ 12.706 sqrt(0.9609/2 + 0.9609^2/2))."""
    low, high = positive_mean_ci95([50.0, 200.0])
    variance = 2 * math.log(2) ** 2
    half = 12.706205 * math.sqrt(variance / 2 + variance**2 / 2)
    assert low == pytest.approx(100 * math.exp(variance / 2 - half), rel=1e-6)
    assert high == pytest.approx(100 * math.exp(variance / 2 + half), rel=1e-6)
    assert low == pytest.approx(7.12e-4, rel=1e-2)
    assert mean_ci95([50.0, 200.0])[0] == pytest.approx(125 - 953.0, abs=1.0)  # t: < 0
    assert positive_mean_ci95([0.0, 1.0]) is None  # no logarithm of 0
    assert interval_ci95("p99", [0.0, 1.0]) == (0.0, pytest.approx(6.853, abs=1e-3))
    assert interval_ci95("error_rate", [0.0, 0.002]) == (0.0, pytest.approx(0.013706, abs=1e-6))


def test_mm1_p99_interval_positive_and_holds_the_mean_and_theory() -> None:
    """Seed 21, two replications of 20 s at lambda = 90/s: per-replication p99 245.6 and
    206.3 ms. The t interval was (-23.9, 475.8); the log-scale one is (74.2, 693.0), which
    holds their mean 226.0 ms and the theoretical 460.5 ms (short runs at utilization 0.9
    underestimate the steady-state p99)."""
    topology = archsim.load(MM1)
    results = run_replications(topology, 21, 2, RunSettings(20.0, 2.0, 1.8, 200_000), 1)
    item = measure(parse_objective("p99<100ms"), "req", results)
    assert item.value == pytest.approx(225.97, abs=0.01)
    old = mean_ci95([245.632127, 206.305540])
    assert old is not None and old[0] == pytest.approx(-23.88, abs=0.01)
    assert item.ci95 is not None
    low, high = item.ci95
    assert low == pytest.approx(74.24, abs=0.01)
    assert high == pytest.approx(693.03, abs=0.01)
    assert 0 < low <= item.value <= high
    assert low <= THEORY_P99_MS <= high
    assert item.verdict == "uncertain"


def test_capacity_intervals_stay_positive() -> None:
    """Every latency interval of a two-replication capacity search is positive and holds its
    point estimate; the M/M/1 capacity for p99 < 100 ms is lambda = 100 - ln(100)/0.1 =
    53.95/s (rate scale 1.079), inside the search's bracket."""
    result = archsim.capacity(MM1, ["p99<100ms"], duration_s=20.0, warmup_s=2.0,
                              replications=2, seed=1, jobs=1, max_probes=8)
    latency = [m for p in result.probes for m in p.measures if m.ci95 is not None]
    assert latency
    for item in latency:
        assert 0 < item.ci95[0] <= item.value <= item.ci95[1]
    low, high = result.rate_scale_ci95
    assert low * 50 <= 100 - math.log(100) / 0.1 <= high * 50
