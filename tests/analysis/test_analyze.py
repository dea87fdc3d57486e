"""``archsim analyze``: exact agreement with the closed forms on product-form models, honest
labels elsewhere, the command line, and the analytic mean beside the simulated one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import archsim
from archsim.analysis import theory
from archsim.cli.app import app
from archsim.report.analytic import add_analytic

REL = 1e-9
runner = CliRunner()


def exp(ms: float) -> str:
    return f"{{dist: exponential, mean: {ms}ms}}"


def load(body: str, name: str = "t") -> archsim.Topology:
    return archsim.load(f"archsim: 1\nname: {name}\n{body}")


# --------------------------------------------------------------------------- product form


def test_mmc_service_matches_erlang_c() -> None:
    topology = load(f"""
workload: [{{name: req, to: app/get, rate: 30}}]
components:
  app: {{type: service, workers: 4, endpoints: {{get: {{work: {exp(100)}}}}}}}
""")
    result = archsim.analyze(topology)
    expected = theory.mmc(30.0, 10.0, 4)
    request = result.requests["req"]
    assert request.mean_response_s == pytest.approx(expected.mean_response_s, rel=REL)
    assert request.label == "exact"
    assert request.method == "M/M/c (Erlang C)"
    assert "Poisson arrivals" in request.assumptions
    app_ = result.components["app"]
    assert app_.wait_s == pytest.approx(expected.mean_wait_s, rel=REL)
    assert app_.utilization == pytest.approx(expected.utilization, rel=REL)
    assert app_.offered_load == pytest.approx(3.0, rel=REL)
    assert (app_.label, app_.model) == ("exact", "M/M/4")


def test_hops_and_balancer_latency_are_pure_delays() -> None:
    body = f"""
network: {{latency: 0.5ms}}
workload: [{{name: req, to: lb/get, rate: 30}}]
components:
  lb: {{type: load_balancer, target: app, latency: 0.2ms}}
  app: {{type: service, workers: 4, endpoints: {{get: {{work: {exp(100)}}}}}}}
"""
    request = archsim.analyze(load(body)).requests["req"]
    # client hop and balancer hop, each out and back, plus the balancer's own delay
    expected = theory.mmc(30.0, 10.0, 4).mean_response_s + 4 * 0.0005 + 0.0002
    assert request.mean_response_s == pytest.approx(expected, rel=REL)
    assert request.label == "exact"


def jackson_topology(rate: float = 50.0) -> archsim.Topology:
    # a: work, maybe b, then c, then a second pass through a's workers (non-blocking)
    return load(f"""
workload: [{{name: req, to: a/go, rate: {rate}}}]
components:
  a:
    type: service
    io: nonblocking
    workers: 2
    endpoints:
      go:
        work: {exp(10)}
        calls: [{{to: b/x, p: 0.4}}, {{to: c/y}}, {{work: {exp(10)}}}]
  b: {{type: service, io: nonblocking, workers: 1, endpoints: {{x: {{work: {exp(20)}}}}}}}
  c:
    type: service
    io: nonblocking
    workers: 3
    endpoints: {{y: {{work: {exp(15)}, calls: [{{to: d/z, p: 0.5}}]}}}}
  d: {{type: service, workers: 1, endpoints: {{z: {{work: {exp(5)}}}}}}}
""")


def test_open_network_matches_jackson() -> None:
    result = archsim.analyze(jackson_topology())
    # Markov routing with the same visit ratios: V_a = 2 (two passes), V_b = 0.4, V_c = 1,
    # V_d = 0.5
    routing = {("a", "b"): 0.2, ("a", "c"): 0.3, ("b", "c"): 1.0, ("c", "d"): 0.5,
               ("c", "a"): 0.5, ("d", "a"): 1.0}
    expected = theory.jackson({"a": 50.0}, routing, {"a": 100.0, "b": 50.0, "c": 1000 / 15,
                                                      "d": 200.0}, {"a": 2, "c": 3})
    request = result.requests["req"]
    assert request.mean_response_s == pytest.approx(expected.mean_sojourn_s, rel=REL)
    assert (request.label, request.method) == ("exact", "open Jackson network")
    for name in "abcd":
        assert result.components[name].utilization == pytest.approx(
            expected.utilization[name], rel=REL)
        assert result.components[name].label == "exact"
    assert request.visits == pytest.approx({"a": 1.0, "b": 0.4, "c": 1.0, "d": 0.5}, rel=REL)


def test_closed_workload_matches_exact_mva() -> None:
    topology = load(f"""
network: {{latency: 1ms}}
workload: [{{name: users, to: a/go, users: 12, think: 500ms}}]
components:
  a:
    type: service
    io: nonblocking
    workers: 1
    endpoints: {{go: {{work: {exp(20)}, calls: [{{to: b/x, p: 0.5}}]}}}}
  b:
    type: service
    workers: 1
    replicas: 2
    policy: random
    endpoints: {{x: {{work: {exp(60)}}}}}
""")
    result = archsim.analyze(topology)
    # b's two random replicas are two stations of demand 0.5 x 60 ms / 2; the hops (client
    # and half a call, out and back) are a delay station
    expected = theory.mva([0.02, 0.015, 0.015, 0.002 + 0.5 * 0.002], 0.5, 12,
                          delay_stations=[3])
    request = result.requests["users"]
    assert request.mean_response_s == pytest.approx(expected.mean_response_s, rel=REL)
    assert request.rate_per_s == pytest.approx(expected.throughput, rel=REL)
    assert (request.label, request.method) == ("exact", "exact MVA")
    assert result.components["b"].utilization == pytest.approx(expected.utilizations[1],
                                                                rel=REL)
    assert request.saturation_rate_per_s == pytest.approx(1 / 0.02, rel=REL)


def test_closed_multiserver_and_mixed_workloads_are_approximate() -> None:
    seidmann = archsim.analyze(load(f"""
workload: [{{name: users, to: a/go, users: 30, think: 100ms}}]
components:
  a: {{type: service, workers: 4, endpoints: {{go: {{work: {exp(20)}}}}}}}
""")).requests["users"]
    assert seidmann.label == "approximate"
    assert any("Seidmann" in note for note in seidmann.assumptions)
    assert seidmann.rate_per_s < 4 / 0.02
    mixed = archsim.analyze(load(f"""
workload: [{{name: users, to: a/go, users: 10, think: 100ms}}, {{name: web, to: a/go, rate: 50}}]
components:
  a: {{type: service, workers: 1, endpoints: {{go: {{work: {exp(5)}}}}}}}
""")).requests
    assert {r.label for r in mixed.values()} == {"approximate"}
    users = mixed["users"]
    assert users.rate_per_s * (0.1 + users.mean_response_s) == pytest.approx(10.0, rel=1e-9)


# --------------------------------------------------------------------------- balancing


def balanced(policy: str) -> archsim.Topology:
    return load(f"""
network: {{latency: 0.5ms}}
workload: [{{name: req, to: lb/get, rate: 300}}]
components:
  lb: {{type: load_balancer, target: app, policy: {policy}, latency: 0.2ms}}
  app: {{type: service, replicas: 3, workers: 2, endpoints: {{get: {{work: {exp(15)}}}}}}}
""")


def test_random_balancer_is_separate_mmc_stations_not_one_pooled_queue() -> None:
    result = archsim.analyze(balanced("random"))
    delays = 4 * 0.0005 + 0.0002
    separate = theory.mmc(100.0, 1000 / 15, 2).mean_response_s + delays
    pooled = theory.mmc(300.0, 1000 / 15, 6).mean_response_s + delays
    request = result.requests["req"]
    assert request.mean_response_s == pytest.approx(separate, rel=REL)
    assert request.mean_response_s != pytest.approx(pooled, rel=1e-3)
    assert request.label == "exact"
    assert result.components["app"].model == "M/M/2 x 3 replicas"


@pytest.mark.parametrize(("policy", "words"), [("round_robin", "round robin"),
                                               ("least_connections", "pooled"),
                                               ("power_of_two", "power of two")])
def test_other_policies_are_labelled_approximations(policy: str, words: str) -> None:
    result = archsim.analyze(balanced(policy))
    request = result.requests["req"]
    assert request.label == "approximate"
    assert any(words in note for note in request.assumptions)
    assert result.components["app"].label == "approximate"


# --------------------------------------------------------------------------- operational laws


def test_saturation_throughput_is_one_over_the_largest_demand() -> None:
    result = archsim.analyze(jackson_topology(rate=10.0))
    # demands per request: a 2 x 10 ms on 2 workers, b 0.4 x 20 ms, c 15 ms on 3, d 2.5 ms
    per_worker = {"a": 0.02 / 2, "b": 0.008, "c": 0.015 / 3, "d": 0.0025}
    assert result.bottleneck == "a"
    assert result.saturation is not None
    assert result.saturation.label == "exact"
    assert result.saturation.rates_per_s["req"] == pytest.approx(
        1 / max(per_worker.values()), rel=REL)
    assert result.requests["req"].saturation_rate_per_s == pytest.approx(100.0, rel=REL)
    assert result.saturation.rate_scale == pytest.approx(10.0, rel=REL)


def test_unstable_station_is_flagged_without_a_latency() -> None:
    result = archsim.analyze(load("""
workload: [{name: req, to: front/go, rate: 200}]
components:
  front: {type: service, workers: 50, endpoints: {go: {work: 1ms, calls: [{to: slow/work}]}}}
  slow: {type: service, workers: 1, endpoints: {work: {work: 10ms}}}
"""))
    request = result.requests["req"]
    assert request.mean_response_s is None
    assert request.unstable == ("slow",)
    slow = result.components["slow"]
    assert slow.utilization == pytest.approx(2.0) and not slow.stable and slow.wait_s is None
    assert result.bottleneck == "slow"
    assert any(w.startswith("slow: utilization 2.000 >= 1: unstable") for w in result.warnings)
    data = result.to_dict()
    assert data["requests"]["req"]["status"] == "unstable"
    assert data["requests"]["req"]["mean_ms"] is None
    json.dumps(data, allow_nan=False)
    # the blocking front saturates (its workers wait on slow) just before slow does
    assert result.saturation is not None and result.saturation.label == "approximate"
    assert 0.45 < result.saturation.rate_scale < 0.5


def test_blocking_caller_holds_workers_through_its_calls() -> None:
    result = archsim.analyze(archsim.load("src/archsim/models/monolith.yaml"))
    app_ = result.components["app"]
    assert result.bottleneck == "app"
    assert app_.label == "approximate"
    assert any("io blocking holds a worker" in note for note in app_.assumptions)
    own_work = 300 * (240 * 0.040 + 30 * 0.045 + 30 * 0.025) / 300
    assert app_.offered_load > own_work  # busy workers include the database round trips
    assert {r.label for r in result.requests.values()} == {"approximate"}
    assert result.saturation is not None and result.saturation.rate_scale > 1.0


def test_topic_partitions_and_queue_consumers() -> None:
    result = archsim.analyze(load(f"""
workload: [{{name: orders, to: api/post, rate: 40}}]
components:
  api:
    type: service
    io: nonblocking
    workers: 4
    endpoints: {{post: {{work: {exp(5)}, calls: [{{publish: events}}, {{publish: jobs, p: 0.5}}]}}}}
  events:
    type: topic
    partitions: 4
    latency: 2ms
    subscribers: [{{group: mail, to: mailer/send, consumers: 4}}]
  mailer: {{type: service, workers: 8, endpoints: {{send: {{work: {exp(50)}}}}}}}
  jobs: {{type: queue, subscribers: [{{to: worker/run, consumers: 3}}]}}
  worker: {{type: service, workers: 3, endpoints: {{run: {{work: {exp(100)}}}}}}}
"""))
    mail = result.subscribers["events/mail"]
    assert mail.mean_latency_s == pytest.approx(0.002 + theory.mm1(10.0, 20.0).mean_response_s,
                                                rel=REL)
    assert mail.label == "exact"
    jobs = result.subscribers["jobs/worker"]
    assert jobs.mean_latency_s == pytest.approx(theory.mmc(20.0, 10.0, 3).mean_response_s,
                                                rel=REL)
    assert jobs.label == "exact"
    orders = result.requests["orders"]
    assert orders.mean_response_s == pytest.approx(
        theory.mmc(40.0, 200.0, 4).mean_response_s + 0.002, rel=REL)
    assert result.components["worker"].visits == {"orders": pytest.approx(0.5)}


def test_fork_join_is_approximate_mean_of_the_slowest_branch() -> None:
    request = archsim.analyze(load(f"""
workload: [{{name: req, to: a/go, rate: 0.001}}]
components:
  a:
    type: service
    io: nonblocking
    endpoints: {{go: {{calls: [{{parallel: [{{to: b/x}}, {{to: c/x}}]}}]}}}}
  b: {{type: service, endpoints: {{x: {{work: {exp(10)}}}}}}}
  c: {{type: service, endpoints: {{x: {{work: {exp(10)}}}}}}}
""")).requests["req"]
    assert request.label == "approximate"
    # max of two exponentials of mean 10 ms: 15 ms (queues are empty at this rate)
    assert request.mean_response_s == pytest.approx(0.015, rel=1e-4)


def test_to_dict_is_plain_json_in_milliseconds() -> None:
    data = archsim.analyze(balanced("random"), rate_scale=0.5).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["rate_scale"] == 0.5
    assert data["requests"]["req"]["rate_rps"] == 150.0
    assert data["requests"]["req"]["label"] == "exact"
    assert data["components"]["app"]["capacity_workers"] == 6
    # utilization 0.75 at the file's rates: saturation at scale 4/3, twice that from 0.5
    assert data["saturation"]["rate_scale"] == pytest.approx(4 / 3, rel=1e-6)
    assert data["saturation"]["headroom"] == pytest.approx(8 / 3, rel=1e-6)


def test_negative_rate_scale_is_a_usage_error() -> None:
    with pytest.raises(archsim.UsageError):
        archsim.analyze(balanced("random"), rate_scale=-1.0)


# --------------------------------------------------------------------------- command line


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_tables_for_a_bundled_model() -> None:
    result = runner.invoke(app, ["analyze", "monolith"])
    assert result.exit_code == 0, result.stderr
    assert "Requests" in result.stdout and "Components" in result.stdout
    assert "* bottleneck: app" in result.stdout
    assert "saturation (approximate)" in result.stdout
    assert "io blocking holds a worker" in result.stdout
    assert result.stderr == ""


def test_cli_json_is_clean_stdout() -> None:
    result = runner.invoke(app, ["analyze", "monolith", "--json", "--rate-scale", "0.5",
                                 "--set", "components.app.replicas=3"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rate_scale"] == 0.5
    assert data["components"]["app"]["replicas"] == 3
    assert set(data["requests"]) == {"browse", "checkout", "login"}


def test_cli_invalid_file_prints_located_issues_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "archsim: 1\nname: x\nworkload: [{name: r, to: app/nope, rate: 1}]\n"
                           "components:\n  app: {type: service, endpoints: {get: {work: 1ms}}}\n")
    result = runner.invoke(app, ["analyze", path])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:3:")
    assert "unknown endpoint 'app/nope'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("flags", [["monolith", "--rate-scale", "-1"], [],
                                   ["monolith", "--bogus"]])
def test_cli_wrong_usage_exits_2(flags: list[str]) -> None:
    assert runner.invoke(app, ["analyze", *flags]).exit_code == 2


# --------------------------------------------------------------------------- beside a run


def test_run_shows_the_analytic_mean_beside_the_simulated_one() -> None:
    topology = load(f"""
workload: [{{name: req, to: app/get, rate: 50}}]
components:
  app: {{type: service, workers: 1, endpoints: {{get: {{work: {exp(10)}}}}}}}
""", name="mm1")
    report = archsim.simulate(topology, duration_s=20.0, warmup_s=2.0, replications=5, seed=3,
                              jobs=1)
    entry = report.to_dict()["requests"]["req"]
    low, high = entry["ci95"]["latency_ms_mean"]
    assert entry["analytic_ms_mean"] == 20.0  # M/M/1: 1 / (mu - lambda)
    assert entry["analytic_label"] == "exact"
    assert low <= 20.0 <= high
    assert not any("analytic" in w for w in report.warnings)
    from archsim.report.render import render

    out = io.StringIO()
    render(report, Console(file=out, width=200, color_system=None), plain=True)
    assert "analytic ms" in out.getvalue() and " 20.00 " in out.getvalue()


def test_only_an_exact_analytic_mean_outside_the_interval_warns() -> None:
    topology = load(f"""
workload: [{{name: req, to: app/get, rate: 50}}]
components:
  app: {{type: service, workers: 1, endpoints: {{get: {{work: {exp(10)}}}}}}}
""")
    far = {"req": {"ci95": {"latency_ms_mean": [30.0, 31.0]}}}
    warnings = add_analytic(topology, far)
    assert far["req"]["analytic_ms_mean"] == 20.0
    assert len(warnings) == 1 and "outside the simulated 95% interval" in warnings[0]
    blocking = archsim.load("src/archsim/models/monolith.yaml")
    requests = {name: {"ci95": {"latency_ms_mean": [0.0, 0.001]}}
                for name in ("browse", "checkout", "login")}
    assert add_analytic(blocking, requests) == []
    assert requests["browse"]["analytic_label"] == "approximate"
