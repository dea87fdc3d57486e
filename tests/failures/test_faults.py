"""Faults and health checks, rate limits, and service discovery with client caching."""

from __future__ import annotations

import pytest
import simpy

from archsim.model.ratelimit import TokenBucket
from engine._accuracy import check, simulate

DOWN = """
archsim: 1
name: down
workload: [{{name: req, to: lb/get, rate: 300}}]
components:
  lb: {{type: load_balancer, target: web{check}}}
  web: {{type: service, replicas: 3, workers: 8, endpoints: {{get: {{work: 5ms}}}}}}
faults:
  - {{component: web, at: 50.5s, for: 10s, replicas_down: 1}}
"""


def test_a_replica_down_for_10_of_100_seconds_removes_its_share() -> None:
    run = simulate(DOWN.format(check=""), duration_s=100, warmup_s=0, replications=4)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    check("error share", shares, (1 / 3) * (10 / 100))
    assert set(run.request()["errors"]) == {"down"}


def test_with_health_checks_errors_stop_within_one_interval() -> None:
    run = simulate(DOWN.format(check=", health_check: {interval: 1s}"), duration_s=100,
                   warmup_s=0, replications=4)
    for result in run.results:
        web = result.failures.services["web"]
        # the fault starts at 50.5 s, the next probe (every second from 0) sees it at 51 s
        assert web["down_refused"] > 0 and 50.5 <= web["last_down_error_s"] <= 51.0
    assert run.request()["error_rate"] < 0.1 * (1 / 3) * (10 / 100)


def test_token_bucket_admits_rate_times_t_plus_burst() -> None:
    env = simpy.Environment()
    bucket = TokenBucket(env, rate_per_s=50.0, burst=20)

    def flood():  # far more than the rate: every token is taken as soon as it exists
        while True:
            bucket.take()
            yield env.timeout(0.0005)

    env.process(flood())
    env.run(until=10.0)
    assert abs(bucket.admitted - (50.0 * 10.0 + 20)) <= 1


def test_rate_limit_on_a_balancer_rejects_the_excess() -> None:
    text = DOWN.format(check=", rate_limit: {rate: 200, burst: 10}").split("faults:")[0]
    run = simulate(text, duration_s=20, warmup_s=1, replications=2)
    for stats in run.classes_named():  # the bucket is empty after the warm-up: rate x T
        assert abs(stats.completed - 200 * 20) <= 2, stats.completed
    assert run.report["components"]["lb"]["rate_limited"] > 0
    assert set(run.request()["errors"]) == {"rate_limited"}


DISCOVERY = """
archsim: 1
name: discovery
workload: [{{name: req, to: web/get, rate: 100}}]
components:
  registry: {{type: registry, latency: 2ms, ttl: 30s}}
  web:
    type: service
    discovery: registry
    endpoints: {{get: {{work: 1ms, calls: [{{to: db/q}}]}}}}
  db: {{type: database, endpoints: {{q: {{work: 1ms}}}}}}
faults:
  - {{component: registry, at: 35s, for: {outage}, replicas_down: 1}}
"""


def test_a_registry_outage_shorter_than_the_ttl_causes_no_errors() -> None:
    run = simulate(DISCOVERY.format(outage="20s"), duration_s=80, warmup_s=0, replications=2)
    assert run.request()["failed"] == 0
    section = run.report["discovery"]["web"]
    assert section["hits"] > 100 * section["lookups"]


def test_a_longer_outage_fails_calls_from_when_the_cached_entries_expire() -> None:
    run = simulate(DISCOVERY.format(outage="40s"), duration_s=80, warmup_s=0, replications=2)
    assert set(run.request()["errors"]) == {"discovery"}
    for result in run.results:
        first = result.failures.discovery["web"]["first_failure_s"]
        # the entry fetched by the first call (t ~ 0) was refreshed at ~30 s; it expires ~60 s
        assert 60.0 <= first <= 61.0, first
    errors = run.request()["failed"] / 2
    assert abs(errors - 100 * (75 - 60)) < 0.1 * 100 * 15


IN_FLIGHT = """
archsim: 1
name: in-flight
network: {latency: 0ms}
workload: [{name: req, to: db/q, rate: 1, arrivals: constant}]
components:
  db: {type: database, workers: 1, endpoints: {q: {work: 800ms, calls: [{to: audit/log}]}}}
  audit: {type: service, deadline: propagate, endpoints: {log: {work: 1ms}}}
faults:
  - {component: db, at: 2.5s, for: 300ms, replicas_down: 1}
"""


def test_a_request_in_service_fails_when_its_replica_does_and_its_remains_are_abandoned() -> None:
    # arrivals at 1, 2, 3, ... s each hold the worker 0.8 s: the one of 2 s is in service
    # when the replica fails at 2.5 s. Its caller learns at 2.5 s, not when the work would
    # have ended (2.8 s); the replica's copy runs on, and its call to audit arrives past its
    # deadline, so audit (deadline: propagate) drops it.
    run = simulate(IN_FLIGHT, duration_s=6, warmup_s=0, replications=1)
    (result,) = run.results
    db = result.failures.services["db"]
    assert (db["down_lost"], db["down_refused"], db["last_down_error_s"]) == (1, 0, 2.5)
    assert db["abandoned"] == 1 and abs(db["wasted_work_s"] - 0.8) < 1e-9  # held 2.0-2.8 s
    assert result.failures.services["audit"]["dropped"] == 1
    stats = run.classes_named()[0]
    assert (stats.arrived, stats.failed, stats.completed) == (5, 1, 4)  # arrivals at 1..5 s


CACHE_SLOW = """
archsim: 1
name: cache-miss-slow
network: {latency: 0ms}
workload: [{name: req, to: cache/get, rate: 10, arrivals: constant}]
components:
  cache:
    type: cache
    hit_ratio: 0.5
    miss: [{work: 10ms}]
    endpoints: {get: {work: 1ms}}
faults:
  - {component: cache, at: 0s, for: 100s, latency_factor: 3}
"""


def test_a_latency_factor_slows_a_caches_miss_steps_too_and_each_step_once() -> None:
    import numpy as np

    run = simulate(CACHE_SLOW, duration_s=20, warmup_s=0, replications=1)
    latencies = run.latencies()[0]
    hits, misses = np.isclose(latencies, 0.003), np.isclose(latencies, 0.033)  # 3 x 1, 3 x 11
    assert hits.sum() + misses.sum() == len(latencies) and hits.sum() > 50 < misses.sum()


PER_REPLICA = """
archsim: 1
name: per-replica-limit
network: {{latency: 0ms}}
workload: [{{name: req, to: api/get, rate: 200, arrivals: constant}}]
components:
  api:
    type: service
    replicas: 2
    workers: 50
    rate_limit: {{rate: 50, burst: 1{per}}}
    endpoints: {{get: {{work: 1ms}}}}
"""


def test_a_per_replica_rate_limit_admits_rate_per_replica() -> None:
    # 200/s round robin over 2 replicas: each sees 100/s against its own 50/s bucket; one
    # bucket for the component admits 50/s in all (rate x T, the burst spent in the warm-up)
    for per, admitted in (("", 50), (", per: replica", 100)):
        run = simulate(PER_REPLICA.format(per=per), duration_s=20, warmup_s=1, replications=1)
        (stats,) = run.classes_named()
        assert abs(stats.completed - admitted * 20) <= 2, (per, stats.completed)
        assert set(run.request()["errors"]) == {"rate_limited"}


def test_per_replica_on_a_balancer_is_a_located_error() -> None:
    import pytest

    import archsim
    from archsim.errors import SpecError

    text = DOWN.format(check=", rate_limit: {rate: 10, per: replica}")
    with pytest.raises(SpecError) as caught:
        archsim.load(text)
    (issue,) = caught.value.issues
    assert issue.dotted_path == "components.lb.rate_limit.per"
    assert issue.line == 6 and "one instance" in issue.message


def test_health_checks_also_steer_least_connections_away_from_a_failed_replica() -> None:
    # least connections sends everything to the failed replica (it answers at once, so it is
    # always the least loaded) until the probe at 51 s; from then on only the two that are up
    text = DOWN.format(check=", policy: least_connections, health_check: {interval: 1s}")
    run = simulate(text, duration_s=100, warmup_s=0, replications=4)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    check("error share: the half second before the probe", shares, 0.5 / 100)


CHAIN_DOWN = """
archsim: 1
name: chain-down
network: {latency: 0ms}
workload: [{name: req, to: api/get, rate: 50}]
components:
  api: {type: service, replicas: 2, workers: 50, endpoints: {get: {work: 1ms, calls: [{to: db/q}]}}}
  db: {type: database, endpoints: {q: {work: 2ms}}}
faults:
  - {component: api, at: 20s, for: 1s, replicas_down: 1}
  - {component: db, at: 5s, for: 5s, replicas_down: 1}
"""


def test_each_down_error_is_counted_at_the_component_that_failed_once() -> None:
    # api (one of two replicas down for 1 s) must not also claim db's failures passing
    # through it: the down errors add up to the failed requests, each where it happened
    run = simulate(CHAIN_DOWN, duration_s=30, warmup_s=0, replications=2)
    api, db = run.component("api")["down_errors"], run.component("db")["down_errors"]
    assert api + db == run.request()["failed"]
    assert abs(api - 2 * 50 * 1 / 2) < 4 * (2 * 25) ** 0.5  # 25 per replication, Poisson
    assert abs(db - 2 * 50 * 5) < 4 * (2 * 250) ** 0.5


QUEUE_TO_LIMITED_LB = """
archsim: 1
name: queue-lb-limit
network: {latency: 0ms}
workload: [{name: req, to: producer/put, rate: 100, arrivals: constant}]
components:
  producer: {type: service, endpoints: {put: {work: 1ms, calls: [{publish: jobs}]}}}
  jobs: {type: queue, subscribers: [{to: lb/get, consumers: 4}]}
  lb: {type: load_balancer, target: api, latency: 1ms, rate_limit: {rate: 50, burst: 1}}
  api: {type: service, replicas: 2, endpoints: {get: {work: 1ms}}}
"""


def test_a_consumer_through_a_limited_balancer_takes_one_token_per_delivery() -> None:
    # 100 messages/s delivered through a 50/s bucket: the api handles 50/s (rate x T), the
    # other deliveries are refused once each (not twice, through entry and steps)
    run = simulate(QUEUE_TO_LIMITED_LB, duration_s=20, warmup_s=1, replications=1)
    (result,) = run.results
    api = next(c for c in result.components if c.name == "api")
    assert abs(api.completed - 50 * 20) <= 2
    limited = result.failures.rate_limited["lb"]
    assert limited["admitted"] == pytest.approx(api.completed, abs=4)
