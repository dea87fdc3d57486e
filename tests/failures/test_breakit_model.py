"""Failed replicas in the model: autoscaling through a total outage, cache hits and misses.

Findings 3 and 4 of a black-box test (``replicas_down`` on an autoscaled service and on a
cache), each checked against a hand calculation.
"""

from __future__ import annotations

import math

import pytest
import simpy

import archsim
from archsim.engine.build import build_model
from engine._accuracy import simulate

# as.yaml of the finding, 90 s instead of 120 s: 300/s x 10 ms = 3 busy workers of 2 x 4, so
# u = 0.375 and u / target = 0.75: ceil(2 x 0.75) = 2 replicas, kept (1 would need u <= 0.25,
# 3 would need u > 0.55). Both replicas fail from 30 s to 60 s.
OUTAGE = """
archsim: 1
name: outage
workload: [{name: req, to: lb/get, rate: 300}]
components:
  lb: {type: load_balancer, target: app, health_check: {interval: 1s}}
  app:
    type: service
    replicas: 2
    workers: 4
    autoscale: {min: 1, max: 8, target_utilization: 0.5, interval: 5s, delay: 10s}
    endpoints:
      get: {work: {dist: exponential, mean: 10ms}}
faults:
  - {component: app, at: 30s, for: 30s, replicas_down: 2}
"""


def test_a_total_outage_shows_no_serving_replica_and_does_not_scale_in() -> None:
    run = simulate(OUTAGE, duration_s=90, warmup_s=0, replications=2, timeline_s=5)
    timeline = run.report["timeline"]
    starts = timeline["t_s"]
    replicas = timeline["components"]["app"]["replicas"]
    # bins ending at 35..55 s lie inside the outage; those ending at 30 s and 60 s touch an
    # edge, where the fault and the bin's end fall at the same instant
    inside = [n for t, n in zip(starts, replicas, strict=True) if 30 <= t < 55]
    before = [n for t, n in zip(starts, replicas, strict=True) if t < 25]
    after = [n for t, n in zip(starts, replicas, strict=True) if t >= 60]
    assert inside == [0.0] * 5
    assert before == [2.0] * 5
    assert after == [2.0] * 6, replicas  # the count before the outage, at once
    errors = timeline["requests"]["req"]["errors"]
    arrived = timeline["requests"]["req"]["arrived"]
    # every request arriving in the outage fails at once (the bin from 30 s also has those in
    # service at the failure, which arrived before it)
    assert all(e == a for t, e, a in zip(starts, errors, arrived, strict=True) if 35 <= t < 55)
    app = run.component("app")
    assert (app["replicas"], app["replicas_min"], app["replicas_max"]) == (2, 0, 2)
    # serving replica-seconds: 2 x 30 + 0 x 30 + 2 x 30 = 120 over 90 s
    assert app["replicas_mean"] == pytest.approx(120 / 90, abs=1e-3)


def _scaler(replicas: int):
    topology = archsim.load(OUTAGE.replace("replicas: 2", f"replicas: {replicas}"))
    model = build_model(topology, simpy.Environment(), 1)
    (scaler,) = model.autoscalers
    return scaler


def test_with_failed_replicas_the_count_only_grows_as_hpa_does() -> None:
    # 4 replicas, 2 failed in the interval, target 0.5. u = 0.1 (ratio 0.2): without the
    # failures ceil(4 x 0.2) = 1, with them no scale-in.
    quiet = _scaler(4)
    quiet.decide(0.1, unready=2)
    assert (len(quiet.replicas), len(quiet.pending)) == (4, 0)
    calm = _scaler(4)
    calm.decide(0.1)
    assert len(calm.replicas) == 1
    # u = 0.75 over all 4 replicas, the failed ones idle (HPA's 0% for a not-ready pod on a
    # scale-up): the work done needs 4 x 0.75 / 0.5 = 6 replicas at the target, 2 more
    busy = _scaler(4)
    busy.decide(0.75, unready=2)
    assert (len(busy.replicas), len(busy.pending)) == (4, 6 - 4)
    # u = 0.53 (ratio 1.06, within the 10% tolerance): unchanged
    close = _scaler(4)
    close.decide(0.53, unready=2)
    assert (len(close.replicas), len(close.pending)) == (4, 0)


# cache_down.yaml of the finding: 100/s, hit_ratio 0.8, the cache down from 20 s to 30 s
CACHE_DOWN = """
archsim: 1
name: cachedown
workload:
  - name: req
    to: app/get
    rate: {rate}
components:
  app:
    type: service
    workers: 32
    endpoints:
      get: {{work: 1ms, calls: [{{to: cache/get}}]}}
  cache:
    type: cache
    hit_ratio: 0.8
    endpoints:
      get: {{work: 1ms}}
    miss: [{{to: db/q}}]
  db:
    type: database
    endpoints:
      q: {{work: 5ms}}
faults:
  - {{component: cache, at: 20s, for: 10s, replicas_down: 1}}
"""


@pytest.mark.parametrize("seed", [1, 2])
def test_a_down_cache_counts_no_hit_or_miss_for_the_requests_it_refused(seed: int) -> None:
    # arrivals stop at 60 s and the run goes on to 61 s, so every request has finished
    topology = archsim.load(CACHE_DOWN.format(rate="[{at: 0s, rate: 100}, {at: 60s, rate: 0}]"))
    env = simpy.Environment()
    model = build_model(topology, env, seed)
    (client,) = model.clients
    client.dynamic.horizon_s = 61.0
    client.start()
    env.run(until=61.0)
    app, cache, db = (model.components[n] for n in ("app", "cache", "db"))
    refused = model.ctx.failures.guards["cache"].refused_down
    # every app request calls the cache once: it is refused (down) or served
    assert cache.hits + cache.misses + refused == app.departed
    assert cache.hits + cache.misses == cache.completed
    assert cache.misses == db.departed  # only misses call the database
    # 100/s for 10 s refused (Poisson: sd sqrt(1000) = 32), 100/s for 50 s served
    assert abs(refused - 1000) < 4 * math.sqrt(1000)
    served = cache.completed
    assert abs(served - 5000) < 4 * math.sqrt(5000)
    # hits ~ Binomial(served, 0.8): sd sqrt(5000 x 0.16) = 28
    assert abs(cache.hits - 0.8 * served) < 4 * math.sqrt(served * 0.8 * 0.2)


def test_the_report_of_a_down_cache_adds_up() -> None:
    run = simulate(CACHE_DOWN.format(rate=100), duration_s=60, warmup_s=0, replications=2)
    cache, db = run.component("cache"), run.component("db")
    # served 5/6 of 100/s = 83.3/s; hits 0.8 of it, misses the database's arrivals (a request
    # still in flight at the end can be counted on one side only: 1/60 s per replication)
    assert cache["throughput_rps"] == pytest.approx(100 * 50 / 60, rel=0.03)
    assert cache["hits_rps"] + cache["misses_rps"] == pytest.approx(cache["throughput_rps"],
                                                                    abs=0.05)
    assert cache["misses_rps"] == pytest.approx(db["throughput_rps"], abs=0.05)
    assert cache["hits_rps"] == pytest.approx(0.8 * cache["throughput_rps"], rel=0.03)
    assert cache["load_removed_rps"]["db"] == pytest.approx(cache["hits_rps"])
