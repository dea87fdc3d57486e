"""``warmup: auto``: MSER-5 with a bias test, never cutting into a fault; fault windows outside
the measured window are reported."""

from __future__ import annotations

import archsim
from archsim.engine.simulate import simulate

MM1 = """
archsim: 1
name: warm
simulation: {{duration: 120s, warmup: {warmup}, replications: 2, seed: 1}}
network: {{latency: 0ms}}
workload: [{{name: req, to: lb/get, rate: {rate}}}]
components:
  lb: {{type: load_balancer, target: app}}
  app: {{type: service, workers: 1, endpoints: {{get: {{work: {work}}}}}}}
faults:
{faults}
"""


def _run(rate: float, work: str, faults: str = "  []", warmup: str = "auto") -> dict:
    text = MM1.format(rate=rate, work=work, faults=faults, warmup=warmup).replace(
        "faults:\n  []", "faults: []")
    return simulate(archsim.load(text), jobs=1).to_dict()


def test_a_queue_that_starts_empty_near_saturation_gets_a_warm_up() -> None:
    # M/M/1 at rho = 0.95 starting empty relaxes in about 1 / (mu (1 - sqrt(rho))^2) = 16 s
    report = _run(95, "{dist: exponential, mean: 10ms}")
    assert report["simulation"]["warmup_auto"] and report["simulation"]["warmup_s"] > 5


def test_a_series_without_start_up_bias_needs_no_warm_up() -> None:
    # constant 5 ms work at 2.6% busy: every response takes 5 ms; MSER-5 alone dropped half
    assert _run(5, "5ms")["simulation"]["warmup_s"] == 0
    assert _run(50, "{dist: exponential, mean: 10ms}")["simulation"]["warmup_s"] == 0


def test_the_automatic_warm_up_never_cuts_into_a_fault() -> None:
    fault = "  - {component: lb, at: 5s, for: 10s, replicas_down: 1}"
    report = _run(95, "{dist: exponential, mean: 10ms}", fault)
    assert report["simulation"]["warmup_s"] <= 5
    errors = report["requests"]["req"]["failed"] / (report["requests"]["req"]["failed"]
                                                   + report["requests"]["req"]["completed"])
    assert abs(errors - 10 / 120) < 0.01  # the whole 10 s outage is measured


def test_faults_outside_the_measured_window_are_warned_about() -> None:
    faults = ("  - {component: app, at: 0s, for: 2s, error_rate: 0.5}\n"
              "  - {component: app, at: 4s, for: 2s, error_rate: 0.5}\n"
              "  - {component: app, at: 100s, for: 100s, error_rate: 0.5}\n"
              "  - {component: app, at: 500s, for: 1s, error_rate: 0.5}\n")
    warnings = _run(5, "5ms", faults, warmup="5s")["warnings"]
    assert ("fault on 'app' (0 s to 2 s) ends within the warm-up (5 s): nothing of it is "
            "measured; shorten the warm-up or move the fault") in warnings
    assert ("fault on 'app' (4 s to 6 s) is only partly in the measured window (5 s to "
            "125 s): 1 s of it is measured") in warnings
    assert ("fault on 'app' (100 s to 200 s) is only partly in the measured window (5 s to "
            "125 s): 25 s of it is measured") in warnings
    assert ("fault on 'app' (500 s to 501 s) starts after the run ends (125 s): it never "
            "happens") in warnings
