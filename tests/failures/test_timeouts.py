"""Timeouts: latency bounded by the timeout, wasted work at the callee, deadline propagation,
and no worker or waiting-room place leaked once arrivals stop."""

from __future__ import annotations

import pytest
import simpy

import archsim
from archsim.engine.build import build_model
from archsim.model.client import Arrivals
from engine._accuracy import simulate

OVERLOADED = """
archsim: 1
name: overloaded
network: {{latency: 1ms}}
workload: [{{name: req, to: api/get, rate: 120, timeout: 100ms}}]
components:
  api:
    type: service
    workers: 4
    deadline: {deadline}
    endpoints:
      get:
        work: 2ms
        calls: [{{to: db/q, timeout: 50ms}}]
  db:
    type: database
    workers: 1
    queue: 50
    endpoints: {{q: {{work: {{dist: exponential, mean: 10ms}}}}}}
faults:
  - {{component: db, at: 3s, for: 3s, latency_factor: 3}}
"""


def test_latency_never_exceeds_the_workload_timeout_plus_the_response_hop() -> None:
    run = simulate(OVERLOADED.format(deadline="ignore"), duration_s=10, warmup_s=1,
                   replications=2)
    assert run.request()["failed"] > 0
    for samples in run.latencies():
        assert samples.max() <= 0.100 + 0.001 + 1e-9


def test_abandoned_requests_are_wasted_work_and_propagated_deadlines_drop_them() -> None:
    ignore = simulate(OVERLOADED.format(deadline="ignore"), duration_s=10, warmup_s=1,
                      replications=2).report
    db = ignore["components"]["db"]
    assert db["abandoned"] > 0 and db["wasted_work_s"] > 0.5
    assert db["dropped"] == 0
    topology = OVERLOADED.format(deadline="ignore").replace(
        "type: database\n", "type: database\n    deadline: propagate\n")
    propagate = simulate(topology, duration_s=10, warmup_s=1, replications=2).report
    pdb = propagate["components"]["db"]
    assert pdb["dropped"] > 0
    assert pdb["wasted_work_s"] < db["wasted_work_s"]
    assert propagate["requests"]["req"]["error_rate"] < ignore["requests"]["req"]["error_rate"]


def _stop_arrivals(env: simpy.Environment) -> None:
    for entry in env._queue:  # type: ignore[attr-defined]
        if isinstance(entry[3], Arrivals):
            entry[3].gap = lambda: 1e12


def test_no_worker_or_place_is_leaked_once_arrivals_stop() -> None:
    for deadline in ("ignore", "propagate"):
        text = OVERLOADED.format(deadline=deadline).replace(
            "faults:", "  lb: {type: load_balancer, target: api}\nfaults:\n"
            "  - {component: api, at: 4s, for: 1s, replicas_down: 1}")
        topology = archsim.load(text)
        env = simpy.Environment()
        model = build_model(topology, env, seed=3)
        for client in model.clients:
            client.start()
        env.run(until=8.0)
        _stop_arrivals(env)
        env.run(until=60.0)
        for name in ("api", "db"):
            for station in model.components[name].replicas:
                assert (station.busy, len(station.waiting), station.present) == (0, 0, 0), name
        assert model.ctx.in_flight == 0


PARALLEL_DEADLINE = """
archsim: 1
name: parallel-deadline
network: {latency: 0ms}
workload: [{name: req, to: api/get, rate: 20, timeout: 20ms}]
components:
  api: {type: service, workers: 100, endpoints: {get: {calls: [{parallel: [{to: mid/x}]}]}}}
  mid: {type: service, workers: 100, endpoints: {x: {work: 50ms, calls: [{to: down/y}]}}}
  down: {type: service, workers: 100, deadline: propagate, endpoints: {y: {work: 5ms}}}
"""


def test_a_deadline_reaches_the_later_steps_of_a_parallel_branch() -> None:
    # The client gives up after 20 ms; mid calls down 50 ms into the branch, past the
    # deadline, so down (deadline: propagate) drops every one of those calls.
    run = simulate(PARALLEL_DEADLINE, duration_s=20, warmup_s=1, replications=1)
    (result,) = run.results
    down = result.failures.services["down"]
    (stats,) = run.classes_named()
    assert stats.completed == 0 and stats.failed > 300
    assert down["dropped"] >= stats.failed - 2  # calls still on their way at the end differ
    assert next(c for c in result.components if c.name == "down").completed == 0


RETRY_PAST_DEADLINE = """
archsim: 1
name: retry-past-deadline
network: {{latency: 0ms}}
workload: [{{name: req, to: gw/get, rate: 10, timeout: 50ms}}]
components:
  gw:
    type: service
    io: nonblocking
    deadline: {deadline}
    endpoints:
      get:
        calls:
          - {{to: api/get, timeout: 20ms, retries: {{max: 5, backoff: 10ms, jitter: false}}}}
  api: {{type: service, workers: 100, endpoints: {{get: {{work: 30ms}}}}}}
"""


@pytest.mark.parametrize(("deadline", "attempts"), [("propagate", 2), ("ignore", 6)])
def test_a_caller_with_deadline_propagation_stops_retrying_past_the_deadline(
        deadline: str, attempts: int) -> None:
    # every attempt times out after 20 ms; retries start 10 ms later: at 0, 30, 60, ... ms.
    # The client gives up at 50 ms, so with propagation the third attempt is never made.
    run = simulate(RETRY_PAST_DEADLINE.format(deadline=deadline), duration_s=20, warmup_s=0,
                   replications=1)
    (edge,) = run.report["calls"].values()
    assert edge["amplification"] == pytest.approx(attempts, abs=0.05)  # one call at the end
    assert edge["deadline_stopped"] == (edge["failed"] if deadline == "propagate" else 0)
