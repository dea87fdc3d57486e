"""Failures from injected faults do not make a sweep point saturated; load failures do."""

from __future__ import annotations

import archsim
from archsim.analysis.overload import saturation_reasons, served_share
from archsim.engine.simulate import simulate

DOWN = """
archsim: 1
name: lb-down
simulation: {duration: 30s, warmup: 0s, replications: 1}
workload: [{name: req, to: lb/get, rate: 100}]
components:
  lb: {type: load_balancer, target: app}
  app: {type: service, workers: 4, queue: 2, endpoints: {get: {work: 5ms}}}
faults:
  - {component: lb, at: 5s, for: 20s, replicas_down: 1}
"""


def test_a_balancer_outage_fails_requests_without_saturating_the_point() -> None:
    topology = archsim.load(DOWN)
    report = simulate(topology, jobs=1).to_dict()
    entry = report["requests"]["req"]
    assert entry["failed"] > 0.6 * (entry["failed"] + entry["completed"])  # 20 s of 30 down
    share = served_share(report)  # of the requests that met no fault: a few rejections
    assert share is not None and share > 0.99
    assert saturation_reasons(topology, 1.0, report) == []


def test_rejections_from_overload_still_saturate_it() -> None:
    topology = archsim.load(DOWN.split("faults:")[0])
    report = simulate(topology, jobs=1, rate_scale=10.0).to_dict()  # 1000/s on 800/s
    share = served_share(report)
    assert share is not None and share < 0.95
    assert any("served" in reason for reason in saturation_reasons(topology, 10.0, report))


def test_a_sweep_point_whose_fault_never_happens_says_so() -> None:
    text = DOWN.replace("duration: 30s", "duration: 10s")
    result = archsim.sweep(text, ["5s", "20s"], parameter="faults[0].at", jobs=1)
    assert [point.warnings for point in result.points] == [
        ("fault on 'lb' (5 s to 25 s) is only partly in the measured window (0 s to 10 s): "
         "5 s of it is measured",),
        ("fault on 'lb' (20 s to 40 s) starts after the run ends (10 s): it never happens",)]
    assert result.to_dict()["points"][1]["warnings"] == list(result.points[1].warnings)


def test_sweep_ranges_may_carry_a_unit() -> None:
    import pytest

    from archsim.analysis.sweep import parse_values

    assert parse_values("5s:15s:5s") == ["5s", "10s", "15s"]
    assert parse_values("100ms:300ms:100ms") == ["100ms", "200ms", "300ms"]
    with pytest.raises(ValueError, match="one unit"):
        parse_values("5s:20ms:5s")
    text = DOWN.replace("duration: 30s", "duration: 10s")
    result = archsim.sweep(text, parse_values("2s:6s:2s"), parameter="faults[0].for", jobs=1)
    failed = [p.requests["req"]["error_rate"] for p in result.points]
    assert failed == sorted(failed) and failed[0] > 0.1  # a longer outage fails more
