"""Accounting rules of the engine and the report: what is counted, when, and how it combines.

These are invariants rather than theory: utilization is bounded by 1 even when the run ends
mid-service, percentiles come from merged samples, Little's law holds, requests still in flight
at the end are reported, closed users start by thinking, every request is accounted for, the
same seed gives the same report whatever the number of processes, and an unstable model stops
with an error naming its saturated component.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import archsim
from archsim.engine.replicate import run_replications
from archsim.engine.run import RunSettings, run_replication

from ._accuracy import simulate


def single(rate: str, work: str, *, workers: int = 1, queue: int | None = None) -> str:
    waiting = "" if queue is None else f", queue: {queue}"
    return f"""\
archsim: 1
name: single
workload: [{{name: req, to: s/e, rate: {rate}}}]
components:
  s: {{type: service, workers: {workers}{waiting}, endpoints: {{e: {{work: {work}}}}}}}
"""


EXP_100MS = "{dist: exponential, mean: 100ms}"


# --------------------------------------------------------------------------- utilization


def test_utilization_at_most_one_in_overload_with_bounded_queue():
    # 50/s offered to 2 workers x 10/s with 5 waiting places: saturated, rejecting.
    run = simulate(single("50", EXP_100MS, workers=2, queue=5), duration_s=30.0,
                   warmup_s=2.0, replications=4, seed=5)
    per_replication = [c.busy_area / (c.workers * run.duration_s)
                       for c in run.components_named("s")]
    assert all(0.98 < u <= 1.0 for u in per_replication), per_replication
    entry = run.component("s")
    assert 0.98 < entry["utilization"] <= 1.0
    # the t interval of values just under 1 reaches past 1 unless clipped to the range
    low, high = entry["ci95_utilization"]
    assert 0.0 <= low <= entry["utilization"] <= high <= 1.0
    assert entry["rejected"] > 0
    assert any("saturated" in warning for warning in run.report["warnings"])


def test_utilization_is_clipped_at_the_end_of_the_window():
    # Constant 7 s services on 2 workers, offered 10/s, queue 5: from t ~ 0.1 s on, both
    # workers are busy until well past the end. The window [1 s, 11 s] must count exactly
    # 2 x 10 worker-seconds busy, not the full 7 s of services still running at the end.
    run = simulate(single("10", "7s", workers=2, queue=5), duration_s=10.0, warmup_s=1.0,
                   replications=2, seed=5)
    for stats in run.components_named("s"):
        assert stats.busy_area == pytest.approx(2 * 10.0, abs=1e-9)
    assert run.component("s")["utilization"] == 1.0
    assert run.request()["in_flight_end"] > 0


def test_utilization_at_most_one_unbounded_overload_at_end():
    run = simulate(single("20", EXP_100MS), duration_s=20.0, warmup_s=0.0, replications=2,
                   seed=6)
    assert all(c.busy_area <= run.duration_s + 1e-9 for c in run.components_named("s"))
    assert run.component("s")["utilization"] <= 1.0


# --------------------------------------------------------------------------- percentiles


def test_percentiles_are_of_merged_samples_not_averaged():
    run = simulate(single("7", EXP_100MS), duration_s=60.0, warmup_s=5.0, replications=4,
                   seed=7)
    per_replication = run.latencies()
    merged = np.concatenate(per_replication)
    np.testing.assert_array_equal(run.samples_s["req"], merged)
    latency = run.request()["latency_ms"]
    for level in (50, 90, 95, 99):
        assert latency[f"p{level}"] == pytest.approx(np.percentile(merged, level) * 1e3,
                                                     abs=1e-4)
    assert latency["mean"] == pytest.approx(merged.mean() * 1e3, abs=1e-4)
    assert latency["max"] == pytest.approx(merged.max() * 1e3, abs=1e-4)
    averaged_p99 = np.mean([np.percentile(v, 99) for v in per_replication]) * 1e3
    assert abs(latency["p99"] - averaged_p99) > 1.0  # ms: the other recipe gives another number
    assert run.request()["completed"] == len(merged)


# --------------------------------------------------------------------------- Little's law


LITTLE_NETWORK = """\
archsim: 1
name: little
workload: [{name: req, to: a/x, rate: 6}]
components:
  a:
    type: service
    workers: 2
    endpoints: {x: {work: {dist: exponential, mean: 50ms}, calls: [{to: b/y, p: 0.5}]}}
  b: {type: service, workers: 1, endpoints: {y: {work: {dist: gamma, mean: 80ms, cv: 0.5}}}}
"""


def test_littles_law_flagged_ok_on_a_stable_model():
    run = simulate(LITTLE_NETWORK, duration_s=300.0, warmup_s=10.0, replications=4, seed=8)
    for name in ("a", "b"):
        little = run.component(name)["littles_law"]
        assert little["ok"] is True, (name, little)
        assert little["number_mean"] == pytest.approx(little["throughput_x_residence"],
                                                      rel=0.02)
    assert not any("Little" in warning for warning in run.report["warnings"])


# --------------------------------------------------------------------------- in flight at the end


def test_requests_in_flight_at_end_are_reported_with_a_warning():
    run = simulate(single("20", EXP_100MS), duration_s=20.0, warmup_s=1.0, replications=2,
                   seed=9)
    request = run.request()
    # 20/s offered, 10/s served: about 10 x 21 s x 2 replications still queued at the end
    assert request["in_flight_end"] > 200
    assert request["in_flight_end"] == sum(c.in_flight_end for c in run.classes_named())
    assert any("still in flight at the end; latency is of completed requests only" in warning
               and warning.startswith("req:") for warning in run.report["warnings"])


def test_no_in_flight_warning_on_a_stable_model():
    run = simulate(single("5", EXP_100MS), duration_s=60.0, warmup_s=5.0, replications=2,
                   seed=9)
    assert not any("in flight" in warning for warning in run.report["warnings"])


# --------------------------------------------------------------------------- closed users


def test_closed_users_start_by_thinking():
    # 100 users, exponential think 10 s: each user's first request comes after its first
    # think, so arrivals in [0, 0.1 s] are Binomial(100, 1 - e^{-0.01}), mean ~1.0, and
    # P(more than 7) < 1e-5. A burst of 100 arrivals at t = 0 would fail at once.
    text = """\
archsim: 1
name: closed
workload: [{name: req, to: s/e, users: 100, think: 10s}]
components:
  s: {type: service, workers: 4, endpoints: {e: {work: 10ms}}}
"""
    topology = archsim.load(text)
    early = [run_replication(topology, seed, RunSettings(0.1, 0.0)).classes[0].arrived
             for seed in range(1, 6)]
    assert all(count <= 7 for count in early), early
    # ...and over 30 s the population does work: X ~ N / (Z + R) = 100 / 10.01 per second
    later = run_replication(topology, 1, RunSettings(30.0, 10.0)).classes[0]
    assert 8.0 < later.completed / 30.0 < 12.0


# --------------------------------------------------------------------------- conservation


CONSERVATION = """\
archsim: 1
name: conservation
workload:
  - {name: open, to: a/x, rate: 40, timeout: 150ms}
  - {name: closed, to: a/x, users: 20, think: 200ms}
components:
  a:
    type: service
    workers: 3
    queue: 4
    endpoints:
      x:
        work: {dist: exponential, mean: 20ms}
        calls: [{to: b/y, p: 0.6, timeout: 100ms, retries: {max: 1, backoff: 10ms}}]
  b: {type: service, workers: 1, queue: 2, endpoints: {y: {work: {dist: exponential, mean: 60ms}}}}
"""


@pytest.mark.parametrize("warmup_s", [0.0, 3.0])
def test_request_conservation(warmup_s):
    topology = archsim.load(CONSERVATION)
    result = run_replication(topology, 12, RunSettings(20.0, warmup_s))
    assert result.in_flight_end == sum(c.in_flight_end for c in result.classes)
    for stats in result.classes:
        assert stats.arrived_total == stats.finished_total + stats.in_flight_end
        assert stats.failed == sum(stats.errors.values()) == sum(
            stats.error_components.values())
        assert stats.completed == len(stats.latencies_s)
        assert stats.failed > 0  # rejections and timeouts both happen here
        # requests already in flight when the window opened finish inside it, so the window
        # can only finish more than it admitted minus what is left
        backlog_at_start = stats.completed + stats.failed + stats.in_flight_end - stats.arrived
        if warmup_s == 0.0:
            assert backlog_at_start == 0
        else:
            assert backlog_at_start >= 0
    errors = {k for c in result.classes for k in c.errors}
    assert errors <= {"rejected", "timeout"} and errors


def test_report_counts_add_up():
    run = simulate(CONSERVATION, duration_s=20.0, warmup_s=2.0, replications=3, seed=13)
    for name in ("open", "closed"):
        entry = run.request(name)
        per_rep = run.classes_named(name)
        assert entry["completed"] == sum(c.completed for c in per_rep) == len(
            run.samples_s[name])
        assert entry["failed"] == sum(c.failed for c in per_rep) == sum(
            entry["errors"].values())
        total = entry["completed"] + entry["failed"]
        assert entry["error_rate"] == pytest.approx(entry["failed"] / total, abs=1e-6)


# --------------------------------------------------------------------------- determinism


DETERMINISM = """\
archsim: 1
name: determinism
network: {latency: {dist: exponential, mean: 1ms}}
workload:
  - {name: web, to: lb/x, rate: 30}
  - {name: batch, to: a/x, users: 5, think: 100ms}
components:
  lb: {type: load_balancer, target: a, policy: power_of_two, latency: 0.2ms}
  a:
    type: service
    replicas: 3
    workers: 2
    endpoints:
      x:
        work: {dist: lognormal, mean: 20ms, cv: 1.5}
        calls: [{to: b/y, p: 0.3}, {parallel: [{to: b/y}, {to: c/z}]}]
  b: {type: service, replicas: 2, policy: random, workers: 2, endpoints: {y: {work: 10ms}}}
  c: {type: service, workers: 4, queue: 3, endpoints: {z: {work: {dist: gamma, mean: 15ms, cv: 2}}}}
"""


def test_same_seed_same_replications_whatever_jobs():
    # every random construct at once: arrivals, think, lognormal/gamma work, random latency,
    # p-routing, random and power-of-two picks, parallel branches, rejections
    topology = archsim.load(DETERMINISM)
    settings = RunSettings(4.0, 1.0)
    first = run_replications(topology, 17, 3, settings, jobs=1)
    again = run_replications(topology, 17, 3, settings, jobs=1)
    parallel = run_replications(topology, 17, 3, settings, jobs=2)
    assert first == again == parallel
    assert sum(c.completed for r in first for c in r.classes) > 500
    other = run_replications(topology, 18, 3, settings, jobs=1)
    assert [r.classes for r in other] != [r.classes for r in first]


def test_same_seed_same_report_whatever_jobs():
    # the report itself, byte for byte; no parallel step here, because the analytic estimate
    # the report carries costs seconds per report on fork-join models
    text = DETERMINISM.replace("{parallel: [{to: b/y}, {to: c/z}]}", "{to: c/z}")
    topology = archsim.load(text)
    options = {"duration_s": 4.0, "warmup_s": 1.0, "replications": 3, "seed": 17}
    first = archsim.simulate(topology, jobs=1, **options)
    parallel = archsim.simulate(topology, jobs=2, **options)
    assert first.to_dict() == parallel.to_dict()
    assert json.dumps(first.to_dict()) == json.dumps(parallel.to_dict())
    for name, samples in first.latency_samples_s.items():
        np.testing.assert_array_equal(samples, parallel.latency_samples_s[name])


# --------------------------------------------------------------------------- unstable models


def test_unstable_model_stops_and_names_the_saturated_component():
    text = """\
archsim: 1
name: overload
workload: [{name: req, to: slow/work, rate: 200}]
components:
  slow: {type: service, workers: 1, endpoints: {work: {work: 10ms}}}
"""
    topology = archsim.load(text)
    with pytest.raises(archsim.ModelError, match=r"'slow'") as caught:
        archsim.simulate(topology, duration_s=60.0, warmup_s=0.0, replications=1, seed=1,
                         jobs=1, max_in_flight=2000)
    assert "2000" in str(caught.value)


def test_unstable_downstream_component_is_the_one_named():
    # a is fast and nonblocking, so its requests pile up at b (20/s offered, 10/s capacity)
    text = """\
archsim: 1
name: downstream
workload: [{name: req, to: a/x, rate: 20}]
components:
  a: {type: service, workers: 4, io: nonblocking, endpoints: {x: {work: 1ms, calls: [{to: b/y}]}}}
  b: {type: service, workers: 1, endpoints: {y: {work: 100ms}}}
"""
    with pytest.raises(archsim.ModelError, match=r"'b'"):
        archsim.simulate(archsim.load(text), duration_s=600.0, warmup_s=0.0, replications=1,
                         seed=1, jobs=1, max_in_flight=2000)


def test_unstable_callee_behind_blocking_caller_is_the_one_named():
    # b gets 20/s and serves 10/s: it is the saturated component (offered load 2 workers on
    # 1). a needs 0.02 of its 8 workers for its own work, but as a blocking caller all 8 end
    # up held by requests waiting on b, so a's waiting room is the one that grows.
    text = """\
archsim: 1
name: blocking-chain
workload: [{name: req, to: a/x, rate: 20}]
components:
  a: {type: service, workers: 8, endpoints: {x: {work: 1ms, calls: [{to: b/y}]}}}
  b: {type: service, workers: 1, endpoints: {y: {work: 100ms}}}
"""
    with pytest.raises(archsim.ModelError, match=r"'b'"):
        archsim.simulate(archsim.load(text), duration_s=600.0, warmup_s=0.0, replications=1,
                         seed=1, jobs=1, max_in_flight=2000)
