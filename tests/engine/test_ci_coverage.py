"""The report's 95% confidence interval covers the true mean about 95% of the time.

Every accuracy test trusts ``ci95``; this test checks the interval itself. It repeats a short
M/M/1 experiment (rho = 0.5, 5 replications) with 100 disjoint seed ranges and counts how
often the reported ``ci95.latency_ms_mean`` contains the exact W = 1 / (mu - lambda) = 200 ms.

If the interval is right, the number of hits is Binomial(100, 0.95): mean 95, sd 2.2.
P(hits < 88) = 0.0015 and P(hits > 99) = 0.0059, so the accepted band [0.88, 0.99] fails a
correct engine with probability < 1% (the seeds are fixed, so in practice never), while an
interval that is too narrow by a third (true coverage ~ 80%) or a biased mean falls below 0.88,
and an interval twice too wide (coverage ~ 100%) exceeds 0.99.
"""

from __future__ import annotations

from scipy import stats

import archsim
from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings
from archsim.report.build import build_report

MM1 = """\
archsim: 1
name: coverage
workload: [{name: req, to: s/e, rate: 5}]
components:
  s: {type: service, workers: 1, endpoints: {e: {work: {dist: exponential, mean: 100ms}}}}
"""
EXPERIMENTS = 100
REPLICATIONS = 5
TRUE_MEAN_MS = 1000.0 / (10.0 - 5.0)


def test_binomial_band_is_what_the_docstring_says():
    assert stats.binom.cdf(87, EXPERIMENTS, 0.95) < 0.002
    assert stats.binom.sf(99, EXPERIMENTS, 0.95) < 0.006


def test_ci95_of_mean_response_covers_theory_about_95_percent():
    topology = archsim.load(MM1)
    # 150 s per replication is ~750 requests; the relaxation time at rho = 0.5 is ~1.2 s,
    # so 10 s of warm-up removes the empty-start bias.
    settings = RunSettings(150.0, 10.0)
    hits = 0
    for experiment in range(EXPERIMENTS):
        seed = 10_000 + REPLICATIONS * experiment  # disjoint seed ranges
        results = run_replications(topology, seed, REPLICATIONS, settings, jobs=1)
        low, high = build_report(topology, results, seed).requests["req"]["ci95"][
            "latency_ms_mean"]
        hits += low <= TRUE_MEAN_MS <= high
    coverage = hits / EXPERIMENTS
    print(f"CHECK ci95 coverage of M/M/1 mean: simulated {coverage:.2f} theory 0.95 "
          f"accepted [0.88, 0.99] (Binomial({EXPERIMENTS}, 0.95))")
    assert 0.88 <= coverage <= 0.99
