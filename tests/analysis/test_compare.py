"""``archsim.compare`` and ``archsim compare``: common random numbers, paired differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archsim
from archsim.analysis.compare import run_layouts
from archsim.analysis.paired import paired_half_width_pct, unpaired_half_width_pct
from archsim.cli.app import app
from archsim.cli.compare import split_variant
from archsim.engine.run import RunSettings
from archsim.errors import UsageError

runner = CliRunner()

MM1 = """\
archsim: 1
name: mm1
simulation: {{duration: 10s, warmup: 1s, replications: 5, seed: 1}}
workload: [{{name: req, to: server/handle, rate: {rate}}}]
components:
  server:
    type: service
    workers: 1
    endpoints: {{handle: {{work: {{dist: exponential, mean: {work}}}}}}}
"""

TWO_TIER = """\
archsim: 1
name: two-tier
simulation: {duration: 4s, warmup: 0.5s, replications: 3, seed: 5}
workload: [{name: req, to: web/page, rate: 20}]
components:
  web:
    type: service
    workers: 2
    endpoints: {page: {work: {dist: exponential, mean: 10ms}, calls: [{to: db/query}]}}
  db: {type: database, endpoints: {query: {work: {dist: exponential, mean: 5ms}}}}
"""


def mm1(work: str = "10ms", rate: int = 10) -> archsim.Topology:
    return archsim.load(MM1.format(work=work, rate=rate))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def all_differences(data: dict) -> list[dict]:
    return [diff for section in ("requests", "components", "subscribers")
            for entry in data[section].values() for metric in entry.values()
            for diff in metric["differences"].values()]


def test_a_layout_against_itself_differs_by_exactly_zero() -> None:
    topology = archsim.load(TWO_TIER)
    data = archsim.compare([topology, topology], jobs=1).to_dict()
    diffs = all_differences(data)
    assert len(diffs) >= 10  # request metrics and both components' metrics
    for diff in diffs:
        shown = diff.pop("shown")
        assert diff == {"pct": 0.0, "ci95_pct": [0.0, 0.0], "significant": False,
                        "absolute": 0.0, "ci95_absolute": [0.0, 0.0]}
        assert shown in ("pct", "absolute")
    assert [layout["label"] for layout in data["layouts"]] == ["two-tier", "two-tier #2"]
    assert all(not metric["best"] for entry in data["requests"].values()
               for metric in entry.values())


def test_same_seed_same_arrivals_in_every_layout() -> None:
    """Common random numbers: a workload's arrival stream depends on its name and the seed."""
    settings = RunSettings(duration_s=5.0, warmup_s=0.5)
    slow, fast = run_layouts([mm1("10ms"), mm1("10.3ms")], [[1, 2, 3], [1, 2, 3]], settings,
                             jobs=1)
    arrived = [[r.classes[0].arrived for r in layout] for layout in (slow, fast)]
    assert arrived[0] == arrived[1]
    assert len(set(arrived[0])) > 1  # different seeds, different streams
    other = run_layouts([mm1("10ms")], [[4, 5, 6]], settings, jobs=1)[0]
    assert [r.classes[0].arrived for r in other] != arrived[0]


def test_common_random_numbers_detect_a_3_percent_difference_independent_runs_cannot() -> None:
    """M/M/1 at 10 req/s, work 10 ms vs 10.3 ms: mean latency 11.1 vs 11.5 ms (+3.4%)."""
    layouts = {"base": mm1("10ms"), "slower": mm1("10.3ms")}
    paired = archsim.compare(layouts, jobs=1).to_dict()
    unpaired = archsim.compare(layouts, jobs=1, common_random_numbers=False).to_dict()
    crn = paired["requests"]["req"]["latency_ms_mean"]["differences"]["slower"]
    independent = unpaired["requests"]["req"]["latency_ms_mean"]["differences"]["slower"]
    # the same runs length (5 x 10 s) in both
    assert paired["simulation"]["replications"] == unpaired["simulation"]["replications"] == 5
    assert paired["simulation"]["seeds"] == {"base": 1, "slower": 1}
    assert unpaired["simulation"]["seeds"] == {"base": 1, "slower": 6}
    low, high = crn["ci95_pct"]
    assert 0 < low < crn["pct"] < high < 6 and crn["significant"]
    low, high = independent["ci95_pct"]
    assert low < 0 < high and not independent["significant"]
    assert high - low > 10 * (crn["ci95_pct"][1] - crn["ci95_pct"][0])
    assert paired["requests"]["req"]["latency_ms_mean"]["best"] == ["base"]
    assert paired["components"]["server"]["utilization"]["best"] == ["base"]


def test_paired_and_unpaired_half_widths() -> None:
    assert paired_half_width_pct([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0
    assert paired_half_width_pct([1.0, 2.0, 3.0], [1.1, 2.2, 3.3]) == 0.0  # proportional
    assert paired_half_width_pct([1.0], [1.0]) is None
    assert paired_half_width_pct([0.0, 0.0], [1.0, 2.0]) is None
    assert unpaired_half_width_pct([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) > 50
    assert unpaired_half_width_pct([2.0, 2.0], [3.0, 3.0]) == 0.0


def test_fewer_than_two_layouts_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="at least two layouts"):
        archsim.compare([mm1()])


def test_split_variant_keeps_commas_inside_values() -> None:
    assert split_variant("components.app.replicas=6") == ["components.app.replicas=6"]
    assert split_variant("a.b=1, c.d[0].e=2") == ["a.b=1", "c.d[0].e=2"]
    assert split_variant("components.db.endpoints.q.work={dist: gamma, mean: 6ms, cv: 1},x=2") \
        == ["components.db.endpoints.q.work={dist: gamma, mean: 6ms, cv: 1}", "x=2"]


QUICK = ["--duration", "2s", "--warmup", "0.2s", "--replications", "2", "--jobs", "1"]


def test_cli_compares_files_side_by_side(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", MM1.format(work="10ms", rate=10))
    second = write(tmp_path, "b.yaml", MM1.format(work="5ms", rate=10).replace(
        "name: mm1", "name: mm1-fast"))
    result = runner.invoke(app, ["compare", first, second, *QUICK])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "against the baseline 'mm1'" in out and "common random numbers" in out
    assert "Δ% mm1-fast" in out
    mean_row = next(line for line in out.splitlines() if "mean ms" in line)
    tokens = mean_row.split()  # mean ms <base> <fast> * -51.55% ±14.15
    assert tokens[:2] == ["mean", "ms"] and tokens[4] == "*" and mean_row.count("*") == 1
    assert tokens[5].startswith("-") and tokens[5].endswith("%") and tokens[6].startswith("±")
    assert "* best value" in out


def test_cli_json_and_variants(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", TWO_TIER)
    result = runner.invoke(app, ["compare", path, *QUICK, "--json",
                                 "--variant", "components.web.workers=4",
                                 "--variant", "components.web.workers=4,components.db.workers=1"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    labels = [layout["label"] for layout in data["layouts"]]
    assert labels == ["two-tier", "components.web.workers=4",
                      "components.web.workers=4,components.db.workers=1"]
    workers = [data["reports"][label]["components"]["web"]["workers"] for label in labels]
    assert workers == [2, 4, 4]
    assert data["reports"][labels[2]]["components"]["db"]["workers"] == 1
    assert data["baseline"] == "two-tier"
    assert set(data["requests"]["req"]["latency_ms_p99"]["differences"]) == set(labels[1:])


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", TWO_TIER)
    alone = runner.invoke(app, ["compare", path])
    assert alone.exit_code == 2 and "--variant" in alone.stderr
    both = runner.invoke(app, ["compare", path, path, "--variant", "x=1"])
    assert both.exit_code == 2 and "exactly one TOPOLOGY" in both.stderr
    duration = runner.invoke(app, ["compare", path, path, "--duration", "10"])
    assert duration.exit_code == 2


def test_cli_bad_variant_is_a_located_issue(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", TWO_TIER)
    result = runner.invoke(app, ["compare", path, *QUICK, "--variant",
                                 "components.web.wrokers=4"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "components.web.wrokers" in result.stderr and "[error]" in result.stderr
