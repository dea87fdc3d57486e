"""A balancer in front of a cache or a database keeps their semantics, whatever its latency.

A balancer with a latency (or a hop) used to forward straight to the target's endpoint, so a
cache behind it hit on every request and a database sent reads to its primary.
"""

from __future__ import annotations

import pytest

from engine._accuracy import check, simulate

CACHE = """
archsim: 1
name: lb-cache
workload: [{{name: req, to: lb/get, rate: 100}}]
components:
  lb: {{type: load_balancer, target: cache{latency}}}
  cache:
    type: cache
    replicas: 2
    hit_ratio: 0.7
    miss: [{{to: db/q}}]
    endpoints: {{get: {{work: 1ms}}}}
  db: {{type: database, endpoints: {{q: {{work: 5ms}}}}}}
"""


@pytest.mark.parametrize("latency", ["", ", latency: 1ms"])
def test_a_cache_behind_a_balancer_still_misses(latency: str) -> None:
    run = simulate(CACHE.format(latency=latency), duration_s=30, warmup_s=1, replications=4)
    db = [c.completed / run.duration_s for c in run.components_named("db")]
    check("database arrivals = (1 - hit ratio) x rate", db, 0.3 * 100)


DATABASE = """
archsim: 1
name: lb-db
workload: [{name: read, to: lb/select, rate: 600}]
components:
  lb: {type: load_balancer, target: db, latency: 1ms}
  db:
    type: database
    workers: 50
    read_replicas: 3
    replication: {mode: async}
    endpoints:
      select: {work: {dist: exponential, mean: 4ms}}
      update: {write: true}
"""


def test_reads_through_a_balancer_go_to_the_read_replicas() -> None:
    run = simulate(DATABASE, duration_s=20.0, warmup_s=1.0, replications=4, seed=13)
    stats = run.components_named("db")
    for index in range(1, 4):
        check(f"replica {index} utilization",
              [s.station_busy[index] / (50 * run.duration_s) for s in stats],
              600 / 3 * 0.004 / 50)
    assert max(s.station_busy[0] for s in stats) == 0.0  # the primary serves no read
