"""Finding: a component's "residence ms" averaged rejected requests (time ~0) in, so a
waiting room that rejects showed a shorter residence than its served requests spend.

Theory target: M/M/1/K with rho = lambda / mu, P_n = (1 - rho) rho^n / (1 - rho^(K+1)),
L = sum n P_n, and admitted requests spend W = L / (lambda (1 - P_K)) (Little's law on the
admitted stream; Gross & Harris, *Fundamentals of Queueing Theory*, 4th ed., section 2.5).
Here lambda = 80/s, mu = 100/s, K = 3 (one worker, two waiting places): P_K = 0.1734,
L = 1.2249, W = 18.52 ms, while averaging the rejected in gives W (1 - P_K) = 15.31 ms.
"""

from __future__ import annotations

import pytest

import archsim
from archsim.analysis.stats import mean_ci95
from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings

MM1K = """\
archsim: 1
name: mm1k
simulation: {duration: 100s, warmup: 5s, replications: 5, seed: 1}
workload: [{name: req, to: server/work, rate: 80}]
components:
  server:
    type: service
    workers: 1
    queue: 2
    endpoints: {work: {work: {dist: exponential, mean: 10ms}}}
"""
RATE, MU, K = 80.0, 100.0, 3


def theory() -> tuple[float, float]:
    """(P_K, W in ms) of the M/M/1/K queue."""
    rho = RATE / MU
    probabilities = [(1 - rho) * rho**n / (1 - rho ** (K + 1)) for n in range(K + 1)]
    number = sum(n * p for n, p in enumerate(probabilities))
    return probabilities[K], number / (RATE * (1 - probabilities[K])) * 1000


def test_residence_of_admitted_requests_matches_mm1k() -> None:
    blocking, residence_ms = theory()
    assert blocking == pytest.approx(0.17344, abs=1e-5)
    assert residence_ms == pytest.approx(18.524, abs=1e-3)
    topology = archsim.load(MM1K)
    results = run_replications(topology, 1, 5, RunSettings(100.0, 5.0, 1.0, 200_000), 1)
    stats = [next(c for c in r.components if c.name == "server") for r in results]
    per_rep = [s.residence_mean_s * 1000 for s in stats]
    low, high = mean_ci95(per_rep)  # type: ignore[misc]
    assert low <= residence_ms <= high  # 5 seeded replications of 100 s
    assert high - low < 2.0  # +-0.74 ms with these seeds
    everyone = [s.residence_sum / s.departed * 1000 for s in stats]
    assert max(everyone) < low  # the old figure, rejected in: about 15.3 ms
    assert sum(everyone) / 5 == pytest.approx(residence_ms * (1 - blocking), abs=0.6)
    shares = [s.rejected / s.departed for s in stats]
    share_low, share_high = mean_ci95(shares)  # type: ignore[misc]
    assert share_low <= blocking <= share_high
    report = archsim.simulate(topology, jobs=1).to_dict()["components"]["server"]
    merged = sum(s.completed_residence_sum for s in stats) / sum(s.completed for s in stats)
    assert report["residence_ms_mean"] == pytest.approx(merged * 1000, abs=1e-4)
    assert report["rejected"] == sum(s.rejected for s in stats)
    assert report["rejected"] == pytest.approx(RATE * 100 * 5 * blocking, rel=0.03)
