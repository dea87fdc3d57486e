"""Timelines: bins add up to the run's totals, the warm-up is included, results unchanged."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import archsim
from archsim.cli.app import app
from archsim.engine.simulate import simulate
from archsim.engine.timeline import bin_edges

from ._helpers import run, topology


def test_bins_align_on_the_end_of_the_warm_up() -> None:
    assert bin_edges(2.0, 5.0, 6.0) == [0.0, 1.0, 3.0, 5.0, 7.0, 9.0, 11.0]
    assert bin_edges(1.0, 0.0, 2.5) == [0.0, 1.0, 2.0, 2.5]


def test_timeline_sums_equal_the_run_totals() -> None:
    # a bounded waiting room under a burst gives errors to count as well
    topo = topology("{burst: {rate: 900, every: 3s, for: 1s, base: 100}}",
                    "    queue: 5\n", work="{dist: exponential, mean: 4ms}", workers=2)
    report = simulate(topo, duration_s=9.0, warmup_s=1.5, replications=3, jobs=1,
                      timeline_s=1.0).to_dict()
    timeline, request = report["timeline"], report["requests"]["req"]
    measured = slice(timeline["warmup_bins"], None)
    assert timeline["warmup_bins"] == 2  # [0, 0.5) and [0.5, 1.5)
    series = timeline["requests"]["req"]
    assert sum(series["completed"][measured]) == request["completed"]
    assert sum(series["errors"][measured]) == request["failed"] > 0
    assert sum(series["completed"][:timeline["warmup_bins"]]) > 0  # the warm-up is recorded
    assert len(timeline["t_s"]) == len(series["p99_ms"]) == len(
        timeline["components"]["svc"]["utilization"])
    widths = timeline["dt_s"][measured]
    mean_util = sum(u * w for u, w in zip(timeline["components"]["svc"]["utilization"][measured],
                                           widths, strict=True)) / sum(widths)
    assert mean_util == pytest.approx(report["components"]["svc"]["utilization"], abs=1e-3)


def test_a_timeline_does_not_change_the_results() -> None:
    topo = topology("300", work="{dist: exponential, mean: 2ms}", workers=1)
    plain = run(topo, range(1, 3), duration_s=3.0, warmup_s=0.5)
    timed = run(topo, range(1, 3), duration_s=3.0, warmup_s=0.5, timeline_s=0.25)
    for a, b in zip(plain, timed, strict=True):
        assert a.classes == b.classes and a.components == b.components


def test_cli_timeline_json_and_sparklines() -> None:
    runner = CliRunner()
    args = ["run", "monolith", "--duration", "2s", "--warmup", "1s", "--replications", "1",
            "--jobs", "1", "--timeline", "500ms"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    timeline = json.loads(result.stdout)["timeline"]
    assert timeline["interval_s"] == 0.5 and len(timeline["t_s"]) == 6
    text = runner.invoke(app, args)
    assert text.exit_code == 0 and "Timeline: 6 intervals of 0.5 s" in text.stdout
    assert any(ch in text.stdout for ch in "▁▂▃▄▅▆▇█")
    bad = runner.invoke(app, ["run", "monolith", "--timeline", "0s"])
    assert bad.exit_code == 2


def test_constant_arrivals_do_not_drift_across_bins() -> None:
    # the k-th arrival at exactly k x 0.1 s (not 0.1 added k times): one per 100 ms bin
    from archsim.engine.simulate import simulate as run

    text = ("archsim: 1\nname: bins\nworkload: [{name: req, to: api/get, rate: 10, "
            "arrivals: constant}]\ncomponents:\n  api: {type: service, endpoints: "
            "{get: {work: 1ms}}}\n")
    report = run(archsim.load(text), duration_s=3.0, warmup_s=0.0, replications=1, jobs=1,
                 timeline_s=0.1).to_dict()
    arrived = report["timeline"]["requests"]["req"]["arrived"]
    assert arrived == [0] + [1] * 29  # at 0.1 .. 2.9 s; the one at 3.0 s is past the end
