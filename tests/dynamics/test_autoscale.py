"""Autoscaling: after a step in load the replica count converges, late enough, within bounds."""

from __future__ import annotations

import math

import pytest
import simpy

import archsim
from archsim.engine.build import build_model
from archsim.errors import SpecError

from ._helpers import topology

STEP_S, DELAY_S, INTERVAL_S = 30.0, 10.0, 5.0
RATE_AFTER, WORK_S, WORKERS, TARGET = 220.0, 0.02, 2, 0.6
SCALE = (f"    autoscale: {{min: 1, max: 8, target_utilization: {TARGET}, "
         f"interval: {INTERVAL_S:g}s, delay: {DELAY_S:g}s}}\n")


def _run(seed: int, until_s: float = 150.0):
    topo = topology(f"[{{at: 0s, rate: 40}}, {{at: {STEP_S:g}s, rate: {RATE_AFTER:g}}}]",
                    SCALE, work="{dist: exponential, mean: 20ms}", workers=WORKERS)
    env = simpy.Environment()
    model = build_model(topo, env, seed)
    for client in model.clients:
        client.dynamic.horizon_s = until_s
        client.start()
    (scaler,) = model.autoscalers
    scaler.start()
    env.run(until=until_s)
    return scaler


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_step_in_load_converges_to_the_count_under_target(seed: int) -> None:
    scaler = _run(seed)
    load = RATE_AFTER * WORK_S  # busy workers wanted
    expected = math.ceil(load / (WORKERS * TARGET))  # 4: utilization 0.55 < 0.6
    assert load / (WORKERS * expected) < TARGET <= load / (WORKERS * (expected - 1))
    times = [t for t, _ in scaler.history]
    counts = [n for _, n in scaler.history]
    assert all(1 <= n <= 8 for n in counts)
    assert counts[0] == 1 and all(n == 1 for t, n in scaler.history if t < STEP_S + DELAY_S)
    first_up = next(t for t, n in scaler.history if n > 1)
    assert first_up >= STEP_S + DELAY_S
    assert counts[-1] == expected, scaler.history
    assert times[-1] < 120.0, "not settled 30 s before the end"


def test_replicas_never_leave_min_and_max() -> None:
    topo = topology("[{at: 0s, rate: 400}, {at: 20s, rate: 0}]",
                    "    autoscale: {min: 2, max: 3, target_utilization: 0.5, interval: 1s, "
                    "delay: 2s}\n    replicas: 2\n", work="{dist: exponential, mean: 20ms}",
                    workers=2)
    env = simpy.Environment()
    model = build_model(topo, env, 1)
    model.clients[0].dynamic.horizon_s = 40.0
    model.clients[0].start()
    (scaler,) = model.autoscalers
    scaler.start()
    env.run(until=40.0)
    counts = [n for _, n in scaler.history]
    assert min(counts) == 2 and max(counts) == 3 and counts[-1] == 2


def test_report_counts_capacity_of_every_replica() -> None:
    from archsim.engine.simulate import simulate

    topo = topology("[{at: 0s, rate: 40}, {at: 20s, rate: 220}]", SCALE,
                    work="{dist: exponential, mean: 20ms}", workers=WORKERS)
    report = simulate(topo, duration_s=60.0, warmup_s=10.0, replications=2, jobs=1)
    entry = report.to_dict()["components"]["svc"]
    assert 1 <= entry["replicas_min"] <= entry["replicas_mean"] <= entry["replicas_max"] <= 8
    assert 0 < entry["utilization"] < 1
    assert entry["throughput_rps"] == pytest.approx(report.to_dict()["requests"]["req"][
        "throughput_rps"])


@pytest.mark.parametrize(("autoscale", "message"), [
    ("{min: 3, max: 2}", "expected min <= max, got min 3 and max 2"),
    ("{max: 4, target_utilization: 1.5}", "expected a value <= 1"),
    ("{max: 4, interval: 0s}", "expected an interval of at least 1ms, got 0s"),
    ("{max: 4, delay: 30}", "did you mean"),
    ("{max: 4, cooldown: 30s}", "unknown key 'cooldown'"),
])
def test_bad_autoscale_is_located(autoscale: str, message: str) -> None:
    text = ("archsim: 1\nname: t\nworkload: [{name: a, to: s/e, rate: 1}]\ncomponents:\n"
            f"  s:\n    type: service\n    autoscale: {autoscale}\n"
            "    endpoints: {e: {work: 1ms}}\n")
    with pytest.raises(SpecError) as caught:
        archsim.load(text)
    issue = caught.value.issues[0]
    assert issue.line == 7 and issue.dotted_path.startswith("components.s.autoscale")
    assert message in issue.message


def test_initial_replicas_outside_the_bounds_are_refused() -> None:
    with pytest.raises(SpecError) as caught:
        topology("10", "    replicas: 5\n    autoscale: {min: 1, max: 3}\n")
    assert "expected 'replicas' within autoscale min..max (1..3), got 5" in str(
        caught.value.issues[0])
