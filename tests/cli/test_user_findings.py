"""Findings of a break-it session turned into tests: no traceback, clear exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import archsim
from archsim.cli.app import app

runner = CliRunner()
BASE = """\
archsim: 1
name: t
simulation: {duration: 2s, warmup: 0.5s, replications: 1, seed: 1}
workload:
  - {name: r, to: web/get, rate: 50}
components:
  web: {type: service, workers: 4, endpoints: {get: {work: 10ms, calls: [CALL]}}}
  db: {type: database, endpoints: {q: {work: 5ms}}}
"""


def write(tmp_path: Path, call: str = "{to: db/q}") -> str:
    path = tmp_path / "base.yaml"
    path.write_text(BASE.replace("CALL", call), encoding="utf-8")
    return str(path)


def test_unwritable_output_is_refused_before_the_run(tmp_path: Path) -> None:
    path = write(tmp_path)
    for target in (str(tmp_path / "missing" / "out.json"), str(tmp_path)):
        for flags in ([], ["--json"]):
            result = runner.invoke(app, ["run", path, "--jobs", "1", "-o", target, *flags])
            assert result.exit_code == 1, result.output
            assert "cannot write" in result.stderr
            assert "Traceback" not in result.output
    result = runner.invoke(app, ["schema", "-o", str(tmp_path / "missing" / "s.json")])
    assert result.exit_code == 1 and "cannot write" in result.stderr


def test_huge_retry_count_does_not_overflow_the_backoff(tmp_path: Path) -> None:
    path = write(tmp_path, "{to: db/q, timeout: 1ms, retries: {max: 100, multiplier: 10, "
                           "backoff: 0ms}}")  # the largest the schema allows
    result = runner.invoke(app, ["run", path, "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output


def test_overly_deep_call_chain_is_a_located_error() -> None:
    count = 70
    lines = ["archsim: 1", "name: chain", "workload: [{name: r, to: s0/x, rate: 1}]",
             "components:"]
    for index in range(count):
        calls = f", calls: [{{to: s{index + 1}/x}}]" if index + 1 < count else ""
        lines.append(f"  s{index}: {{type: service, endpoints: {{x: {{work: 10us{calls}}}}}}}")
    issues = archsim.validate("\n".join(lines) + "\n")
    assert len(issues) == 1
    assert "at most 64 hops, got 69" in issues[0].message
    assert issues[0].dotted_path == "components.s64.endpoints.x.calls[0].to"
    assert issues[0].line == 4 + 65


def test_analyze_survives_a_saturation_search_landing_on_utilization_one(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("archsim: 1\nname: m\nworkload: [{name: r, to: gw/x, rate: 5}]\n"
                    "components: {gw: {type: service, endpoints: {x: {work: 1.17ms}}}}\n")
    result = runner.invoke(app, ["analyze", str(path)])
    assert result.exit_code == 0, result.output
    assert "saturation" in result.stdout


def test_capacity_with_an_impossible_objective_finds_no_load(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = runner.invoke(app, ["capacity", path, "--slo", "p99<1ms", "--jobs", "1",
                                 "--max-probes", "6"])
    assert result.exit_code == 1, result.output
    assert "no load tried meets every objective" in result.stdout
