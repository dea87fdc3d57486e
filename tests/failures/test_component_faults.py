"""Faults on load balancers, topics and queues (not only on services).

Each expectation is a hand calculation: the share of Poisson arrivals inside a fault window is
its length over the run's, an ``error_rate`` q fails a binomial share q of them, a slowed
constant latency adds (f - 1) x latency to the requests inside the window, and a broker that
is down neither takes publishes nor delivers, so its backlog stays where it was.
"""

from __future__ import annotations

import numpy as np
import pytest

import archsim
from archsim.errors import SpecError
from engine._accuracy import check, simulate

BALANCER = """
archsim: 1
name: lb-fault
network: {{latency: 0ms}}
workload: [{{name: req, to: lb/get, rate: 200}}]
components:
  lb: {{type: load_balancer, target: api, latency: 5ms}}
  api: {{type: service, replicas: 2, workers: 100, endpoints: {{get: {{work: 10ms}}}}}}
faults:
  - {{component: lb, at: {at}, for: {length}, {effect}}}
"""


def test_a_balancer_that_is_down_fails_what_it_receives_and_forwards_nothing() -> None:
    run = simulate(BALANCER.format(at="20s", length="10s", effect="replicas_down: 1"),
                   duration_s=60, warmup_s=0, replications=6)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    check("share of requests inside the 10 s of 60", shares, 10 / 60)
    assert set(run.request()["errors"]) == {"down"}
    for result, stats in zip(run.results, run.classes_named(), strict=True):
        assert result.failures.services["lb"]["down_refused"] == stats.failed
        api = next(c for c in result.components if c.name == "api")
        assert api.completed == stats.completed  # the target saw only the forwarded ones
    assert run.component("lb")["down_errors"] == run.request()["failed"]


def test_a_balancer_error_rate_aborts_before_forwarding() -> None:
    run = simulate(BALANCER.format(at="10s", length="40s", effect="error_rate: 0.3"),
                   duration_s=60, warmup_s=0, replications=6)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    check("error share q x 40/60", shares, 0.3 * 40 / 60)
    assert set(run.request()["errors"]) == {"fault"}
    for result, stats in zip(run.results, run.classes_named(), strict=True):
        api = next(c for c in result.components if c.name == "api")
        assert api.completed == stats.completed
        assert result.failures.services["lb"]["fault_errors"] == stats.failed


def test_a_balancer_latency_factor_slows_only_its_own_latency() -> None:
    run = simulate(BALANCER.format(at="20s", length="15s", effect="latency_factor: 4"),
                   duration_s=60, warmup_s=0, replications=6)
    # 10 ms work + 5 ms at the balancer, + 3 x 5 ms for the quarter of requests in the window
    check("mean response time s", run.mean_latency(), 0.010 + 0.005 + 0.015 * 15 / 60)
    assert run.request()["failed"] == 0


QUEUE = """
archsim: 1
name: queue-fault
network: {{latency: 0ms}}
workload: [{{name: req, to: producer/put, rate: 30, arrivals: constant}}]
components:
  producer: {{type: service, endpoints: {{put: {{work: 1ms, calls: [{{publish: jobs}}]}}}}}}
  jobs: {{type: queue, latency: 2ms, subscribers: [{{to: worker/run, consumers: 1}}]}}
  worker: {{type: service, workers: 1, endpoints: {{run: {{work: 50ms}}}}}}
faults:
  - {{component: jobs, at: 20s, for: 10s, {effect}}}
"""


def test_a_queue_that_is_down_refuses_publishes_and_pauses_its_consumers() -> None:
    # 30 publishes/s against one consumer taking 50 ms: the backlog grows by 10 per second,
    # except while the broker is down, when nothing comes in and nothing goes out.
    run = simulate(QUEUE.format(effect="replicas_down: 1"), duration_s=40, warmup_s=0,
                   replications=1, timeline_s=1.0)
    timeline = run.report["timeline"]
    t = timeline["t_s"]
    backlog = timeline["subscribers"]["jobs/worker"]["backlog"]
    busy = timeline["components"]["worker"]["utilization"]
    window = [i for i, start in enumerate(t) if 20 <= start < 30]
    assert len(window) == 10
    assert all(busy[i] == pytest.approx(0.0, abs=0.06) for i in window[1:])
    assert len({backlog[i] for i in window}) == 1  # flat while the broker is down
    assert busy[window[-1] + 2] == pytest.approx(1.0)  # consuming again after it
    assert backlog[window[0] - 1] == pytest.approx(200, abs=3)  # at 20 s: 10 per second
    stats = run.classes_named()[0]
    assert stats.failed == 300  # constant arrivals: 30/s x 10 s, each refused at once
    assert set(run.request()["errors"]) == {"down"}
    assert run.component("jobs")["down_errors"] == 300


def test_a_broker_error_rate_fails_publishes_after_the_ack_and_stores_none() -> None:
    run = simulate(QUEUE.format(effect="error_rate: 0.2").replace("rate: 30", "rate: 10"),
                   duration_s=60, warmup_s=0, replications=4)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    check("error share q x 10/60", shares, 0.2 * 10 / 60)
    for result, stats in zip(run.results, run.classes_named(), strict=True):
        jobs = next(c for c in result.components if c.name == "jobs")
        assert jobs.completed == stats.completed  # accepted messages = successful publishes
        assert result.failures.services["jobs"]["fault_errors"] == stats.failed


def test_a_broker_latency_factor_slows_the_acknowledgement() -> None:
    run = simulate(QUEUE.format(effect="latency_factor: 5").replace("rate: 30", "rate: 10"),
                   duration_s=60, warmup_s=0, replications=1)
    latencies = run.latencies()[0]
    # constant arrivals every 100 ms: 1 ms of work + the 2 ms ack, 10 ms inside the window
    assert np.sum(np.isclose(latencies, 0.011)) == 100
    assert np.sum(np.isclose(latencies, 0.003)) == len(latencies) - 100


TOPIC = """
archsim: 1
name: topic-fault
network: {{latency: 0ms}}
workload:
  - {{name: keyed, to: producer/keyed, rate: {rate}}}
  - {{name: req, to: producer/any, rate: {rate}}}
components:
  producer:
    type: service
    endpoints:
      keyed: {{work: 1ms, calls: [{{publish: events, key: {{distinct: 1000, skew: 0}}}}]}}
      any: {{work: 1ms, calls: [{{publish: events}}]}}
  events:
    type: topic
    partitions: {partitions}
    subscribers: [{{group: g, to: worker/run, consumers: {partitions}}}]
  worker: {{type: service, workers: {partitions}, endpoints: {{run: {{work: {work}}}}}}}
faults:
  - {{component: events, at: 20s, for: 10s, replicas_down: {down}}}
"""


def knuth_partition(key: int, partitions: int) -> int:
    """Knuth's multiplicative hash (TAOCP vol. 3, 6.4), as the topic hashes message keys."""
    return (key * 2654435761) % 2**32 % partitions


def test_offline_partitions_fail_keyed_publishes_and_move_the_others() -> None:
    run = simulate(TOPIC.format(rate=100, partitions=4, work="1ms", down=2), duration_s=60,
                   warmup_s=0, replications=4)
    offline_keys = sum(knuth_partition(k, 4) < 2 for k in range(1, 1001)) / 1000
    shares = [c.failed / c.arrived for c in run.classes_named("keyed")]
    check("keyed share on offline partitions x 10/60", shares, offline_keys * 10 / 60)
    assert run.request("req")["failed"] == 0  # no key: an online partition takes it
    assert set(run.request("keyed")["errors"]) == {"down"}


def test_consumers_of_an_offline_partition_wait_and_the_others_go_on() -> None:
    # Two partitions, each with a backlog (40/s x 60 ms = 2.4 consumers busy of 2): during
    # the fault partition 0's consumer waits, so the handler's two workers are half busy.
    run = simulate(TOPIC.format(rate=20, partitions=2, work="60ms", down=1), duration_s=40,
                   warmup_s=0, replications=1, timeline_s=1.0)
    timeline = run.report["timeline"]
    busy = timeline["components"]["worker"]["utilization"]
    window = [i for i, start in enumerate(timeline["t_s"]) if 21 <= start < 30]
    assert all(busy[i] == pytest.approx(0.5, abs=0.04) for i in window)
    assert busy[window[-1] + 3] == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "where", "message"), [
    (TOPIC.format(rate=1, partitions=4, work="1ms", down=5), "faults[0].replicas_down",
     "'events' has 4 partition(s), got replicas_down=5"),
    (BALANCER.format(at="1s", length="1s", effect="latency_factor: 2").replace(
        ", latency: 5ms", ""), "faults[0].latency_factor",
     "'lb' is a load_balancer with no 'latency' to slow down"),
])
def test_impossible_faults_on_balancers_and_brokers_are_located_errors(
        text: str, where: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        archsim.load(text)
    issues = [i for i in caught.value.issues if i.dotted_path == where]
    assert issues and message in issues[0].message
    line = text.splitlines()[issues[0].line - 1]
    assert where.rsplit(".", 1)[1] in line


OVERLAP = """
archsim: 1
name: overlap
network: {latency: 0ms}
workload: [{name: req, to: lb/get, rate: 300}]
components:
  lb: {type: load_balancer, target: api, latency: 1ms}
  api: {type: service, replicas: 3, workers: 100, endpoints: {get: {work: 5ms}}}
faults:
"""


def test_overlapping_error_rates_combine_as_independent_failures() -> None:
    text = OVERLAP + ("  - {component: lb, at: 10s, for: 30s, error_rate: 0.2}\n"
                      "  - {component: lb, at: 20s, for: 10s, error_rate: 0.5}\n")
    run = simulate(text, duration_s=60, warmup_s=0, replications=4)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    both = 1 - (1 - 0.2) * (1 - 0.5)  # 0.6 while the two overlap
    check("error share", shares, (20 * 0.2 + 10 * both) / 60)


def test_overlapping_replica_faults_take_another_replica_and_undo_only_their_own() -> None:
    # round robin over 3 replicas: one down for [10, 30), another for [20, 40) s, so two
    # are down in [20, 30); requests sent to a failed replica fail (no health check)
    text = OVERLAP + ("  - {component: api, at: 10s, for: 20s, replicas_down: 1}\n"
                      "  - {component: api, at: 20s, for: 20s, replicas_down: 1}\n")
    run = simulate(text, duration_s=60, warmup_s=0, replications=4)
    shares = [c.failed / c.arrived for c in run.classes_named()]
    check("error share", shares, (10 / 3 + 10 * 2 / 3 + 10 / 3) / 60)


def test_round_robin_publishes_share_the_offline_partitions_evenly() -> None:
    # 200/s round robin over 4 partitions, 2 offline all along: the 2 online ones get 100/s
    # each, under their consumer's 125/s (8 ms); piling both offline shares on one partition
    # (150/s) would grow its backlog by 25 per second
    text = TOPIC.format(rate=1, partitions=4, work="8ms", down=2).replace(
        "at: 20s, for: 10s", "at: 0s, for: 100s")
    text = text.replace("- {name: req, to: producer/any, rate: 1}",
                        "- {name: req, to: producer/any, rate: 200, arrivals: constant}")
    text = text.replace("calls: [{publish: events}]",
                        "calls: [{publish: events, partition: round_robin}]")
    run = simulate(text, duration_s=30, warmup_s=0, replications=1)
    (group,) = run.report["subscribers"].values()
    backlog = group["partition_backlog_mean"]
    assert backlog[0] == backlog[1] == 0 and max(backlog) < 2, backlog


def test_a_fault_starting_on_a_bin_edge_counts_from_that_bin() -> None:
    # 10.2 s is bin 102 of 100 ms (edges rounded to the nanosecond, closed before anything
    # else due at the edge). The requests in service fail at exactly 10.2 s, when the
    # replicas do: no error may show in the bin before
    text = BALANCER.format(at="10.2s", length="1s", effect="replicas_down: 2").replace(
        "{component: lb,", "{component: api,")
    run = simulate(text, duration_s=12, warmup_s=0, replications=1, timeline_s=0.1)
    timeline = run.report["timeline"]
    errors = dict(zip(timeline["t_s"], timeline["requests"]["req"]["errors"], strict=True))
    assert errors[10.1] == 0 and errors[10.2] > 5 and errors[11.1] > 5 and errors[11.2] == 0
