"""Findings of a "break it as a new user" session: usage errors, flags that did nothing,
unbounded worker pools, a warm-up check the command line could not settle, progress output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli.app import app

runner = CliRunner()
QUICK = ["--replications", "2", "--jobs", "1"]

SHORT = """\
archsim: 1
name: short
simulation: {duration: 3s, replications: 2, seed: 1}
workload:
  - {name: req, to: web/get, rate: 40}
components:
  web: {type: service, workers: 4, endpoints: {get: {work: 5ms}}}
"""


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# 5. A file whose duration is shorter than the (default) warm-up ---------------------------

def test_short_duration_names_both_values_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, SHORT)
    result = runner.invoke(app, ["run", path, *QUICK])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:3:24: [error] simulation.duration: the warm-up must be shorter than the "
        "duration, got warm-up 5s (the default) and duration 3s; shorten simulation.warmup "
        "(or set it to 'auto'), lengthen simulation.duration, or give --warmup or --duration "
        "on the command line\n")


@pytest.mark.parametrize("flags", [["--duration", "4s"], ["--warmup", "1s"],
                                   ["--warmup", "auto"]])
def test_duration_or_warmup_flag_settles_the_warmup_check(tmp_path: Path,
                                                          flags: list[str]) -> None:
    path = write(tmp_path, SHORT)
    result = runner.invoke(app, ["run", path, *QUICK, *flags, "--json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["check"], ["sweep", "--rate-scale", "1"],
                                     ["compare", "--variant", "workload.req.rate=20"]])
def test_every_simulating_command_applies_the_flags_first(tmp_path: Path,
                                                          command: list[str]) -> None:
    path = write(tmp_path, SHORT)
    name, *rest = command
    result = runner.invoke(app, [name, path, *rest, *QUICK, "--duration", "2s", "--json"])
    assert result.exit_code == 0, result.output


def test_a_flag_value_the_file_would_refuse_names_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path, SHORT)
    result = runner.invoke(app, ["run", path, *QUICK, "--duration", "0s"])
    assert result.exit_code == 2
    assert "Invalid value for --duration: expected a duration > 0" in result.stderr
    assert "Traceback" not in result.output


# 1. A malformed --set is wrong usage (exit 2); a well-formed one the model refuses is not ---

@pytest.mark.parametrize(("text", "message"), [
    ("foo", "expected KEY=VALUE, such as components.app.replicas=4, got 'foo'"),
    ("a.b", "expected KEY=VALUE, such as components.app.replicas=4, got 'a.b'"),
    ("=3", "expected a KEY before '=', such as components.app.replicas=4, got '=3'"),
    ("a..b=3", "malformed key path 'a..b' at character 3 in 'a..b=3'; expected KEY=VALUE, "
               "such as components.app.replicas=4"),
])
@pytest.mark.parametrize("command", ["run", "check", "sweep", "capacity", "report", "analyze",
                                     "validate", "compare"])
def test_malformed_set_is_a_usage_error(tmp_path: Path, command: str, text: str,
                                        message: str) -> None:
    path = write(tmp_path, SHORT)
    extra = {"sweep": ["--rate-scale", "1"], "compare": [path]}.get(command, [])
    result = runner.invoke(app, [command, path, *extra, "--set", text])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '--set': {message}"
    assert "Traceback" not in result.output


def test_malformed_variant_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, SHORT)
    result = runner.invoke(app, ["compare", path, "--variant", "workload.req.rate"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--variant': expected KEY=VALUE, such as "
        "components.app.replicas=4, got 'workload.req.rate'")


def test_well_formed_set_the_model_refuses_stays_a_located_error(tmp_path: Path) -> None:
    path = write(tmp_path, SHORT)
    result = runner.invoke(app, ["run", path, *QUICK, "--duration", "2s",
                                 "--set", "components.web.workers=abc"])
    assert result.exit_code == 1
    assert result.stderr == ("--set components.web.workers=abc: [error] "
                             "components.web.workers: expected a whole number, got 'abc'\n")
