"""Finding: ``sweep`` and ``capacity`` judged utilization in theory by a blocking service's own
work only, while ``analyze`` holds the worker through the downstream calls.

Hand computation for ``CHAIN`` (open arrivals at lambda = 20/s, every hop 1 ms one way):
``back`` is an M/M/1 queue (mu = 50/s) fed by a Poisson stream (``front`` has 8 workers, so it
passes its arrivals on unqueued but for a negligible share), so its mean response is
1 / (mu - lambda) (Kleinrock, *Queueing Systems* vol. 1, 1975, eq. 3.26). A blocking ``front``
holds its worker for its own work, the hop out and back, and that response:
H = 10 ms + 2 x 1 ms + 1 / (50 - lambda), and its utilization is lambda H / 8 (utilization law,
Lazowska et al. 1984, ch. 3). It reaches 1 where lambda (0.012 + 1 / (50 - lambda)) = 8, i.e.
0.012 lambda^2 - 9.6 lambda + 400 = 0, lambda = (9.6 - sqrt(9.6^2 - 4 x 0.012 x 400)) / 0.024
= 44.10/s, rate scale 2.2049; counting only its own work it would never saturate before ``back``
(rate scale 2.5).
"""

from __future__ import annotations

import math

import pytest

import archsim
from archsim.analysis.overload import (
    analytic_saturation_scale,
    analytic_utilization,
    saturation_reasons,
)

CHAIN = """\
archsim: 1
name: chain
network: {latency: {dist: constant, mean: 1ms}}
simulation: {duration: 100s, warmup: 5s, replications: 5, seed: 1}
workload: [{name: req, to: front/get, rate: 20}]
components:
  front:
    type: service
    workers: 8
    endpoints:
      get:
        work: {dist: exponential, mean: 10ms}
        calls: [{to: back/get}]
  back:
    type: service
    workers: 1
    endpoints: {get: {work: {dist: exponential, mean: 20ms}}}
"""
RATE, WORKERS, OWN_S, HOPS_S, MU = 20.0, 8, 0.010, 0.002, 50.0


def holding_s(rate: float) -> float:
    """Own work + hop out and back + M/M/1 response of the callee."""
    return OWN_S + HOPS_S + 1.0 / (MU - rate)


SATURATION_RATE = (9.6 - math.sqrt(9.6**2 - 4 * 0.012 * 400)) / (2 * 0.012)


def test_chain_utilization_is_the_holding_time_over_workers() -> None:
    topology = archsim.load(CHAIN)
    utilization = analytic_utilization(topology, 1.0)
    assert utilization["front"] == pytest.approx(RATE * holding_s(RATE) / WORKERS, rel=1e-9)
    assert utilization["front"] == pytest.approx(0.113333, abs=1e-6)  # own work only: 0.025
    assert utilization["back"] == pytest.approx(0.4, rel=1e-9)
    assert SATURATION_RATE == pytest.approx(44.0974, abs=1e-4)
    assert analytic_saturation_scale(topology) == pytest.approx(SATURATION_RATE / RATE,
                                                                rel=1e-6)  # not 2.5


def test_chain_theory_against_simulation() -> None:
    """The simulated busy share of front's workers (blocking: held through the call) has a
    95% interval over 5 seeded replications of 100 s that holds lambda H / 8 = 0.1133."""
    report = archsim.simulate(archsim.load(CHAIN), jobs=1).to_dict()
    front = report["components"]["front"]
    low, high = front["ci95_utilization"]
    assert low <= RATE * holding_s(RATE) / WORKERS <= high
    assert front["utilization"] == pytest.approx(0.1133, abs=0.006)


def test_sweep_point_uses_the_holding_time() -> None:
    """At rate scale 2.3 (lambda = 46/s) H = 12 ms + 250 ms and front is offered
    46 x 0.262 / 8 = 1.51 workers per worker: saturated in theory, as analyze says."""
    result = archsim.sweep(CHAIN, [1.0, 2.3], duration_s=2.0, warmup_s=0.5, replications=2,
                           jobs=1)
    light, heavy = result.points
    assert light.analytic_utilization["front"] == pytest.approx(0.1133, abs=1e-4)
    expected = 46.0 * holding_s(46.0) / WORKERS
    assert heavy.analytic_utilization["front"] == pytest.approx(expected, abs=1e-4)
    assert f"front: utilization {expected:.3g} in theory" in heavy.saturated
    assert result.saturation == 1


def test_capacity_starts_from_analyze_saturation() -> None:
    result = archsim.capacity(CHAIN, ["p99<10s"], duration_s=2.0, warmup_s=0.5,
                              replications=2, jobs=1, max_probes=2)
    assert result.analytic_saturation_scale == pytest.approx(SATURATION_RATE / RATE, rel=1e-6)
    assert result.rate_scale_ci95[1] <= SATURATION_RATE / RATE + 1e-9


def test_monolith_sweep_capacity_and_analyze_agree() -> None:
    """The monolith's app holds a thread through six database queries: analyze puts it at
    utilization 0.709 and saturation at rate scale 1.411; own work alone said 0.4875 and 2.05."""
    topology = archsim.load("src/archsim/models/monolith.yaml")
    analysis = archsim.analyze(topology)
    utilization = analytic_utilization(topology, 1.0)
    assert utilization["app"] == analysis.components["app"].offered_utilization
    assert utilization["app"] == pytest.approx(0.70875, abs=1e-6)
    assert analysis.saturation is not None
    scale = analytic_saturation_scale(topology)
    assert scale == analysis.saturation.rate_scale
    assert scale == pytest.approx(1.4109, abs=1e-4)
    above = saturation_reasons(topology, 1.45, None)
    assert above and above[0].startswith("app: utilization 1.0")
    assert saturation_reasons(topology, 1.35, None) == []
