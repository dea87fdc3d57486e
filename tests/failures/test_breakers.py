"""Circuit breakers: open under a fault, shed load, half-open on schedule, close after it;
a retry storm that outlives its trigger (metastable) and the budget or breaker that ends it."""

from __future__ import annotations

from itertools import pairwise

import pytest

from engine._accuracy import simulate

FAULTY = """
archsim: 1
name: breaker
workload: [{{name: req, to: front/get, rate: 100}}]
components:
  front:
    type: service
    workers: 64
    endpoints:
      get:
        calls:
          - to: back/get
            retries: {{max: 2, backoff: 5ms}}
            {breaker}
  back: {{type: service, workers: 16, endpoints: {{get: {{work: 2ms}}}}}}
faults:
  - {{component: back, at: 20s, for: 10s, error_rate: 1.0}}
"""
BREAKER = "circuit_breaker: {failure_ratio: 50%, window: 2s, min_calls: 10, open_for: 3s}"


def test_breaker_opens_sheds_half_opens_on_schedule_and_closes_after_the_fault() -> None:
    run = simulate(FAULTY.format(breaker=BREAKER), duration_s=35, warmup_s=5, replications=2)
    for result in run.results:
        breaker = result.failures.breakers["front/get -> back/get"]
        transitions = breaker["transitions"]
        assert transitions[0][1] == "open" and 20.0 <= transitions[0][0] < 21.5  # old successes
        for (t_open, s_open), (t_half, s_half) in pairwise(transitions):
            if s_open == "open":  # the open period runs from the trip, never extended
                assert s_half == "half_open" and abs(t_half - t_open - 3.0) < 1e-9
        closes = [t for t, state in transitions if state == "closed"]
        assert closes and 30.0 <= closes[0] <= 33.0 + 1e-9
        assert transitions[-1][1] == "closed"
        assert breaker["refused"] > 1000
        assert 6.0 <= breaker["open_s"] <= 10.0 + 3.0  # the last trip can be just before 30 s
    report = run.report
    back = report["components"]["back"]["breakers"]["front/get -> back/get"]
    assert back["trips"] >= 2


def test_breaker_makes_the_same_fault_cost_fewer_attempts() -> None:
    plain = simulate(FAULTY.format(breaker=""), duration_s=35, warmup_s=5, replications=2)
    guarded = simulate(FAULTY.format(breaker=BREAKER), duration_s=35, warmup_s=5,
                       replications=2)
    edge = "front/get -> back/get"
    attempts = plain.report["calls"][edge]["attempts"]
    with_breaker = guarded.report["calls"][edge]["attempts"]
    print(f"attempts without breaker {attempts}, with {with_breaker}")
    assert with_breaker < 0.85 * attempts
    assert guarded.report["calls"][edge]["short_circuited"] > 0


STORM = """
archsim: 1
name: storm
workload: [{{name: req, to: front/get, rate: 700}}]
components:
  front:
    type: service
    io: nonblocking
    workers: 8
    endpoints:
      get:
        calls:
          - to: api/get
            timeout: 100ms
            retries: {{max: 3, backoff: 10ms{budget}}}
            {breaker}
  api:
    type: service
    workers: 10
    queue: 300
    endpoints: {{get: {{work: {{dist: exponential, mean: 10ms}}}}}}
faults:
  - {{component: api, at: 10s, for: 3s, latency_factor: 4}}
"""


def _goodput(run, second: int) -> float:
    """Successful calls per second at ``second`` (attempts minus failed calls, one replica)."""
    rows = [r.failures.calls["front/get -> api/get"]["per_second"] for r in run.results]
    done = [row.get(second, (0, 0)) for row in rows]
    return sum(a for a, _ in done) / len(done)


@pytest.mark.slow
def test_retry_storm_outlives_its_trigger_and_a_budget_or_breaker_ends_it() -> None:
    storm = simulate(STORM.format(budget="", breaker=""), duration_s=25, warmup_s=5,
                     replications=2)
    budget = simulate(STORM.format(budget=", budget: 10%", breaker=""), duration_s=25,
                      warmup_s=5, replications=2)
    breaker = simulate(STORM.format(budget="", breaker=BREAKER.replace("window: 2s",
                                                                       "window: 1s")),
                       duration_s=25, warmup_s=5, replications=2)
    errors = {}
    for name, run in (("storm", storm), ("budget", budget), ("breaker", breaker)):
        late = [r.failures.calls["front/get -> api/get"]["per_second"] for r in run.results]
        # calls that failed in the last 8 seconds, long after the 3-second trigger ended
        errors[name] = sum(row.get(s, (0, 0))[1] for row in late for s in range(22, 30))
        print(name, "late failed calls", errors[name], "amplification",
              run.report["calls"]["front/get -> api/get"]["amplification"])
    assert errors["storm"] > 5000  # still overloaded 10 s after the trigger: metastable
    assert errors["budget"] < 0.01 * errors["storm"]
    assert errors["breaker"] < 0.01 * errors["storm"]
    assert any("retries multiply its calls" in w for w in storm.report["warnings"])
