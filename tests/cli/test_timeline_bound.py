"""``--timeline`` refuses an interval that makes more than 100,000 bins (exit 2, before the run).

Break-it finding 2: ``--timeline 1us`` on a 60 s run asked for 6e7 bins and hung; 0.1 ms on
22 s took 32 s and 550 MB.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli.app import app

runner = CliRunner()
TOPOLOGY = """\
archsim: 1
name: t
simulation: {duration: 60s, warmup: 0s, replications: 1, seed: 1}
workload: [{name: r, to: web/get, rate: 50}]
components:
  web: {type: service, endpoints: {get: {work: 5ms}}}
"""


@pytest.fixture
def topology(tmp_path: Path) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(TOPOLOGY, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("interval", "bins"), [
    ("1us", "60,000,000"), ("1e-9s", "60,000,000,000"), ("0.5ms", "120,000")])
def test_a_timeline_with_too_many_bins_is_a_usage_error_before_the_run(
        topology: str, interval: str, bins: str) -> None:
    started = time.monotonic()
    result = runner.invoke(app, ["run", topology, "--timeline", interval, "--json",
                                 "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert time.monotonic() - started < 10
    assert "--timeline" in result.stderr
    assert f"makes {bins} bins per replication over 60s" in result.stderr
    assert "at most 100,000 are allowed, so give at least 600us for this run" in result.stderr
    assert result.stdout == ""


def test_the_bound_counts_the_warm_up_and_the_duration_flags(topology: str) -> None:
    result = runner.invoke(app, ["run", topology, "--timeline", "100us", "--duration", "20s",
                                 "--warmup", "2s", "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert "makes 220,000 bins per replication over 22s" in result.stderr
    assert "give at least 221us" in result.stderr


def test_an_automatic_warm_up_is_counted_at_its_longest(topology: str) -> None:
    result = runner.invoke(app, ["run", topology, "--timeline", "0.5ms", "--duration", "40s",
                                 "--warmup", "auto", "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert "makes 120,000 bins per replication over 60s (the automatic warm-up" in result.stderr


def test_the_shortest_interval_the_message_gives_is_accepted(topology: str) -> None:
    result = runner.invoke(app, ["run", topology, "--timeline", "221us", "--duration", "20s",
                                 "--warmup", "2s", "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
