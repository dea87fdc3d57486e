"""Caches: the observed hit ratio matches ``hit_ratio``; Zipf keys over an LRU match Che."""

from __future__ import annotations

import math

import numpy as np
import pytest

from archsim.analysis.cache import che_hit_ratio, zipf_popularity
from archsim.model.cache import lru_lookup
from archsim.spec.datatier import CacheKeys
from engine._accuracy import check, simulate

CACHE = """\
archsim: 1
name: cache-aside
workload:
  - {{name: req, to: app/read, rate: 400}}
components:
  app:
    type: service
    workers: 32
    endpoints:
      read: {{work: 1ms, calls: [{{to: cache/get}}]}}
  cache:
    type: cache
    {hit}
    miss: [{{to: db/select}}]
    endpoints:
      get: {{work: 0.2ms}}
      set: {{work: 0.2ms, write: true}}
  db:
    type: database
    workers: 4
    endpoints: {{select: {{work: {{dist: exponential, mean: 2ms}}}}}}
"""


def test_observed_hit_ratio_matches_hit_ratio_and_misses_reach_the_database() -> None:
    run = simulate(CACHE.format(hit="hit_ratio: 0.8"), duration_s=10.0, warmup_s=1.0,
                   replications=5, seed=3)
    ratios = [c.hits / (c.hits + c.misses) for c in run.components_named("cache")]
    check("hit ratio", ratios, 0.8)
    cache = run.component("cache")
    assert cache["hit_ratio"] == pytest.approx(0.8, abs=0.01)
    db_rps = [c.completed / run.duration_s for c in run.components_named("db")]
    check("database load = misses", db_rps, 400 * 0.2)
    assert cache["load_removed_rps"]["db"] == pytest.approx(cache["hits_rps"])
    check("database utilization", [c.busy_area / (4 * run.duration_s)
                                   for c in run.components_named("db")], 80 * 0.002 / 4)


def test_che_matches_a_simulated_lru_over_zipf_keys() -> None:
    """200k i.i.d. requests; a hit sequence is correlated, so allow 4 x the binomial sigma x 3."""
    for count, skew, capacity in [(10_000, 0.9, 1_000), (2_000, 0.6, 100), (500, 1.2, 50)]:
        lookup = lru_lookup(CacheKeys(count=count, skew=skew, capacity=capacity),
                            np.random.default_rng(7))
        draws = 200_000
        observed = sum(lookup() for _ in range(draws)) / draws
        theory = che_hit_ratio(count, skew, capacity)
        sigma = math.sqrt(theory * (1 - theory) / draws)
        print(f"CHECK LRU {count}/{skew}/{capacity}: {observed:.4f} vs Che {theory:.4f}")
        assert abs(observed - theory) <= 12 * sigma + 0.002


def test_keys_give_the_che_hit_ratio_in_a_run() -> None:
    hit = "keys: {count: 5000, skew: 0.8, capacity: 500}"
    run = simulate(CACHE.format(hit=hit), duration_s=10.0, warmup_s=0.5, replications=5, seed=4)
    ratios = [c.hits / (c.hits + c.misses) for c in run.components_named("cache")]
    check("LRU hit ratio in a run", ratios, che_hit_ratio(5000, 0.8, 500), widen=3.0)


def test_che_special_cases() -> None:
    assert che_hit_ratio(1000, 0.0, 250) == pytest.approx(0.25)
    assert che_hit_ratio(10, 1.0, 10) == 1.0
    assert zipf_popularity(3, 1.0).tolist() == pytest.approx([6 / 11, 3 / 11, 2 / 11])
    with pytest.raises(ValueError, match="skew"):
        zipf_popularity(3, -1.0)
