"""Leftovers: piped output ignores FORCE_COLOR, flags named right, the autoscaler's rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archsim
from archsim.cli.app import app

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


def test_a_variant_that_breaks_the_file_is_named_as_a_variant(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = runner.invoke(app, ["compare", path, "--variant", "components.web.workers=0",
                                 "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("--variant components.web.workers=0: [error] "
                                    "components.web.workers: "), result.stderr
    assert "--set" not in result.stderr


def test_a_variant_with_several_parts_names_the_part_at_fault(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = runner.invoke(app, ["compare", path, "--variant",
                                 "components.web.replicas=2,components.web.workers=0"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("--variant components.web.workers=0: [error] ")


def test_a_variant_warm_up_is_checked_like_a_set(tmp_path: Path) -> None:
    # unlike --warmup, a KEY=VALUE the user wrote does not settle the warm-up check
    path = write(tmp_path)
    result = runner.invoke(app, ["compare", path, "--variant", "simulation.warmup=5s"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("--variant simulation.warmup=5s: [error] "
                                    "simulation.warmup: the warm-up must be shorter than the "
                                    "duration, got warm-up 5s and duration 1s"), result.stderr


def test_a_set_in_compare_is_still_named_as_a_set(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = runner.invoke(app, ["compare", path, "--variant", "components.web.replicas=2",
                                 "--set", "components.web.workers=0"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("--set components.web.workers=0: [error] ")


def test_a_sibling_issue_the_override_caused_names_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path)
    issues = archsim.validate(path, ["faults[0].component=gateway"])
    assert [(i.dotted_path, i.file, i.line) for i in issues] == [
        ("faults[0].latency_factor", "--set faults[0].component=gateway", 0)]
    assert "'gateway' is a load_balancer with no 'latency' to slow down" in issues[0].message


def test_an_issue_under_an_override_names_it_before_a_sibling_override(tmp_path: Path) -> None:
    path = write(tmp_path)
    issues = archsim.validate(path, ["faults[0].component=gateway",
                                     "faults[0].latency_factor=0.5"])
    assert {i.file for i in issues} == {"--set faults[0].latency_factor=0.5"}
    assert "expected a value >= 1.0, got 0.5" in issues[0].message


def test_a_sibling_issue_already_in_the_file_stays_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, TOPOLOGY.replace("component: web", "component: gateway"))
    before = archsim.validate(path)
    assert [(i.dotted_path, i.line) for i in before] == [("faults[0].latency_factor", 10)]
    after = archsim.validate(path, ["faults[0].at=0.3s"])
    assert after == before


def test_a_top_level_override_does_not_claim_every_new_issue(tmp_path: Path) -> None:
    # the parent of 'name' is the whole file: sharing it is no sign of a cause
    path = write(tmp_path, TOPOLOGY.replace("component: web", "component: gateway"))
    issues = archsim.validate(path, ["name=other"])
    assert [(i.dotted_path, i.file) for i in issues] == [("faults[0].latency_factor", path)]


def test_autoscale_rule_lives_in_its_own_module() -> None:
    from archsim.model import autoscale, autoscale_rule

    assert autoscale.SCALE_IN_WINDOW == autoscale_rule.SCALE_IN_WINDOW == 3
    assert autoscale_rule.TOLERANCE == 0.1
    source = Path(autoscale.__file__).read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 300


@pytest.mark.parametrize(("utilization", "present", "planned", "unready", "wanted"), [
    (0.75, 4, 4, 0, 6),  # ceil(4 x 0.75 / 0.5)
    (0.53, 4, 4, 0, 4),  # ratio 1.06, within the tolerance
    (0.1, 4, 4, 0, 1),  # ceil(0.8)
    (0.1, 4, 5, 2, 5),  # failed replicas: never below the planned count
    (0.0, 4, 4, 0, 1),  # clipped to min
    (1.0, 4, 4, 0, 6),  # clipped to max
])
def test_the_hpa_rule_on_its_own(utilization: float, present: int, planned: int,
                                 unready: int, wanted: int) -> None:
    from archsim.model.autoscale_rule import wanted_replicas
    from archsim.spec.autoscale import Autoscale

    spec = Autoscale(min=1, max=6, target_utilization=0.5)
    assert wanted_replicas(spec, utilization, present, planned, unready) == wanted


def test_set_null_removes_a_key_so_its_default_applies() -> None:
    import archsim

    text = ("archsim: 1\nname: n\nworkload: [{name: req, to: app/get, rate: 10}]\n"
            "components:\n  app: {type: service, workers: 3, policy: random, "
            "endpoints: {get: {work: 1ms}}}\n")
    topology = archsim.load(text, ["components.app.workers=null", "components.app.policy=null"])
    app = topology.components["app"]
    assert (app.workers, app.policy) == (8, "round_robin")  # the defaults
