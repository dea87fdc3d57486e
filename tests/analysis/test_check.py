"""SLO evaluation, ``archsim.check`` and ``archsim check`` (exit codes, JSON, JUnit XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

import archsim
from archsim.analysis.slo import evaluate_slos
from archsim.cli.app import app

runner = CliRunner()

# constant 10 ms of work, far more workers than needed: every latency is exactly 10 ms
STEADY = """\
archsim: 1
name: steady
simulation: {{duration: 2s, warmup: 0.2s, replications: 2, seed: 1}}
workload:
  - {{name: read, to: api/read, rate: 50}}
  - {{name: write, to: api/write, rate: 10}}
components:
  api:
    type: service
    workers: 16
    endpoints: {{read: {{work: 10ms}}, write: {{work: 20ms}}}}
slos:
{slos}
"""
MET = """\
  - {request: read, p99: 15ms, mean: 10ms}
  - {request: "*", error_rate: "0.1%", throughput: 5}
"""
MISSED = """\
  - {request: read, p99: 15ms}
  - {request: write, p99: 15ms}
"""


def topology(slos: str) -> archsim.Topology:
    return archsim.load(STEADY.format(slos=slos))


def write(tmp_path: Path, slos: str, name: str = "design.yaml") -> str:
    path = tmp_path / name
    path.write_text(STEADY.format(slos=slos), encoding="utf-8")
    return str(path)


def test_rows_follow_the_spec_report_format() -> None:
    requests = {"read": {"latency_ms": {"mean": 10.0, "p99": 10.0}, "error_rate": 0.0,
                         "throughput_rps": 50.0},
                "write": {"latency_ms": {}, "error_rate": 0.5, "throughput_rps": 4.0}}
    rows = evaluate_slos(topology(MET), requests)
    assert rows == [
        {"request": "read", "metric": "mean", "target_ms": 10.0, "value_ms": 10.0, "met": True},
        {"request": "read", "metric": "p99", "target_ms": 15.0, "value_ms": 10.0, "met": True},
        {"request": "read", "metric": "error_rate", "target": 0.001, "value": 0.0, "met": True,
         "selector": "*"},
        {"request": "read", "metric": "throughput", "target_rps": 5.0, "value_rps": 50.0,
         "met": True, "selector": "*"},
        {"request": "write", "metric": "error_rate", "target": 0.001, "value": 0.5,
         "met": False, "selector": "*"},
        {"request": "write", "metric": "throughput", "target_rps": 5.0, "value_rps": 4.0,
         "met": False, "selector": "*"},
    ]
    no_latency = evaluate_slos(topology(MISSED), requests)[1]
    assert no_latency == {"request": "write", "metric": "p99", "target_ms": 15.0,
                          "value_ms": None, "met": False}


def test_every_run_report_carries_its_slos() -> None:
    report = archsim.simulate(topology(MISSED), jobs=1)
    assert [(r["request"], r["met"]) for r in report.slos] == [("read", True), ("write", False)]
    assert report.to_dict()["slos"][1]["value_ms"] == 20.0
    assert not any("slo" in warning for warning in report.warnings)


def test_check_passes_and_fails() -> None:
    passed = archsim.check(topology(MET), jobs=1)
    assert passed.passed and passed.missed == [] and len(passed.slos) == 6
    failed = archsim.check(topology(MISSED), jobs=1)
    assert not failed.passed
    assert [row["request"] for row in failed.missed] == ["write"]
    assert failed.to_dict()["report"]["topology"] == "steady"


def test_cli_exit_0_when_all_met(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", write(tmp_path, MET), "--jobs", "1"])
    assert result.exit_code == 0, result.stderr
    assert "PASSED: 6 of 6 objectives met" in result.stdout
    assert "SLOs" in result.stdout and "MISSED" not in result.stdout


def test_cli_exit_1_on_a_missed_slo(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", write(tmp_path, MISSED), "--jobs", "1"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "FAILED: 1 of 2 objectives missed" in lines
    assert "  write: p99 <= 15 ms, got 20.00 ms" in lines
    row = next(line for line in lines if line.strip().startswith("write"))
    assert row.split() == ["write", "p99", "<=", "15", "ms", "20.00", "ms", "MISSED"]


def test_junit_file_parses_with_one_case_per_objective(tmp_path: Path) -> None:
    good, bad = write(tmp_path, MET, "good.yaml"), write(tmp_path, MISSED, "bad.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("archsim: 1\nname: x\n", encoding="utf-8")
    junit = tmp_path / "out" / "slo.xml"
    junit.parent.mkdir()
    result = runner.invoke(app, ["check", good, bad, str(broken), "--jobs", "1",
                                 "--junit", str(junit)])
    assert result.exit_code == 1
    assert "3 files checked: 1 passed, 2 failed" in result.stdout
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("file") for s in suites] == [good, bad, str(broken)]
    assert [len(s.findall("testcase")) for s in suites] == [6, 2, 1]
    failures = suites[1].findall("testcase/failure")
    assert len(failures) == 1 and failures[0].get("message") == "write p99 <= 15 ms: got 20.00 ms"
    assert suites[2].find("testcase/error") is not None


def test_cli_json_is_clean_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", write(tmp_path, MISSED), "--jobs", "1", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["checks"][0]["slos"][1] == {"request": "write", "metric": "p99",
                                            "target_ms": 15.0, "value_ms": 20.0, "met": False}


def test_cli_invalid_file_exit_1_and_no_slos_exit_0(tmp_path: Path) -> None:
    invalid = runner.invoke(app, ["check", write(tmp_path, "  - {request: nope, p99: 1s}")])
    assert invalid.exit_code == 1
    assert "slos[0].request" in invalid.stderr and "no request class 'nope'" in invalid.stderr
    plain = (tmp_path / "plain.yaml")
    plain.write_text(STEADY.format(slos="").replace("slos:\n", ""), encoding="utf-8")
    empty = runner.invoke(app, ["check", str(plain), "--jobs", "1"])
    assert empty.exit_code == 0
    assert "no slos in the file; nothing to check" in empty.stderr
    usage = runner.invoke(app, ["check", str(plain), "--warmup", "soon"])
    assert usage.exit_code == 2


def test_run_prints_the_slo_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", write(tmp_path, MISSED), "--jobs", "1"])
    assert result.exit_code == 0  # run reports; only check gates
    assert "SLOs" in result.stdout and "MISSED" in result.stdout
    assert "not yet available" not in result.stdout
