"""``archsim.capacity`` and ``archsim capacity``: objectives, the CI-aware search, advice.

Theory target: in an M/M/1 queue (FIFO) the response time is exponential with rate mu - lambda
(Kleinrock, *Queueing Systems* vol. 1, 1975, eq. 3.27), so its p-quantile is
-ln(1 - p) / (mu - lambda). With mean work 10 ms (mu = 100/s) and p99 = 100 ms:
lambda = mu - ln(100) / 0.1 = 53.95/s.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archsim
from archsim.analysis.capacity import next_steps
from archsim.analysis.objectives import Objective, parse_objective
from archsim.cli.app import app
from archsim.errors import UsageError

runner = CliRunner()
BASE_RATE = 50.0
MM1 = """\
archsim: 1
name: mm1
simulation: {duration: 20s, warmup: 2s, replications: 5, seed: 1}
workload: [{name: req, to: server/work, rate: 50}]
components:
  server: {type: service, workers: 1, endpoints: {work: {work: {dist: exponential, mean: 10ms}}}}
"""
THEORY_RATE = 100.0 - math.log(100) / 0.1
QUICK = ["--duration", "5s", "--warmup", "1s", "--replications", "3", "--jobs", "1"]


def write(tmp_path: Path, text: str = MM1) -> str:
    path = tmp_path / "mm1.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("p99<200ms", Objective("p99", 0.2, None, "p99<200ms")),
    ("mean <= 50ms", Objective("mean", 0.05, None, "mean <= 50ms")),
    ("error_rate<0.1%", Objective("error_rate", 0.001, None, "error_rate<0.1%")),
    ("throughput>100/s", Objective("throughput", 100.0, None, "throughput>100/s")),
    ("checkout:p95<1.5s", Objective("p95", 1.5, "checkout", "checkout:p95<1.5s")),
])
def test_parse_objective(text: str, expected: Objective) -> None:
    assert parse_objective(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("p99 200ms", "expected an objective such as 'p99<200ms'"),
    ("p98<200ms", "unknown metric 'p98' in 'p98<200ms'; expected one of mean, p50, p90, "
                  "p95, p99, max, error_rate, throughput. Did you mean 'p99'?"),
    ("p99>200ms", "p99 is an upper bound: write 'p99<200ms', got 'p99>200ms'"),
    ("throughput<5/s", "throughput is a lower bound: write 'throughput>5/s'"),
    ("p99<200", "bad target in 'p99<200': a duration needs a unit"),
    ("error_rate<15", "a probability must be in [0, 1]"),
])
def test_parse_objective_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_objective(text)
    assert message in str(info.value)


def test_mm1_capacity_matches_theory_within_the_interval() -> None:
    result = archsim.capacity(MM1, ["p99<100ms"], jobs=1)
    low, high = result.rate_scale_ci95
    assert result.met
    assert low * BASE_RATE <= THEORY_RATE <= high * BASE_RATE
    assert result.rate_scale * BASE_RATE == pytest.approx(THEORY_RATE, rel=0.08)
    assert high <= result.analytic_saturation_scale == pytest.approx(2.0)
    data = result.to_dict()
    assert data["requests"]["req"]["offered_rps"] == pytest.approx(result.rate_scale * 50)
    assert data["bottleneck"] == "server"
    assert re.fullmatch(r"p99<100ms missed at rate scale [\d.]+: [\d.,]+ ms on req",
                        data["limit"][0])
    assert data["measures"][0]["metric"] == "p99"
    verdicts = {p["verdict"] for p in data["probes"]}
    assert {"met", "missed"} <= verdicts
    json.dumps(data, allow_nan=False)


def test_unreachable_objective_is_not_met() -> None:
    result = archsim.capacity(MM1, ["p99<5ms"], duration_s=5.0, replications=3, jobs=1,
                              max_probes=6)
    assert not result.met and result.rate_scale == 0.0
    assert result.to_dict()["requests"]["req"]["latency_ms"]["p99"] > 5


def test_throughput_objective_missed_at_capacity_means_no_load_meets_all() -> None:
    result = archsim.capacity(MM1, ["p99<100ms", "throughput>90/s"], duration_s=5.0,
                              replications=3, jobs=1, max_probes=8)
    assert not result.met
    assert "throughput>90/s on req is missed even at the capacity point" in result.limit


def test_file_slos_are_the_default_objectives() -> None:
    text = MM1 + "slos: [{request: '*', p99: 100ms}]\n"
    result = archsim.capacity(text, duration_s=5.0, replications=3, jobs=1, max_probes=4)
    assert [o.text for o in result.objectives] == ["p99<100ms"]


def test_usage_errors() -> None:
    with pytest.raises(UsageError, match="no objective"):
        archsim.capacity(MM1)
    with pytest.raises(UsageError, match=re.escape("'rq', which is not in the workload (req)."
                                                   " Did you mean 'req'?")):
        archsim.capacity(MM1, ["rq:p99<1s"])
    closed = MM1.replace("rate: 50", "users: 5, think: 1s")
    with pytest.raises(UsageError, match="open workloads"):
        archsim.capacity(closed, ["p99<1s"])


def test_next_steps_sizes_the_two_busiest() -> None:
    report = {"simulation": {"rate_scale": 1.5}, "components": {
        "lb": {"replicas": 1},
        "app": {"replicas": 3, "utilization": 0.9},
        "db": {"replicas": 1, "utilization": 0.35},
        "cache": {"replicas": 1, "utilization": 0.1}}}
    app_step, db_step = next_steps(report)
    assert app_step["component"] == "app" and app_step["replicas_needed"] == 4
    assert app_step["utilization_after"] == pytest.approx(0.675)
    assert db_step["replicas_needed"] == 1  # already under 70%: no change needed yet
    assert db_step["reaches_target_at"] == pytest.approx(3.0)  # 1.5 x 0.7 / 0.35


# --- command line -----------------------------------------------------------------------


def test_cli_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["capacity", write(tmp_path), "--slo", "p99<100ms",
                                 "--slo", "error_rate<0.1%", *QUICK, "--max-probes", "6",
                                 "--json"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["rate_scale"] > 0
    assert data["requests"]["req"]["offered_rps"] == pytest.approx(data["rate_scale"] * 50,
                                                                   rel=1e-3)
    assert data["bottleneck"] == "server"
    assert data["objectives"] == ["p99<100ms", "error_rate<0.1%"]
    assert data["next"][0]["component"] == "server"


def test_cli_human_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["capacity", write(tmp_path), "--slo", "p99<100ms", *QUICK,
                                 "--max-probes", "5"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "capacity: rate scale " in out and "95% interval" in out
    assert "bottleneck: server" in out and "what to scale next:" in out
    assert "server: " in out and "replicas bring it to about" in out


def test_cli_missed_everywhere_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["capacity", write(tmp_path), "--slo", "p99<5ms", *QUICK,
                                 "--max-probes", "4"])
    assert result.exit_code == 1
    assert "capacity: no load tried meets every objective" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--slo", "p99=5ms"], "expected an objective such as"),
    (["--slo", "latency<5ms"], "unknown metric 'latency'"),
    (["--slo", "rq:p99<5ms"], "Did you mean 'req'?"),
    ([], "no objective"),
])
def test_cli_bad_slo_is_a_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["capacity", write(tmp_path), *args, *QUICK])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""
