"""Event-driven engine (topics, queues, consumer groups) against queueing theory and exact counts.

A topic partition served by one consumer is a FIFO single-server queue whose arrivals are the
acknowledged publishes routed to it; a queue with c competing consumers is one FIFO line with
c servers. So with Poisson publishes, exponential handling and a handler service that has a
worker for every consumer (the consumers, not the workers, are the servers):

- random partitioning over P partitions = P independent M/M/1 queues at lambda / P
  (Bernoulli splitting of a Poisson stream);
- round-robin partitioning = P queues E_P/M/1 (every P-th arrival of a Poisson stream);
- a queue = M/M/c (Erlang C);
- a queue with ``capacity`` K waiting and one consumer = M/M/1/(K+1) (a message in handling
  has left the line).

End-to-end latency runs from the start of the publish step to the end of the handler, so it
is the broker's (constant) acknowledgement latency plus the queue's response time. Stochastic
checks compare theory with the replications' 95% t interval widened by ``WIDEN`` (see
``_accuracy.py``); accounting checks (conservation, rejections, dead letters) are exact.
Rates of tens to a hundred per second with handling of 10-20 ms keep relaxation times under a
second, so a few thousand messages per replication suffice and the module runs in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

import archsim
from archsim.analysis import theory
from archsim.engine.replicate import run_replications
from archsim.engine.run import ReplicationResult, RunSettings, run_replication
from archsim.errors import ModelError
from archsim.report.build import build_report

EXP_20MS = "{dist: exponential, mean: 20ms}"
LATENCY_S = 0.002  # broker acknowledgement latency used below (constant)

WIDEN = 2.0
"""Factor on the 95% half-width: a correct engine fails one check with probability
P(|T_{n-1}| > 2 t_{0.975, n-1}), 0.5% for n = 5 and 0.2% for n = 8 replications."""


@dataclass
class Run:
    """The JSON report of one experiment plus the raw replication results behind it."""

    report: dict
    results: list[ReplicationResult]

    @property
    def duration_s(self) -> float:
        return self.results[0].duration_s

    def subscriber(self, key: str) -> dict:
        return self.report["subscribers"][key]

    def subscribers(self, key: str) -> list:
        """Per-replication SubscriberStats of subscriber ``key``."""
        return [next(s for s in r.subscribers if s.key == key) for r in self.results]

    def components(self, name: str) -> list:
        """Per-replication ComponentStats of component ``name``."""
        return [next(c for c in r.components if c.name == name) for r in self.results]

    def classes(self, name: str = "req") -> list:
        """Per-replication ClassStats of request class ``name``."""
        return [next(c for c in r.classes if c.name == name) for r in self.results]

    def mean_latencies(self, key: str) -> list[float]:
        """Per-replication mean end-to-end latency (seconds) of subscriber ``key``."""
        return [float(np.frombuffer(s.latencies_s, dtype=float).mean())
                for s in self.subscribers(key)]

    def per_second(self, values: list[float]) -> list[float]:
        """Window integrals (areas) as time averages."""
        return [v / self.duration_s for v in values]


def simulate(yaml_text: str, *, duration_s: float, warmup_s: float, replications: int,
             seed: int) -> Run:
    """What ``archsim.simulate(..., jobs=1)`` does, keeping the raw replication results."""
    topology = archsim.load(yaml_text)
    results = run_replications(topology, seed, replications, RunSettings(duration_s, warmup_s),
                               jobs=1)
    return Run(build_report(topology, results, seed).to_dict(), results)


def check(label: str, values: list[float], expected: float) -> None:
    """Assert ``expected`` lies in the replications' Student-t 95% interval widened x WIDEN."""
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    half = stats.t.ppf(0.975, len(array) - 1) * array.std(ddof=1) / math.sqrt(len(array))
    print(f"CHECK {label}: simulated {mean:.6g} theory {expected:.6g} "
          f"tolerance {WIDEN * half:.3g} (n={len(array)})")
    assert abs(mean - expected) <= WIDEN * half, (
        f"{label}: simulated {mean:.6g} vs theory {expected:.6g}, more than {WIDEN:g} x the "
        f"95% half-width {half:.4g}")


def check_interval(label: str, interval: list[float], expected: float) -> None:
    """Assert ``expected`` lies in a reported 95% interval [low, high] widened x WIDEN."""
    low, high = interval
    centre, half = (low + high) / 2.0, (high - low) / 2.0
    print(f"CHECK {label}: simulated {centre:.6g} theory {expected:.6g} "
          f"tolerance {WIDEN * half:.3g} (reported ci95 [{low:.6g}, {high:.6g}])")
    assert abs(centre - expected) <= WIDEN * half, (
        f"{label}: reported ci95 [{low:.6g}, {high:.6g}] widened x{WIDEN:g} misses {expected:.6g}")


def one_replication(yaml_text: str, duration_s: float, seed: int) -> ReplicationResult:
    """A single replication from time 0 (no warm-up): every count covers the whole run."""
    return run_replication(archsim.load(yaml_text), seed, RunSettings(duration_s, 0.0))


def component(result: ReplicationResult, name: str):
    return next(c for c in result.components if c.name == name)


def subscriber(result: ReplicationResult, key: str):
    return next(s for s in result.subscribers if s.key == key)


# --------------------------------------------------------------------------- random partitions

RANDOM_PARTITIONS = f"""\
archsim: 1
name: random-partitions
workload: [{{name: req, to: api/post, rate: 60}}]
components:
  api:
    type: service
    workers: 50
    endpoints: {{post: {{work: 1ms, calls: [{{publish: events}}]}}}}
  events:
    type: topic
    partitions: 2
    latency: 2ms
    subscribers:
      - {{group: mailer, to: mail/send, consumers: 2}}
      - {{group: audit, to: audit/log, consumers: 1}}
  mail: {{type: service, workers: 2, endpoints: {{send: {{work: {EXP_20MS}}}}}}}
  audit:
    type: service
    workers: 1
    endpoints: {{log: {{work: {{dist: exponential, mean: 10ms}}}}}}
"""
AUDIT = "      - {group: audit, to: audit/log, consumers: 1}\n"


def variant(rate: int, partitions: int, consumers: int, publish: str = "{publish: events}",
            audit: bool = False) -> str:
    """RANDOM_PARTITIONS with another rate, partition count, mailer consumers or publish step."""
    text = RANDOM_PARTITIONS.replace("rate: 60", f"rate: {rate}").replace(
        "partitions: 2", f"partitions: {partitions}").replace(
        "consumers: 2}", f"consumers: {consumers}}}").replace(
        "workers: 2,", f"workers: {consumers},").replace("{publish: events}", publish)
    return text if audit else text.replace(AUDIT, "")


@pytest.fixture(scope="module")
def random_run() -> Run:
    # mailer: two partitions, one consumer each, lambda / P = 30 against mu = 50 (rho 0.6);
    # audit: one consumer over both partitions, lambda = 60 against mu = 100 (rho 0.6).
    # Relaxation times are under half a second, so 5 s of warm-up is plenty.
    return simulate(RANDOM_PARTITIONS, duration_s=80.0, warmup_s=5.0, replications=8, seed=7)


def test_random_partitions_are_independent_mm1(random_run):
    # Bernoulli splitting of Poisson(60) over 2 partitions: two independent M/M/1 at 30/s
    expected = LATENCY_S + theory.mm1_random_split(60.0, 50.0, 2).mean_response_s
    check("random partitions, 2 x M/M/1 at lambda/2: end-to-end mean (s)",
          random_run.mean_latencies("events/mailer"), expected)
    check("random partitions: consumer utilization = lambda / (P mu)",
          random_run.per_second([s.busy_area / s.active_consumers
                                 for s in random_run.subscribers("events/mailer")]), 0.6)
    # One consumer owning both partitions takes one message at a time: a single server fed
    # by the whole stream, M/M/1 at 60/s whatever order it visits the partitions in (the mean
    # wait of a work-conserving non-preemptive order does not depend on the order).
    check("one consumer over two partitions = M/M/1: end-to-end mean (s)",
          random_run.mean_latencies("events/audit"),
          LATENCY_S + theory.mm1(60.0, 100.0).mean_response_s)


def test_every_group_receives_every_message(random_run):
    published = random_run.report["components"]["events"]["throughput_rps"]
    assert published == pytest.approx(random_run.report["requests"]["req"]["throughput_rps"],
                                      abs=1e-3)
    for key in ("events/mailer", "events/audit"):
        entry = random_run.subscriber(key)
        check_interval(f"{key} throughput = publish rate (/s)", entry["ci95"]["throughput_rps"],
                       60.0)
        assert entry["redeliveries"] == entry["duplicates"] == entry["dead_lettered"] == 0
    for mailer, audit, broker in zip(random_run.subscribers("events/mailer"),
                                     random_run.subscribers("events/audit"),
                                     random_run.components("events"), strict=True):
        assert mailer.received_total == audit.received_total  # each its own copy of each
        # in the window each group completes what was published, give or take the messages
        # waiting or in handling at the window's two ends (about two in each)
        for group in (mailer, audit):
            assert abs(group.completed - broker.completed) <= 30


def test_publisher_latency_ends_at_the_ack(random_run):
    # the publisher's request is its 1 ms of work plus the 2 ms acknowledgement and nothing of
    # the consumers' ~50 ms: every response is exactly 3 ms
    latency = random_run.report["requests"]["req"]["latency_ms"]
    assert latency["p50"] == latency["max"] == pytest.approx(3.0, abs=1e-6)
    assert random_run.subscriber("events/mailer")["latency_ms"]["mean"] > 40.0


# --------------------------------------------------------------------------- queue = M/M/c


def queue_model(rate: int, queue_keys: str, handler: str, workers: int) -> str:
    return f"""\
archsim: 1
name: queue
workload: [{{name: req, to: api/post, rate: {rate}}}]
components:
  api: {{type: service, workers: 50, endpoints: {{post: {{calls: [{{publish: jobs}}]}}}}}}
  jobs: {{type: queue, {queue_keys}}}
  worker: {{type: service, workers: {workers}, endpoints: {{run: {handler}}}}}
"""


def test_competing_consumers_are_mmc():
    # c = 3 consumers, lambda = 105, mu = 50: rho = 0.7, Erlang C(3, 2.1) = 0.41
    yaml_text = queue_model(105, "latency: 2ms, subscribers: [{to: worker/run, consumers: 3}]",
                            f"{{work: {EXP_20MS}}}", 3)
    run = simulate(yaml_text, duration_s=50.0, warmup_s=3.0, replications=8, seed=17)
    expected = theory.mmc(105.0, 50.0, 3)
    check("queue, 3 competing consumers = M/M/3: end-to-end mean (s)",
          run.mean_latencies("jobs/worker"), LATENCY_S + expected.mean_response_s)
    check("M/M/3: backlog = mean number waiting L_q",
          run.per_second([s.backlog_area for s in run.subscribers("jobs/worker")]),
          expected.mean_queue_length)
    entry = run.subscriber("jobs/worker")
    assert entry["consumers"] == entry["active_consumers"] == 3
    check_interval("M/M/3 throughput (/s)", entry["ci95"]["throughput_rps"], 105.0)


# --------------------------------------------------------------------------- round robin


def test_round_robin_partitions_are_erlang_arrivals():
    # every third publish goes to the same partition: Erlang-3 gaps of mean 1/30 s into one
    # consumer with mu = 50 (E3/M/1 per partition, markedly better than M/M/1), and the
    # backlog splits evenly over the partitions
    yaml_text = variant(90, 3, 3, "{publish: events, partition: round_robin}")
    run = simulate(yaml_text, duration_s=50.0, warmup_s=3.0, replications=8, seed=27)
    expected = theory.ekm1(30.0, 50.0, 3)
    assert expected.mean_response_s < theory.mm1(30.0, 50.0).mean_response_s * 0.8
    check("round-robin partitions, E3/M/1: end-to-end mean (s)",
          run.mean_latencies("events/mailer"), LATENCY_S + expected.mean_response_s)
    stats_ = run.subscribers("events/mailer")
    for partition in range(3):
        check(f"round robin: partition {partition} backlog = E3/M/1 L_q",
              run.per_second([s.partition_backlog_area[partition] for s in stats_]),
              expected.mean_queue_length)


# --------------------------------------------------------------------------- overload


def test_overload_backlog_grows_at_excess_rate():
    # two partitions, one consumer each at mu = 50: capacity 100/s against 130/s published.
    # Both partitions are overloaded (65 > 50 each), so the backlog grows at 130 - 100 = 30/s.
    run = simulate(variant(130, 2, 2), duration_s=25.0, warmup_s=1.0, replications=8, seed=37)
    entry = run.subscriber("events/mailer")
    check_interval("overload: backlog growth (/s) = lambda - c mu",
                   entry["ci95"]["backlog_growth_per_s"], 130.0 - 2 * 50.0)
    check_interval("overload: throughput = consumer capacity c mu (/s)",
                   entry["ci95"]["throughput_rps"], 100.0)
    assert entry["consumer_utilization"] > 0.99
    assert any(w.startswith("events/mailer: backlog grows") for w in run.report["warnings"])


# --------------------------------------------------------------------------- keys


def test_single_key_lands_in_one_partition():
    # One key: every message hashes to the same partition, (2654435761 mod 2^32) mod 4 = 1
    # (Knuth's multiplicative hash of key 1), which alone holds the backlog; it is one M/M/1
    # at the full rate, 30/s against mu = 50, and the other three consumers have nothing.
    yaml_text = variant(30, 4, 4, "{publish: events, key: {distinct: 1, skew: 0}}")
    run = simulate(yaml_text, duration_s=120.0, warmup_s=3.0, replications=8, seed=47)
    entry = run.subscriber("events/mailer")
    hot = 2654435761 % 2**32 % 4
    assert entry["hottest_partition"] == hot == 1
    expected = theory.mm1(30.0, 50.0)
    stats_ = run.subscribers("events/mailer")
    check("single key: hot partition backlog = M/M/1 L_q",
          run.per_second([s.partition_backlog_area[hot] for s in stats_]),
          expected.mean_queue_length)
    assert [b for p, b in enumerate(entry["partition_backlog_mean"]) if p != hot] == [0.0] * 3
    check("single key: end-to-end mean = M/M/1 at the full rate (s)",
          run.mean_latencies("events/mailer"), LATENCY_S + expected.mean_response_s)
    check("single key: consumer utilization = rho / 4",
          run.per_second([s.busy_area / 4 for s in stats_]), 0.6 / 4)
    assert entry["active_consumers"] == 4  # assigned, but starved: no idle-consumer warning
    assert not any("idle" in w for w in run.report["warnings"])


def test_consumers_beyond_partitions_are_idle():
    report = archsim.simulate(archsim.load(variant(60, 2, 5)), duration_s=10.0, warmup_s=1.0,
                              replications=1, seed=3, jobs=1).to_dict()
    entry = report["subscribers"]["events/mailer"]
    assert (entry["consumers"], entry["active_consumers"]) == (5, 2)
    assert ("events/mailer: 3 of 5 consumers idle (more consumers than partitions)"
            in report["warnings"])
    # never more than two handler requests at once (one per partition) among five workers
    assert report["components"]["mail"]["utilization"] <= 2 / 5


# --------------------------------------------------------------------------- capacity


def test_full_queue_rejects_publishes_as_request_errors():
    # capacity 3 waiting plus the one in handling: M/M/1/4 with lambda = 40, mu = 50, so
    # about 12% of publishes find the queue full; each fails its publishing request
    yaml_text = queue_model(40, "latency: 2ms, capacity: 3, subscribers: [{to: worker/run}]",
                            f"{{work: {EXP_20MS}}}", 1)
    run = simulate(yaml_text, duration_s=60.0, warmup_s=2.0, replications=8, seed=57)
    expected = theory.mmck(40.0, 50.0, 1, 4)
    brokers = run.components("jobs")
    check("full queue: blocking probability = M/M/1/4",
          [b.rejected / (b.completed + b.rejected) for b in brokers],
          expected.blocking_probability)
    for cls, broker in zip(run.classes(), brokers, strict=True):
        assert broker.rejected > 0
        assert cls.failed == cls.errors["rejected"] == cls.error_components["jobs"]
        assert cls.failed == broker.rejected  # equal counts, replication by replication
        assert cls.completed == broker.completed  # every other publish was accepted
    rejected = run.report["components"]["jobs"]["rejected"]
    assert rejected == sum(b.rejected for b in brokers)
    request = run.report["requests"]["req"]
    assert request["failed"] == rejected
    assert request["errors"] == {"rejected": rejected}
    assert request["errors_by_component"] == {"jobs": rejected}
    assert run.subscriber("jobs/worker")["backlog_max"] == 3


# --------------------------------------------------------------------------- visibility timeout


def test_visibility_timeout_shorter_than_handling_duplicates():
    # 50 ms of handling against a 30 ms visibility timeout: every message becomes visible
    # again while its first delivery runs and an idle consumer takes it a second time. The
    # first completion settles the message; the second is a duplicate. The handler does the
    # work twice, but the subscriber's throughput stays the publish rate.
    yaml_text = queue_model(
        20, "visibility_timeout: 30ms, subscribers: [{to: worker/run, consumers: 6}]",
        "{work: 50ms}", 6)
    run = simulate(yaml_text, duration_s=40.0, warmup_s=2.0, replications=5, seed=67)
    entry = run.subscriber("jobs/worker")
    check_interval("visibility timeout: subscriber throughput = publish rate (/s)",
                   entry["ci95"]["throughput_rps"], 20.0)
    # nearly every completion has its duplicate (not those whose copy found all six consumers
    # busy, nor those near the window's ends); the copies are the redeliveries
    completed = sum(s.completed for s in run.subscribers("jobs/worker"))
    assert 0.98 * completed <= entry["duplicates"] <= completed + 5 * len(run.results)
    assert entry["redeliveries"] == pytest.approx(entry["duplicates"], abs=5 * len(run.results))
    assert run.report["components"]["worker"]["throughput_rps"] == pytest.approx(
        2 * entry["throughput_rps"], rel=0.01)
    # latency is to the first completion: 50 ms of work (six consumers: nobody waits)
    assert entry["latency_ms"]["p50"] == pytest.approx(50.0, abs=1e-6)


def test_visible_copies_are_counted_once():
    # Overload (45/s against 2 consumers x 20/s) with a visibility timeout shorter than the
    # handling: a copy made visible waits behind the backlog while its first delivery
    # completes. From then on it is no message: it is not in the backlog, takes no capacity,
    # and a message both visible and in handling is counted once (visible).
    yaml_text = queue_model(
        45, "visibility_timeout: 30ms, subscribers: [{to: worker/run, consumers: 2}]",
        "{work: 50ms}", 2)
    result = one_replication(yaml_text, 20.0, seed=11)
    sub = subscriber(result, "jobs/worker")
    assert sub.backlog_final > 50
    assert component(result, "jobs").completed == (
        sub.completed + sub.backlog_final + sub.in_flight_end)


# --------------------------------------------------------------------------- redelivery


DEAD_LETTERS = f"""\
archsim: 1
name: dead-letters
workload: [{{name: req, to: api/post, rate: 40}}]
components:
  api: {{type: service, workers: 50, endpoints: {{post: {{calls: [{{publish: orders}}]}}}}}}
  orders:
    type: topic
    partitions: 4
    max_deliveries: 3
    dead_letter: dlq
    subscribers: [{{group: billing, to: billing/charge, consumers: 4}}]
  billing:
    type: service
    workers: 4
    endpoints:
      charge: {{work: {{dist: exponential, mean: 10ms}}, calls: [{{to: flaky/x}}]}}
  flaky: {{type: service, workers: 1, queue: 0, endpoints: {{x: {{work: {EXP_20MS}}}}}}}
  dlq: {{type: queue}}
"""


def test_failed_handlings_are_redelivered_then_dead_lettered():
    # flaky has one worker and no waiting room: a handler that calls it while another consumer
    # is there is rejected, its handling fails, and the topic redelivers the message in place
    # (same consumer, same partition) until three deliveries have failed; then it goes to dlq.
    result = one_replication(DEAD_LETTERS, 60.0, seed=77)
    group = subscriber(result, "orders/billing")
    assert group.redeliveries > 0 and group.dead_lettered > 0
    assert group.handler_failed == 0
    # every failed delivery is exactly one rejection at flaky: the retried ones and the last
    # (third) failure of each dead-lettered message
    assert component(result, "flaky").rejected == group.redeliveries + group.dead_lettered
    # each dead-lettered message used two redeliveries; recovered messages used some too
    assert group.redeliveries > 2 * group.dead_lettered
    assert component(result, "dlq").completed == group.dead_lettered
    # a delivery is the first of a settled or in-flight message, or a redelivery
    assert group.deliveries == (group.completed + group.dead_lettered + group.in_flight_end
                                + group.redeliveries)


QUEUE_RETRIES = """\
archsim: 1
name: queue-retries
workload: [{name: req, to: api/post, rate: 120}]
components:
  api: {type: service, workers: 50, endpoints: {post: {calls: [{publish: jobs}]}}}
  jobs:
    type: queue
    latency: 1ms
    max_deliveries: 2
    subscribers: [{to: worker/run, consumers: 2}]
  worker:
    type: service
    workers: 2
    endpoints:
      run: {work: {dist: exponential, mean: 10ms}, calls: [{to: flaky/x}]}
  flaky: {type: service, workers: 1, queue: 0, endpoints: {x: {work: 5ms}}}
"""


def test_queue_conservation_with_redelivery_and_failures():
    # A failed handling goes to the back of the line; after two failed deliveries the message
    # is given up (no dead letter: handler_failed). Two consumers at ~15 ms a delivery cannot
    # keep up with 120/s plus redeliveries, so a backlog is left at the end.
    result = one_replication(QUEUE_RETRIES, 20.0, seed=87)
    sub = subscriber(result, "jobs/worker")
    published = component(result, "jobs").completed
    assert sub.redeliveries > 0 and sub.handler_failed > 0 and sub.dead_lettered == 0
    assert sub.backlog_final > 0
    assert published == (sub.completed + sub.backlog_final + sub.in_flight_end
                         + sub.dead_lettered + sub.handler_failed)
    assert sub.settled_total == sub.completed + sub.handler_failed
    # every failed delivery is one rejection at flaky; a failed message waiting at the back of
    # the line for its redelivery is not a redelivery yet
    failures = component(result, "flaky").rejected
    assert 0 <= failures - (sub.redeliveries + sub.handler_failed) <= sub.backlog_final
    # the same through the report's rounded rates (warm-up 0, one replication)
    report = archsim.simulate(archsim.load(QUEUE_RETRIES), duration_s=20.0, warmup_s=0.0,
                              replications=1, seed=87, jobs=1).to_dict()
    entry = report["subscribers"]["jobs/worker"]
    accounted = (entry["throughput_rps"] * 20.0 + entry["backlog_final"]
                 + entry["in_flight_end"] + entry["dead_lettered"] + entry["handler_failed"])
    assert report["components"]["jobs"]["throughput_rps"] * 20.0 == pytest.approx(
        accounted, abs=0.01)
    assert entry["backlog_final"] == sub.backlog_final


def test_topic_conservation_per_group():
    result = one_replication(DEAD_LETTERS.replace("rate: 40", "rate: 150"), 10.0, seed=97)
    group = subscriber(result, "orders/billing")
    assert group.backlog_final > 0 and group.dead_lettered > 0
    assert component(result, "orders").completed == group.received_total == (
        group.completed + group.backlog_final + group.in_flight_end + group.dead_lettered
        + group.handler_failed)


COMPETING_ENTRIES = f"""\
archsim: 1
name: competing-entries
workload: [{{name: req, to: api/post, rate: 170}}]
components:
  api: {{type: service, workers: 50, endpoints: {{post: {{calls: [{{publish: jobs}}]}}}}}}
  jobs:
    type: queue
    subscribers: [{{to: fast/run, consumers: 2}}, {{to: slow/run, consumers: 3}}]
  fast: {{type: service, workers: 2, endpoints: {{run: {{work: {EXP_20MS}}}}}}}
  slow:
    type: service
    workers: 3
    endpoints: {{run: {{work: {{dist: exponential, mean: 60ms}}}}}}
"""


def test_queue_subscribers_compete_for_one_line():
    # two subscriber entries take from the same line (150/s of consumers against 170/s):
    # each message is handled once, by one of them; each reports its own messages in handling
    # and the one shared backlog
    result = one_replication(COMPETING_ENTRIES, 10.0, seed=13)
    fast, slow = subscriber(result, "jobs/fast"), subscriber(result, "jobs/slow")
    assert fast.backlog_final == slow.backlog_final > 0
    assert 0 < fast.in_flight_end <= 2 and 0 < slow.in_flight_end <= 3
    assert component(result, "jobs").completed == (
        fast.completed + slow.completed + fast.backlog_final + fast.in_flight_end
        + slow.in_flight_end)
    assert fast.completed > 1.5 * slow.completed  # ~100/s against ~50/s
    # two entries without groups on one component would share a report key: refused
    same_key = COMPETING_ENTRIES.replace("to: slow/run", "to: fast/run")
    with pytest.raises(ModelError, match="both reported as 'jobs/fast'"):
        one_replication(same_key, 1.0, seed=1)


# --------------------------------------------------------------------------- determinism


DETERMINISM = f"""\
archsim: 1
name: determinism
workload: [{{name: req, to: api/post, rate: 80}}]
components:
  api:
    type: service
    workers: 50
    endpoints:
      post:
        calls:
          - {{publish: events, key: {{distinct: 50, skew: 1.1}}}}
          - {{publish: jobs, p: 0.5}}
  events:
    type: topic
    partitions: 3
    latency: {{dist: exponential, mean: 1ms}}
    subscribers: [{{group: g, to: worker/run, consumers: 3}}]
  jobs:
    type: queue
    visibility_timeout: 40ms
    max_deliveries: 2
    dead_letter: dlq
    subscribers: [{{to: worker/run, consumers: 2}}]
  dlq: {{type: queue}}
  worker: {{type: service, workers: 5, endpoints: {{run: {{work: {EXP_20MS}}}}}}}
"""


def test_same_seed_same_report_across_jobs():
    topology = archsim.load(DETERMINISM)

    def report(seed: int, jobs: int) -> dict:
        return archsim.simulate(topology, duration_s=8.0, warmup_s=1.0, replications=2,
                                seed=seed, jobs=jobs).to_dict()

    first = report(5, 1)
    assert first["subscribers"]["jobs/worker"]["duplicates"] > 0
    assert first == report(5, 1)
    assert first == report(5, 2)
    assert report(6, 1)["subscribers"] != first["subscribers"]
