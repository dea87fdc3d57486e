"""``archsim.sweep`` and ``archsim sweep``: points, knee, saturation point, table, chart, plots.

The M/M/1 here serves 100 requests/s (exponential work, mean 10 ms) and is offered 50/s, so
queueing theory puts its capacity at rate scale 2.0 (utilization 1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archsim
from archsim.analysis.sweep import SweepPoint, find_knee, find_saturation, parse_values
from archsim.cli.app import app
from archsim.errors import SpecError, UsageError

runner = CliRunner()
MM1 = """\
archsim: 1
name: mm1
simulation: {duration: 20s, warmup: 2s, replications: 2, seed: 3}
workload: [{name: req, to: server/work, rate: 50}]
components:
  server: {type: service, workers: 1, endpoints: {work: {work: {dist: exponential, mean: 10ms}}}}
"""
ANALYTIC_CAPACITY = 2.0
QUICK = ["--duration", "5s", "--warmup", "1s", "--replications", "2", "--jobs", "1"]


@pytest.fixture(scope="module")
def mm1_sweep() -> archsim.analysis.sweep.SweepResult:  # type: ignore[name-defined]
    return archsim.sweep(MM1, parse_values("0.4:2.8:0.4"), jobs=1)


def write(tmp_path: Path, text: str = MM1) -> str:
    path = tmp_path / "mm1.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_parse_values_ranges_and_lists() -> None:
    assert parse_values("0.2:1.0:0.2") == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert parse_values("1:4") == [1.0, 2.0, 3.0, 4.0]
    assert parse_values("1, 2,4ms") == [1.0, 2.0, "4ms"]
    assert parse_values("3") == [3.0]


@pytest.mark.parametrize(("text", "message"), [
    ("1:0.5", "STOP must be >= START"),
    ("0:1:0", "the step must be > 0"),
    ("a:b", "expected START:STOP[:STEP] with numbers"),
    ("1,,2", "expected START:STOP[:STEP] or a comma list"),
    ("0:5000", "at most 1000"),
])
def test_parse_values_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_values(text)


def test_saturation_point_at_the_analytic_capacity(mm1_sweep) -> None:  # type: ignore[no-untyped-def]
    points = mm1_sweep.points
    assert [p.value for p in points] == pytest.approx([0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8])
    saturation = points[mm1_sweep.saturation]
    assert abs(saturation.value - ANALYTIC_CAPACITY) <= 0.4 + 1e-9
    # the simulation alone (not the theory line) also sees it within one step
    simulated = next(p for p in points if any("theory" not in r for r in p.saturated))
    assert abs(simulated.value - ANALYTIC_CAPACITY) <= 0.4 + 1e-9
    assert not any(p.saturated for p in points if p.value < 1.7)
    assert points[-1].throughput_rps == pytest.approx(100, rel=0.1)  # the server's capacity


def test_knee_lies_between_light_load_and_saturation(mm1_sweep) -> None:  # type: ignore[no-untyped-def]
    assert mm1_sweep.knee is not None
    assert 0 < mm1_sweep.knee < mm1_sweep.saturation
    p99 = [p.latency_ms["p99"] for p in mm1_sweep.points[: mm1_sweep.saturation]]
    assert p99[0] < p99[-1]


def test_to_dict_is_json_ready(mm1_sweep) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(mm1_sweep.to_dict(), allow_nan=False))
    assert data["parameter"] == "rate_scale"
    assert data["saturation"] == pytest.approx(2.0)
    assert set(data["points"][0]) >= {"value", "offered_rps", "throughput_rps", "latency_ms",
                                      "requests", "utilization", "bottleneck", "saturated"}
    assert data["points"][0]["requests"]["req"]["offered_rps"] == pytest.approx(20.0)


def _point(value: float, p99: float, saturated: bool = False) -> SweepPoint:
    return SweepPoint(value, value, None, None, {"p99": p99}, {}, {}, {}, None,
                      ("x",) if saturated else ())


def test_knee_needs_a_bend() -> None:
    flat = [_point(v, 100 + (v % 2) * 0.5) for v in range(1, 7)]
    assert find_knee(flat) is None
    straight = [_point(v, 10 * v) for v in range(1, 7)]
    assert find_knee(straight) is None
    convex = [_point(v, 50 / (7 - v)) for v in range(1, 7)]
    assert find_knee(convex) == 4
    falling = [_point(v, 50 + 500 / v**2) for v in range(1, 7)]  # more replicas, less latency
    assert find_knee(falling) == 1


def test_saturation_from_the_light_load_end() -> None:
    rising = [_point(v, 1, saturated=v >= 4) for v in range(1, 6)]
    assert find_saturation(rising) == 3
    falling = [_point(v, 1, saturated=v <= 2) for v in range(1, 6)]
    assert find_saturation(falling) == 1
    assert find_saturation([_point(1, 1)]) is None


def test_unstable_point_is_recorded_and_the_sweep_goes_on() -> None:
    result = archsim.sweep(MM1, [1.0, 3.0, 4.0], max_in_flight=50, jobs=1)
    stopped = result.points[1]
    assert stopped.error is not None and "in flight" in stopped.error
    assert stopped.saturated[0].startswith("unstable")
    assert stopped.throughput_rps is None and stopped.latency_ms == {}
    assert len(result.points) == 3 and result.saturation == 1
    short = archsim.sweep(archsim.load(MM1), [1.0, 3.0, 4.0], max_in_flight=50, jobs=1,
                          stop_at_saturation=True)
    assert [p.value for p in short.points] == [1.0, 3.0]


def test_parameter_sweep_over_replicas() -> None:
    text = MM1.replace("rate: 50", "rate: 150")
    result = archsim.sweep(text, [1.0, 2.0, 3.0], parameter="components.server.replicas",
                           duration_s=5.0, jobs=1)
    assert [p.utilization["server"] < 1 for p in result.points] == [False, True, True]
    assert result.saturation == 0  # the one saturated point next to the healthy ones
    assert result.points[2].latency_ms["p99"] < result.points[1].latency_ms["p99"]


def test_bad_parameter_value_is_located_on_the_flag() -> None:
    with pytest.raises(SpecError) as info:
        archsim.sweep(MM1, [0.0], parameter="components.server.replicas")
    assert info.value.issues[0].file == "--set components.server.replicas=0"
    with pytest.raises(UsageError, match="needs the topology file"):
        archsim.sweep(archsim.load(MM1), [1.0], parameter="components.server.replicas")
    with pytest.raises(UsageError, match="rate scales must be numbers >= 0"):
        archsim.sweep(MM1, [-1.0])


# --- command line -----------------------------------------------------------------------


def test_cli_table_chart_and_marks(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sweep", write(tmp_path), "--rate-scale", "0.5:2.5:0.5",
                                 *QUICK])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "rate_scale" in out and "offered/s" in out and "p99 ms" in out
    assert "throughput/s\n" in out and "┤" in out and "█" in out
    assert "saturation point: " in out
    assert "\nsaturation: rate_scale = 2 (" in out
    assert "(K knee, S saturation)" in out


def test_cli_json_and_csv_are_clean(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = runner.invoke(app, ["sweep", path, "--rate-scale", "0.5,1", *QUICK, "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert [p["value"] for p in data["points"]] == [0.5, 1.0]
    csv = runner.invoke(app, ["sweep", path, "--rate-scale", "0.5,1", *QUICK, "--csv"])
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("rate_scale,offered_rps,throughput_rps,latency_ms_mean")
    assert len(lines) == 3 and lines[1].startswith("0.5,25.0,")


def test_cli_param_sweep(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sweep", write(tmp_path), "--param",
                                 "components.server.workers=1,2", *QUICK, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["parameter"] == "components.server.workers"
    utilization = [p["utilization"]["server"] for p in data["points"]]
    assert utilization[1] == pytest.approx(utilization[0] / 2, rel=0.05)


@pytest.mark.parametrize("args", [
    [],
    ["--rate-scale", "1", "--param", "components.server.replicas=1:2"],
    ["--rate-scale", "2:1"],
    ["--param", "components.server.replicas"],
    ["--rate-scale", "1", "--plot", "curve.txt"],
    ["--rate-scale", "1", "--json", "--csv"],
])
def test_cli_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["sweep", write(tmp_path), *args, *QUICK])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def test_cli_invalid_file_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, MM1.replace("workers: 1", "workers: one"))
    result = runner.invoke(app, ["sweep", path, "--rate-scale", "1", *QUICK])
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:6:36: [error] components.server.workers: expected a "
                             "whole number, got 'one'\n")


def test_cli_plot_png_and_svg(tmp_path: Path) -> None:
    matplotlib_image = pytest.importorskip("matplotlib.image")
    path = write(tmp_path)
    png, svg = tmp_path / "curve.png", tmp_path / "curve.svg"
    for target in (png, svg):
        result = runner.invoke(app, ["sweep", path, "--rate-scale", "0.5:2.5:0.5", *QUICK,
                                     "--json", "--plot", str(target)])
        assert result.exit_code == 0, result.stderr
        json.loads(result.stdout)
        assert f"plot written to {target}" in result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib_image.imread(png).shape
    assert width > 400 and height > 300
    text = svg.read_text(encoding="utf-8")
    for label in ("throughput (requests/s)", "latency (ms)", "rate scale", "knee",
                  "saturation", "p99"):
        assert label in text


def test_cli_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(app, ["sweep", write(tmp_path), "--rate-scale", "1", *QUICK,
                                 "--plot", str(tmp_path / "c.png")])
    assert result.exit_code == 1
    assert "pip install 'archsim[plot]'" in result.stderr
    assert not (tmp_path / "c.png").exists()
