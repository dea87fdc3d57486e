"""Breaker state appears in the timeline: closed, open during the fault, closed after it."""

from __future__ import annotations

from pathlib import Path

import archsim

EXAMPLE = Path(__file__).parents[2] / "examples" / "retry-storm" / "breaker.yaml"


def test_breaker_state_follows_the_fault_in_the_timeline() -> None:
    from archsim.engine.simulate import simulate

    topology = archsim.load(str(EXAMPLE))
    report = simulate(topology, replications=1, jobs=1, seed=1, timeline_s=1.0)
    timeline = report.to_dict()["timeline"]
    states = timeline["breakers"]["gateway/get -> api/get"]["state"]
    times = timeline["t_s"]
    before = [s for t, s in zip(times, states, strict=True) if t < 4.0]
    during = [s for t, s in zip(times, states, strict=True) if 4.5 <= t < 6.0]
    assert set(before) == {"closed"}
    assert "open" in during
    assert states[-1] == "closed"
