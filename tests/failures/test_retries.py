"""Retries: attempts per call 1 + q + q^2 and call errors q^3; retry budgets cap them."""

from __future__ import annotations

from engine._accuracy import check, simulate

FLAKY = """
archsim: 1
name: flaky
workload: [{{name: req, to: front/get, rate: 200}}]
components:
  front:
    type: service
    workers: 64
    endpoints:
      get:
        calls:
          - to: back/get
            retries: {{max: 2, backoff: 1ms{budget}}}
  back: {{type: service, workers: 64, endpoints: {{get: {{work: 1ms}}}}}}
faults:
  - {{component: back, at: 0s, for: 1h, error_rate: {q}}}
"""


def _edges(run):
    return [r.failures.calls["front/get -> back/get"] for r in run.results]


def test_attempts_per_call_and_error_probability_follow_q() -> None:
    q = 0.3
    run = simulate(FLAKY.format(q=q, budget=""), duration_s=20, warmup_s=1, replications=6)
    edges = _edges(run)
    check("attempts per call", [e["attempts"] / e["calls"] for e in edges], 1 + q + q * q)
    check("call error probability", [e["failed"] / e["calls"] for e in edges], q ** 3)
    request = run.request()
    assert request["errors"] == {"fault": request["failed"]}  # one error per request
    assert run.report["calls"]["front/get -> back/get"]["amplification"] > 1.3


def test_retry_budget_caps_amplification() -> None:
    q = 0.6
    run = simulate(FLAKY.format(q=q, budget=", budget: 10%"), duration_s=20, warmup_s=1,
                   replications=3)
    for edge in _edges(run):
        amplification = edge["attempts"] / edge["calls"]
        assert amplification <= 1.1 + 0.01, amplification
        assert edge["budget_denied"] > 0
    unlimited = 1 + q + q * q
    assert run.report["calls"]["front/get -> back/get"]["amplification"] < unlimited - 0.4
