"""Time-varying arrivals: offered load per interval, silent intervals, exact trace replay."""

from __future__ import annotations

import os
from itertools import pairwise

import pytest

import archsim
from archsim.engine.build import build_model
from archsim.errors import SpecError

from ._helpers import run, topology, within_ci

SEEDS = range(1, 7)


@pytest.mark.parametrize("rate", [
    "[{at: 0s, rate: 100}, {at: 4s, rate: 400}, {at: 8s, rate: 0}, {at: 10s, rate: 200}]",
    "{ramp: {from: 0, to: 400, over: 12s}}",
    "{burst: {rate: 500, every: 4s, for: 1s, base: 50}}",
    "{profile: [{at: 0s, rate: 50}, {at: 6s, rate: 300}, {at: 12s, rate: 50}]}",
])
def test_offered_load_per_interval_matches_the_rate(rate: str) -> None:
    topo = topology(rate)
    shape = topo.workload[0].rate
    results = run(topo, SEEDS, duration_s=12.0, timeline_s=1.0)
    edges = results[0].timeline.edges_s
    for index, (start, end) in enumerate(pairwise(edges)):
        counts = [r.timeline.classes["req"].arrived[index] for r in results]
        expected = shape.expected(start, end)
        if expected == 0:
            assert counts == [0] * len(counts), f"arrivals in a silent interval {start}s"
            continue
        ok, mean, half = within_ci(counts, expected)
        assert ok, f"[{start}, {end}) s: {mean:.1f} +- {half:.1f} arrivals, expected {expected}"
    offered = results[0].classes[0].offered_rps
    assert offered == pytest.approx(shape.expected(0, 12) / 12)


def test_a_zero_rate_interval_gets_no_arrival_at_all() -> None:
    topo = topology("[{at: 0s, rate: 1000}, {at: 2s, rate: 0}, {at: 5s, rate: 1000}]")
    results = run(topo, range(1, 4), duration_s=6.0, timeline_s=0.5)
    for result in results:
        arrived = result.timeline.classes["req"].arrived
        assert sum(arrived[4:10]) == 0
        assert min(arrived[:4]) > 300 and min(arrived[10:]) > 300


def test_rate_scale_multiplies_a_shape() -> None:
    topo = topology("{ramp: {from: 100, to: 300, over: 4s}}")
    from archsim.engine.run import RunSettings, run_replication

    result = run_replication(topo, 1, RunSettings(4.0, 0.0, rate_scale=0.5))
    assert result.classes[0].offered_rps == pytest.approx(100.0)


def _trace_topology(tmp_path, rows: str, extra_workload: str = "") -> str:
    (tmp_path / "arrivals.csv").write_text(rows)
    path = tmp_path / "t.yaml"
    path.write_text(f"""archsim: 1
name: traced
workload:
  - {{name: req, to: svc/op, trace: arrivals.csv}}
{extra_workload}components:
  svc: {{type: service, workers: 4, endpoints: {{op: {{work: 2ms}}}}}}
""")
    return str(path)


def test_a_trace_of_n_arrivals_gives_n_requests_at_those_times(tmp_path) -> None:
    times = [0.25 * k + 0.01 * (k % 3) for k in range(1, 41)]
    path = _trace_topology(tmp_path, "time\n" + "".join(f"{t}\n" for t in times))
    topo = archsim.load(path)
    import simpy

    env = simpy.Environment()
    model = build_model(topo, env, 1)
    seen: list[float] = []
    client = model.clients[0]
    original = client.one

    def recorded():
        seen.append(env.now)
        return original()

    client.one = recorded  # type: ignore[method-assign]
    client.start()
    env.run(until=20)
    assert seen == pytest.approx(times, abs=1e-12)
    results = run(topo, range(1, 3), duration_s=15.0)
    for result in results:
        assert result.classes[0].arrived == len(times)
        assert result.classes[0].completed == len(times)


def test_a_shared_trace_splits_by_class_column(tmp_path) -> None:
    rows = "0.1,req\n0.2,other\n0.3,req\n1.5s,req\n"
    path = _trace_topology(tmp_path, rows, "  - {name: other, to: svc/op, trace: arrivals.csv}\n")
    topo = archsim.load(path)
    assert topo.workload[0].trace_times_s == (0.1, 0.3, 1.5)
    assert topo.workload[1].trace_times_s == (0.2,)


def test_bad_trace_rows_are_located_in_the_csv(tmp_path) -> None:
    path = _trace_topology(tmp_path, "time,class\n0.5,req\nsoon,req\n0.2,req\n3,rq\n4,req,x\n")
    with pytest.raises(SpecError) as caught:
        archsim.load(path)
    csv_file = os.path.join(str(tmp_path), "arrivals.csv")
    found = [(i.file, i.line, i.column) for i in caught.value.issues]
    assert found == [(csv_file, 3, 1), (csv_file, 4, 1), (csv_file, 5, 2), (csv_file, 6, 3)]
    messages = [i.message for i in caught.value.issues]
    assert "got 'soon'" in messages[0]
    assert "expected a time >= 0.5s" in messages[1]
    assert "Did you mean 'req'?" in messages[2]
    assert all(i.dotted_path == "workload[0].trace" for i in caught.value.issues)


def test_a_missing_trace_is_located_at_its_key(tmp_path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("archsim: 1\nname: t\nworkload:\n  - {name: a, to: s/e, trace: no.csv}\n"
                    "components: {s: {type: service, endpoints: {e: {work: 1ms}}}}\n")
    with pytest.raises(SpecError) as caught:
        archsim.load(str(path))
    issue = caught.value.issues[0]
    assert (issue.file, issue.line, issue.dotted_path) == (str(path), 4, "workload[0].trace")
    assert "no such trace file" in issue.message
