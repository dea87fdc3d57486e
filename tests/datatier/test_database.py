"""Read replicas divide read load; sync and quorum writes wait for an order statistic."""

from __future__ import annotations

import math

import pytest

from archsim.analysis.theory import expected_kth_of_exponentials
from engine._accuracy import check, simulate

REPLICATED = """\
archsim: 1
name: replicated
workload:
  - {{name: req, to: db/update, rate: 50}}
  - {{name: read, to: db/select, rate: 600}}
components:
  db:
    type: database
    workers: 50
    read_replicas: 3
    replication: {replication}
    endpoints:
      select: {{work: {{dist: exponential, mean: 4ms}}}}
      update: {{write: true}}
"""

EXP10 = "latency: {dist: exponential, mean: 10ms}"


@pytest.mark.parametrize(("mode", "rank"), [("mode: quorum, acks: 2", 2), ("mode: sync", 3),
                                            ("mode: quorum, acks: 1", 1)])
def test_write_latency_is_the_kth_fastest_replica_ack(mode: str, rank: int) -> None:
    text = REPLICATED.format(replication=f"{{{mode}, {EXP10}}}")
    run = simulate(text, duration_s=20.0, warmup_s=1.0, replications=5, seed=11)
    theory = expected_kth_of_exponentials(3, rank, 0.010)  # K=2: 10 ms x (1/3 + 1/2)
    check(f"write latency, {rank}-th of 3 acks", run.mean_latency("req"), theory)
    if rank == 2:
        assert theory == pytest.approx(0.008333, abs=1e-6)


def test_async_writes_return_at_once_and_report_lag_and_stale_reads() -> None:
    text = REPLICATED.format(replication=f"{{mode: async, {EXP10}}}")
    run = simulate(text, duration_s=20.0, warmup_s=1.0, replications=5, seed=12)
    assert max(run.mean_latency("req")) == 0.0
    db = run.component("db")
    assert db["replication_lag_ms"]["mean"] == pytest.approx(10.0, rel=0.03)
    assert db["replication_lag_ms"]["p99"] == pytest.approx(46.05, rel=0.08)  # 10 ms x ln 100
    # a replica is stale while a write is unapplied: P = 1 - exp(-writes/s x mean lag)
    # (M/G/inf busy probability of the writes in flight to that replica)
    stale = [c.stale_reads / c.reads for c in run.components_named("db")]
    check("stale-read fraction", stale, 1 - math.exp(-50 * 0.010))


def test_read_replicas_divide_read_load() -> None:
    text = REPLICATED.format(replication="{mode: async}")
    run = simulate(text, duration_s=20.0, warmup_s=1.0, replications=5, seed=13)
    stats = run.components_named("db")
    for index in range(1, 4):
        check(f"replica {index} utilization",
              [s.station_busy[index] / (50 * run.duration_s) for s in stats],
              600 / 3 * 0.004 / 50)
    assert max(s.station_busy[0] for s in stats) == 0.0  # writes have no work of their own
    by_replica = run.component("db")["utilization_by_replica"]
    assert list(by_replica) == ["primary", "replica-1", "replica-2", "replica-3"]


def test_read_from_primary_keeps_replicas_idle() -> None:
    text = REPLICATED.format(replication="{mode: async}").replace(
        "read_replicas: 3", "read_replicas: 3\n    read_from: primary")
    run = simulate(text, duration_s=5.0, warmup_s=0.5, replications=2, seed=14)
    assert all(s.station_busy[1:] == (0.0, 0.0, 0.0) for s in run.components_named("db"))
    check("primary utilization", [s.station_busy[0] / (50 * run.duration_s)
                                  for s in run.components_named("db")], 600 * 0.004 / 50,
          widen=3.0)
