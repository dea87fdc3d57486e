"""``archsim run``, ``models`` and ``--version`` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim import __version__
from archsim.cli.app import app

runner = CliRunner()
QUICK = ["--duration", "2s", "--warmup", "0.5s", "--replications", "2", "--jobs", "1"]

UNSTABLE = """\
archsim: 1
name: overload
workload: [{name: req, to: slow/work, rate: 200}]
components:
  slow: {type: service, workers: 1, endpoints: {work: {work: 10ms}}}
"""

PUBLISHER = """\
archsim: 1
name: pub
workload: [{name: req, to: api/post, rate: 10}]
components:
  api: {type: service, endpoints: {post: {work: 1ms, calls: [{publish: events}]}}}
  events: {type: topic, partitions: 2}
"""


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_run_bundled_model_json_is_clean_stdout() -> None:
    result = runner.invoke(app, ["run", "monolith", *QUICK, "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["topology"] == "shop-monolith"
    assert set(report["requests"]) == {"browse", "checkout", "login"}
    browse = report["requests"]["browse"]
    assert set(browse["latency_ms"]) == {"mean", "p50", "p90", "p95", "p99", "max"}
    assert browse["latency_ms"]["p50"] <= browse["latency_ms"]["p99"] <= browse["latency_ms"]["max"]
    assert report["bottleneck"] == "app"
    assert report["simulation"] == {"duration_s": 2.0, "warmup_s": 0.5, "replications": 2,
                                    "seed": 1, "rate_scale": 1.0, "warmup_auto": False}
    assert result.stderr == ""


def test_same_seed_same_bytes_whatever_jobs() -> None:
    first = runner.invoke(app, ["run", "monolith", *QUICK, "--json"])
    again = runner.invoke(app, ["run", "monolith", *QUICK, "--json"])
    parallel = runner.invoke(app, ["run", "monolith", *QUICK[:-2], "--jobs", "2", "--json"])
    assert first.exit_code == again.exit_code == parallel.exit_code == 0
    assert first.stdout == again.stdout == parallel.stdout


def test_other_seed_other_numbers() -> None:
    first = runner.invoke(app, ["run", "monolith", *QUICK, "--json"])
    other = runner.invoke(app, ["run", "monolith", *QUICK, "--seed", "7", "--json"])
    assert json.loads(first.stdout)["requests"] != json.loads(other.stdout)["requests"]


def test_rate_scale_and_set_change_the_model() -> None:
    base = json.loads(runner.invoke(app, ["run", "monolith", *QUICK, "--json"]).stdout)
    scaled = json.loads(runner.invoke(
        app, ["run", "monolith", *QUICK, "--json", "--rate-scale", "2"]).stdout)
    assert scaled["requests"]["browse"]["offered_rps"] == 2 * base["requests"]["browse"][
        "offered_rps"]
    bigger = json.loads(runner.invoke(
        app, ["run", "monolith", *QUICK, "--json", "--set", "components.app.replicas=6"]).stdout)
    assert bigger["components"]["app"]["replicas"] == 6
    assert bigger["components"]["app"]["utilization"] < base["components"]["app"]["utilization"]


def test_csv_and_output_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "monolith", *QUICK, "--csv"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "section,name,metric,value"
    assert any(line.startswith("requests,browse,latency_ms.p99,") for line in lines)
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["run", "monolith", *QUICK, "--json", "--output", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["topology"] == "shop-monolith"


def test_plain_tables_when_piped() -> None:
    result = runner.invoke(app, ["run", "monolith", *QUICK])
    assert result.exit_code == 0
    assert "Requests" in result.stdout and "Components" in result.stdout
    assert "* bottleneck: app" in result.stdout
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize("flags", [["--duration", "2"], ["--duration", "2x"],
                                   ["--warmup", "soon"], ["--replications", "0"],
                                   ["--json", "--csv"], ["--jobs", "0"]])
def test_wrong_usage_exits_2(flags: list[str]) -> None:
    result = runner.invoke(app, ["run", "monolith", *flags])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_bad_override_is_located_on_the_flag() -> None:
    result = runner.invoke(app, ["run", "monolith", *QUICK, "--set", "components.app.workerz=3"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "--set components.app.workerz=3: [error] components.app.workerz: unknown key 'workerz'")
    assert "Did you mean 'workers'?" in result.stderr


def test_missing_file_exits_1() -> None:
    result = runner.invoke(app, ["run", "no/such/file.yaml"])
    assert result.exit_code == 1
    assert "no/such/file.yaml: [error]" in result.stderr and "no such file" in result.stderr


def test_unstable_model_stops_with_a_clear_message(tmp_path: Path) -> None:
    path = write(tmp_path, UNSTABLE)
    result = runner.invoke(app, ["run", path, *QUICK, "--duration", "60s",
                                 "--max-in-flight", "500"])
    assert result.exit_code == 1
    assert "unstable" in result.stderr and "'slow'" in result.stderr
    assert "Traceback" not in result.output


def test_topic_without_subscribers_is_reported_not_hidden(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", write(tmp_path, PUBLISHER), *QUICK, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["components"]["events"]["throughput_rps"] > 0
    assert any("events: a topic with no subscribers" in w for w in report["warnings"])


def test_models_lists_bundled_topologies() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "monolith" in names and "microservices" in names


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"archsim {__version__}\n"


def test_every_command_has_help() -> None:
    for command in ("run", "validate", "graph", "schema", "models"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert len(result.stdout) > 100


def test_data_tier_table_in_human_output() -> None:
    example = Path(__file__).parents[2] / "examples" / "read-replicas-consistency"
    path = sorted(example.glob("*.yaml"))[0]
    result = runner.invoke(app, ["run", str(path), *QUICK])
    assert result.exit_code == 0, result.output
    assert "Data tier" in result.stdout and "stale reads" in result.stdout
