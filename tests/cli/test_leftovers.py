"""Leftovers: piped output ignores FORCE_COLOR, flags named right, the autoscaler's rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

runner = CliRunner()
TOPOLOGY = """\
archsim: 1
name: t
simulation: {duration: 1s, warmup: 0.2s, replications: 1, seed: 1}
workload:
  - {name: r, to: gateway/get, rate: 20}
components:
  gateway: {type: load_balancer, target: web}
  web: {type: service, workers: 4, endpoints: {get: {work: 10ms}}}
faults:
  - {component: web, at: 0.2s, for: 0.2s, latency_factor: 2}
"""


def write(tmp_path: Path, text: str = TOPOLOGY) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def piped(args: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    """``archsim ARGS`` with stdout and stderr piped, FORCE_COLOR and friends as given."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS")}
    return subprocess.run([sys.executable, "-m", "archsim", *args], capture_output=True,
                          env={**base, **env}, timeout=120, check=False)


@pytest.mark.parametrize("command", [["run", "--jobs", "1"], ["analyze"],
                                     ["validate", "--format", "json"]])
def test_piped_stdout_is_plain_whatever_force_color_says(tmp_path: Path,
                                                         command: list[str]) -> None:
    path = write(tmp_path)
    args = [command[0], path, *command[1:]]
    plain = piped(args)
    assert plain.returncode == 0, plain.stderr.decode()
    assert b"\x1b" not in plain.stdout
    for env in ({"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}):
        forced = piped(args, **env)
        assert forced.returncode == 0, forced.stderr.decode()
        assert b"\x1b" not in forced.stdout
        assert forced.stdout == plain.stdout
