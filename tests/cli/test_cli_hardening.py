"""Findings of a "break it as a new user" session: usage errors, flags that did nothing,
unbounded worker pools, a warm-up check the command line could not settle, progress output."""

from __future__ import annotations

import io
import sys
import time
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


# 2. --rate-scale must be a finite number > 0, on every command that has it ----------------

@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "-inf"])
@pytest.mark.parametrize("command", ["run", "compare", "check", "analyze", "report"])
def test_rate_scale_must_be_finite_and_positive(tmp_path: Path, command: str,
                                                value: str) -> None:
    path = write(tmp_path, SHORT)
    extra = [path] if command == "compare" else []
    result = runner.invoke(app, [command, path, *extra, f"--rate-scale={value}"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--rate-scale': expected a finite number > 0, such as 1.5, "
        f"got {float(value):g}")


@pytest.mark.parametrize(("flag", "text", "bad"), [
    ("--rate-scale", "0:1:0.5", "0.0"), ("--rate-scale", "inf,1", "'inf'"),
    ("--rate-scale", "nan", "'nan'"), ("--rate-scale", "-1,1", "-1.0"),
    ("--sweep", "0,1", "0.0")])
def test_swept_rate_scales_must_be_finite_and_positive(tmp_path: Path, flag: str, text: str,
                                                       bad: str) -> None:
    path = write(tmp_path, SHORT)
    command = ["sweep"] if flag == "--rate-scale" else ["report", "-o", str(tmp_path / "r.html")]
    result = runner.invoke(app, [*command, path, flag, text])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for {flag}: expected rate scales that are finite numbers > 0, "
        f"got {bad} in {text!r}")


# 3. --rate-scale on closed workloads only: a warning, not silence ------------------------

CLOSED = """\
archsim: 1
name: closed
simulation: {duration: 2s, warmup: 0.5s, replications: 2, seed: 1}
workload:
  - {name: shoppers, to: web/get, users: 5, think: 100ms}
components:
  web: {type: service, workers: 4, endpoints: {get: {work: 5ms}}}
"""
WARNING = ("warning: --rate-scale only scales open workloads (rates); every workload of "
           "'closed' is closed and keeps its users and think time, so the load does not "
           "change. Change the users instead, e.g. ")


@pytest.mark.parametrize("command", [["run"], ["check"], ["analyze"],
                                     ["compare", "--variant", "components.web.workers=8"]])
def test_rate_scale_on_closed_workloads_warns(tmp_path: Path, command: list[str]) -> None:
    path = write(tmp_path, CLOSED)
    name, *rest = command
    jobs = [] if name == "analyze" else ["--jobs", "1"]
    result = runner.invoke(app, [name, path, *rest, *jobs, "--rate-scale", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert f"{WARNING}--set workload.shoppers.users=10\n" in result.stderr
    default = runner.invoke(app, [name, path, *rest, *jobs, "--json"])
    assert "warning: --rate-scale" not in default.stderr


def test_rate_scale_sweep_of_closed_workloads_warns(tmp_path: Path) -> None:
    path = write(tmp_path, CLOSED)
    result = runner.invoke(app, ["sweep", path, "--rate-scale", "1,2", "--jobs", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert (f"{WARNING}archsim sweep --param workload.shoppers.users=A,B,C\n"
            in result.stderr)


def test_rate_scale_on_open_workloads_does_not_warn(tmp_path: Path) -> None:
    path = write(tmp_path, SHORT)
    result = runner.invoke(app, ["run", path, *QUICK, "--duration", "2s", "--rate-scale", "2",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert "warning: --rate-scale" not in result.stderr


# 4. --jobs is capped at the cores (and the replications), and changes no result ----------

def test_jobs_are_capped_at_the_cores_and_the_results_do_not_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    from archsim.engine import replicate

    workers: list[int | None] = []
    real = concurrent.futures.ProcessPoolExecutor

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, max_workers: int | None = None, **kwargs: object) -> None:
            workers.append(max_workers)
            super().__init__(max_workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Spy)
    monkeypatch.setattr(replicate, "default_jobs", lambda: 2)
    path = write(tmp_path, SHORT)
    flags = ["run", path, "--duration", "1s", "--warmup", "0.2s", "--replications", "3",
             "--json"]
    many = runner.invoke(app, [*flags, "--jobs", "64"])
    assert many.exit_code == 0, many.output
    assert workers == [2]  # min(64 jobs, 3 replications, 2 cores)
    one = runner.invoke(app, [*flags, "--jobs", "1"])
    assert one.exit_code == 0, one.output
    assert workers == [2]  # one job runs in this process
    assert one.stdout == many.stdout


# 6. The progress bar: on stderr when stderr is a terminal, whatever stdout is; else nothing

class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def show_progress(monkeypatch: pytest.MonkeyPatch, stdout_tty: bool, stderr_tty: bool
                  ) -> tuple[str, str]:
    from archsim.cli import progress

    out, err = FakeStream(stdout_tty), FakeStream(stderr_tty)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "DELAY_S", 0.0)
    # rich decides once, when the console is made at import, whether to redraw in place
    monkeypatch.setattr(progress.stderr, "is_interactive", stderr_tty)
    with progress.LazyProgress("simulating t") as step:
        step(0.5)
        time.sleep(0.3)  # the bar redraws itself 10 times a second
        step(1.0)
    return out.getvalue(), err.getvalue()


def test_progress_bar_shows_on_a_terminal_stderr_when_stdout_is_piped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    out, err = show_progress(monkeypatch, stdout_tty=False, stderr_tty=True)
    assert out == ""
    assert "simulating t" in err


@pytest.mark.parametrize("env", [{}, {"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_no_progress_output_when_stderr_is_not_a_terminal(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert show_progress(monkeypatch, stdout_tty=True, stderr_tty=False) == ("", "")
