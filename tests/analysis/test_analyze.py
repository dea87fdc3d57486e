"""``archsim analyze``: exact agreement with the closed forms on product-form models, honest
labels elsewhere, the command line, and the analytic mean beside the simulated one."""

from __future__ import annotations

import io
import json
import math
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
    assert len(warnings) == 1 and "more than 2 half-widths" in warnings[0]
    blocking = archsim.load("src/archsim/models/monolith.yaml")
    requests = {name: {"ci95": {"latency_ms_mean": [0.0, 0.001]}}
                for name in ("browse", "checkout", "login")}
    assert add_analytic(blocking, requests) == []
    assert requests["browse"]["analytic_label"] == "approximate"


def test_exact_mean_just_outside_the_interval_is_no_false_alarm() -> None:
    # A correct engine puts the exact mean outside its own 95% interval in 1 run of 20; the
    # warning waits for twice the half-width (about 4 standard errors): analytic 20 ms here.
    topology = load(f"""
workload: [{{name: req, to: app/get, rate: 50}}]
components:
  app: {{type: service, workers: 1, endpoints: {{get: {{work: {exp(10)}}}}}}}
""")
    for interval, warns in (([20.5, 21.5], False),   # 20 is 2 half-widths from 21: no alarm
                            ([19.0, 19.8], False),   # 0.6 from 19.4, half-width 0.4
                            ([20.6, 21.4], True),    # 1.0 from 21.0 > 2 x 0.4
                            ([18.0, 18.6], True)):   # 1.7 from 18.3 > 2 x 0.3
        requests = {"req": {"ci95": {"latency_ms_mean": interval}}}
        warnings = add_analytic(topology, requests)
        assert bool(warnings) is warns, interval
        if warns:
            assert "2 half-widths" in warnings[0] and "standard errors" in warnings[0]


# --------------------------------------------------------------------------- speed


PARALLEL = f"""
workload: [{{name: req, to: gw/go, rate: 40}}]
components:
  gw:
    type: service
    workers: 16
    endpoints: {{go: {{work: 2ms, calls: [{{parallel: [{{to: a/x}}, {{to: b/y}}, {{to: c/z}}]}}]}}}}
  a: {{type: service, workers: 4,
       endpoints: {{x: {{work: {{dist: lognormal, mean: 30ms, cv: 1.5}}}}}}}}
  b: {{type: service, workers: 4, endpoints: {{y: {{work: {exp(40)}}}}}}}
  c: {{type: service, workers: 2, endpoints: {{z: {{work: 10ms}}}}}}
"""


def test_parallel_step_model_analyzes_in_well_under_a_second() -> None:
    # Every `archsim run` pays for the analysis: fork-join moments by adaptive quadrature over
    # scipy.stats CDFs took 5-11 s here; vectorised Gauss-Legendre takes milliseconds.
    import time

    topology = load(PARALLEL)
    archsim.analyze(topology)  # imports out of the timing
    started = time.perf_counter()
    result = archsim.analyze(topology)
    assert time.perf_counter() - started < 1.0
    assert result.saturation is not None and result.requests["req"].label == "approximate"
    for name in ("monolith", "microservices", "event-driven", "online-boutique"):
        bundled = archsim.load(f"src/archsim/models/{name}.yaml")
        archsim.analyze(bundled)
        started = time.perf_counter()
        archsim.analyze(bundled)
        assert time.perf_counter() - started < 1.0, name


def test_fork_join_moments_by_quadrature_are_accurate() -> None:
    from archsim.analysis.analytic.moments import max_moments

    # two iid exponentials of mean m: E[max] = 1.5 m, E[max^2] = 3.5 m^2
    mean, second = max_moments(((0.01, 1e-4), (0.01, 1e-4)))
    assert mean == pytest.approx(0.015, rel=1e-9)
    assert second == pytest.approx(3.5e-4, rel=1e-9)
    # a constant c against an exponential of rate mu: E[max] = c + exp(-mu c) / mu
    mean, _ = max_moments(((0.02, 0.0), (0.01, 1e-4)))
    assert mean == pytest.approx(0.02 + math.exp(-2.0) * 0.01, rel=1e-9)
    # very different scales and shapes: E[max] is at least each mean, at most their sum
    mean, second = max_moments(((0.001, 1e-6), (1.0, 4.0), (0.1, 1e-8)))
    assert 1.0 < mean < 1.101 and second > mean**2


# --------------------------------------------------------------------------- beyond product form


def single(rate: float, work: str, *, workers: int = 1, queue: int | None = None,
           arrivals: str = "poisson", replicas: int = 1, policy: str = "random") -> str:
    room = "" if queue is None else f", queue: {queue}"
    return f"""
workload: [{{name: req, to: s/e, rate: {rate}, arrivals: {arrivals}}}]
components:
  s: {{type: service, replicas: {replicas}, workers: {workers}{room}, policy: {policy},
       endpoints: {{e: {{work: {work}}}}}}}
"""


@pytest.mark.parametrize("work", [exp(100), "{dist: lognormal, mean: 100ms, cv: 2}"])
def test_loss_system_accepted_requests_never_wait(work: str) -> None:
    # queue: 0 is Erlang's loss system: accepted requests never wait, so their mean is the
    # work's 100 ms (the simulation agrees, tests/engine/test_accuracy.py); was 144 ms
    result = archsim.analyze(load(single(20, work, workers=3, queue=0)))
    request = result.requests["req"]
    assert request.mean_response_s == pytest.approx(0.1, rel=REL)
    assert request.label == "exact"
    blocking = theory.erlang_b(3, 2.0)
    assert result.components["s"].blocking_probability == pytest.approx(blocking, rel=REL)
    assert request.loss_probability == pytest.approx(blocking, rel=REL)
    assert result.components["s"].utilization == pytest.approx(20 * 0.1 * (1 - blocking) / 3)
    assert result.components["s"].model.startswith("M/") and "/3/3, 21.05% rejected" in (
        result.components["s"].model)
    assert result.to_dict()["components"]["s"]["blocking_probability"] == pytest.approx(
        blocking, abs=1e-9)


def test_finite_waiting_room_is_mmck_and_overload_is_not_unstable() -> None:
    # 25/s offered to 2 x 10/s with 3 waiting places: M/M/2/5, 28% rejected (was "unstable")
    result = archsim.analyze(load(single(25, exp(100), workers=2, queue=3)))
    expected = theory.mmck(25.0, 10.0, 2, 5)
    request = result.requests["req"]
    assert request.mean_response_s == pytest.approx(expected.mean_response_s, rel=REL)
    assert (request.label, request.method) == ("exact", "M/M/c/K")
    component = result.components["s"]
    assert component.blocking_probability == pytest.approx(expected.blocking_probability, rel=REL)
    assert component.utilization == pytest.approx(expected.utilization, rel=REL)
    assert component.offered_utilization == pytest.approx(1.25, rel=REL)
    assert component.stable and component.model == "M/M/2/5, 28.37% rejected"
    assert any("full for 28.37% of arrivals" in w for w in result.warnings)
    # the saturation point is still where the offered load reaches the workers
    assert result.saturation is not None and result.saturation.rates_per_s["req"] == (
        pytest.approx(20.0, rel=REL))


def test_room_that_never_fills_is_the_unbounded_queue() -> None:
    bounded = archsim.analyze(load(single(30, exp(100), workers=4, queue=200)))
    unbounded = archsim.analyze(load(single(30, exp(100), workers=4)))
    assert bounded.requests["req"].mean_response_s == pytest.approx(
        unbounded.requests["req"].mean_response_s, rel=1e-12)
    assert bounded.components["s"].blocking_probability == 0.0


def test_mg1k_embedded_chain() -> None:
    from archsim.analysis.analytic.waits import gim1k, mg1k

    # exponential work: M/M/1/K; a huge room: Pollaczek-Khinchine (here M/D/1)
    blocking, wait = mg1k(9.0, 0.1, 1.0, 4)
    assert blocking == pytest.approx(theory.mmck(9.0, 10.0, 1, 4).blocking_probability)
    assert wait == pytest.approx(theory.mmck(9.0, 10.0, 1, 4).mean_wait_s)
    assert mg1k(7.0, 0.1, 0.0, 400)[1] == pytest.approx(theory.md1(7.0, 10.0).mean_wait_s)
    # GI/M/1/K: one phase is M/M/1/K; a huge room is GI/M/1
    blocking, wait, _ = gim1k("erlang", 9.0, 0.1, 1, 5)
    assert blocking == pytest.approx(theory.mmck(9.0, 10.0, 1, 5).blocking_probability)
    assert wait == pytest.approx(theory.mmck(9.0, 10.0, 1, 5).mean_wait_s)
    assert gim1k("deterministic", 7.0, 0.1, 1, 400)[1] == pytest.approx(
        theory.dm1(7.0, 10.0).mean_wait_s, rel=1e-9)
    assert gim1k("erlang", 7.0, 0.1, 3, 400)[1] == pytest.approx(
        theory.ekm1(7.0, 10.0, 3).mean_wait_s, rel=1e-9)


@pytest.mark.parametrize(("work", "arrivals", "shape", "expected_ms"), [
    # values of short simulations (1000 s x 6): M/D/1/4 216.4 [214.1, 218.6] ms, 9.2%
    # rejected; D/M/1/5 252.5 [245.7, 259.4] ms, 5.3% rejected
    ("100ms", "poisson", "M/D/1/4", 215.455),
    (exp(100), "constant", "D/M/1/5", 253.848),
])
def test_one_worker_with_a_room_is_exact_by_an_embedded_chain(
        work: str, arrivals: str, shape: str, expected_ms: float) -> None:
    queue = 3 if arrivals == "poisson" else 4
    result = archsim.analyze(load(single(9, work, queue=queue, arrivals=arrivals)))
    request = result.requests["req"]
    assert request.mean_response_s * 1000 == pytest.approx(expected_ms, abs=1e-3)
    assert request.label == "exact" and "embedded Markov chain" in request.method
    assert result.components["s"].model.startswith(shape)


def test_several_workers_with_a_room_and_other_work_are_approximate() -> None:
    # M/D/2/5 and M/G/2/5: M/M/2/5 scaled by M/G/1/K over M/M/1/K (simulated 199.7 ms, 34.4%
    # rejected, against 198.4 ms and 33.7% here)
    result = archsim.analyze(load(single(30, "100ms", workers=2, queue=3)))
    request = result.requests["req"]
    assert request.label == "approximate"
    assert request.mean_response_s == pytest.approx(0.1984, abs=2e-4)
    assert any("M/M/c/K" in note for note in request.assumptions)


def test_constant_arrivals_are_dm1() -> None:
    # arrivals: constant at one exponential worker: D/M/1 (simulated 187.6 ms; was 333 ms)
    request = archsim.analyze(load(single(7, exp(100), arrivals="constant"))).requests["req"]
    assert request.mean_response_s == pytest.approx(theory.dm1(7.0, 10.0).mean_response_s,
                                                    rel=REL)
    assert (request.label, request.method) == ("exact", "D/M/1 (GI/M/1)")
    assert not any("Poisson" in note for note in request.assumptions)
    # two workers: Allen-Cunneen with c_a^2 = 0, labelled
    two = archsim.analyze(load(single(16, exp(100), workers=2, arrivals="constant")))
    assert two.requests["req"].label == "approximate"
    assert any("c_a^2 = 0" in note for note in two.requests["req"].assumptions)


@pytest.mark.parametrize("client_side", [False, True])
def test_round_robin_over_single_worker_replicas_is_erlang_arrivals(client_side: bool) -> None:
    # a Poisson stream dealt round robin over 3 replicas: E3/M/1 each (simulated 235.8 ms;
    # was 255.6 ms by Allen-Cunneen)
    if client_side:
        body = single(21, exp(100), replicas=3, policy="round_robin")
    else:
        body = f"""
workload: [{{name: req, to: lb/e, rate: 21}}]
components:
  lb: {{type: load_balancer, target: s, policy: round_robin}}
  s: {{type: service, replicas: 3, workers: 1, endpoints: {{e: {{work: {exp(100)}}}}}}}
"""
    result = archsim.analyze(load(body))
    request = result.requests["req"]
    expected = theory.round_robin_split(21.0, 10.0, 3)
    assert request.mean_response_s == pytest.approx(expected.mean_response_s, rel=REL)
    assert (request.label, request.method) == ("exact", "E3/M/1 (GI/M/1)")
    assert result.components["s"].model == "E3/M/1 x 3 replicas"
    # a random hop after the balancer's choice jitters the Erlang gaps: approximate again
    jitter = archsim.analyze(load("network: {latency: {dist: exponential, mean: 1ms}}\n"
                                  + body)).requests["req"]
    assert jitter.label == "approximate"


BLOCKING_TANDEM = f"""
workload: [{{name: req, to: a/x, rate: 5}}]
components:
  a: {{type: service, workers: 1, endpoints: {{x: {{work: {exp(50)}, calls: [{{to: b/y}}]}}}}}}
  b: {{type: service, workers: 1, endpoints: {{y: {{work: {exp(80)}}}}}}}
"""


def test_single_worker_blocking_caller_is_mg1_and_its_callee_never_waits() -> None:
    # a holds its only worker through the call, so at most one request is ever at b: b never
    # waits and a is M/G/1 with S = S_a + S_b (simulated 314 ms; was 1800 ms)
    result = archsim.analyze(load(BLOCKING_TANDEM))
    request = result.requests["req"]
    cv = math.sqrt(0.05**2 + 0.08**2) / 0.13
    expected = theory.mg1(5.0, 0.13, cv)
    assert request.mean_response_s == pytest.approx(expected.mean_response_s, rel=REL)
    assert (request.label, request.method) == ("exact", "M/G/1 (Pollaczek-Khinchine)")
    callee = result.components["b"]
    assert callee.wait_s == 0.0 and callee.label == "exact"
    assert callee.model == "no wait (at most 1 in flight <= 1 workers)"
    assert result.components["a"].utilization == pytest.approx(5.0 * 0.13, rel=REL)
    # with two workers at a, b can queue: approximate
    two = archsim.analyze(load(BLOCKING_TANDEM.replace("a: {type: service, workers: 1",
                                                       "a: {type: service, workers: 2")))
    assert two.requests["req"].label == "approximate"
    assert two.components["b"].wait_s > 0


@pytest.mark.parametrize(("work", "cv"), [("100ms", 0.0),
                                          ("{dist: gamma, mean: 100ms, cv: 2}", 2.0)])
def test_mg1_is_exact_by_pollaczek_khinchine(work: str, cv: float) -> None:
    request = archsim.analyze(load(single(6, work))).requests["req"]
    assert request.mean_response_s == pytest.approx(theory.mg1(6.0, 0.1, cv).mean_response_s,
                                                    rel=REL)
    assert (request.label, request.method) == ("exact", "M/G/1 (Pollaczek-Khinchine)")
    # several workers: Allen-Cunneen, approximate
    assert archsim.analyze(load(single(12, work, workers=2))).requests["req"].label == (
        "approximate")


def fork(branches: int, rate: float = 6.0) -> str:
    names = "abcdefgh"[:branches]
    calls = ", ".join(f"{{to: {n}/x}}" for n in names)
    services = "\n".join(f"  {n}: {{type: service, workers: 1, endpoints: {{x: {{work: "
                         f"{exp(100)}}}}}}}" for n in names)
    return f"""
workload: [{{name: req, to: f/go, rate: {rate}}}]
components:
  f: {{type: service, io: nonblocking, endpoints: {{go: {{calls: [{{parallel: [{calls}]}}]}}}}}}
{services}
"""


def test_two_way_fork_join_queue_is_flatto_hahn() -> None:
    # identical exponential single-worker branches fed by Poisson forks:
    # (12 - rho) / 8 / (mu - lambda) = 356.25 ms (simulated; was 375 ms, independent branches)
    request = archsim.analyze(load(fork(2))).requests["req"]
    assert request.mean_response_s == pytest.approx(theory.fork_join_2(6.0, 10.0), rel=REL)
    assert (request.label, request.method) == ("exact", "fork-join queue (Flatto-Hahn)")
    assert any("Flatto-Hahn" in note for note in request.assumptions)
    # three branches: Nelson-Tantawi, labelled approximate
    three = archsim.analyze(load(fork(3))).requests["req"]
    assert three.mean_response_s == pytest.approx(
        theory.fork_join_nelson_tantawi(6.0, 10.0, 3), rel=REL)
    assert three.label == "approximate"
    assert any("Nelson-Tantawi" in note for note in three.assumptions)
    # branches of different means: independent branches by integration, approximate
    mixed = fork(2).replace(f"x: {{work: {exp(100)}}}", f"x: {{work: {exp(50)}}}", 1)
    assert archsim.analyze(load(mixed)).requests["req"].label == "approximate"


def test_rejections_thin_the_traffic_further_on() -> None:
    # front rejects half its arrivals (Erlang B(1, 1) = 1/2): b sees 5/s, not 10/s
    result = archsim.analyze(load(f"""
workload: [{{name: req, to: front/go, rate: 10}}]
components:
  front:
    type: service
    io: nonblocking
    workers: 1
    queue: 0
    endpoints: {{go: {{work: {exp(100)}, calls: [{{to: b/y}}]}}}}
  b: {{type: service, workers: 1, endpoints: {{y: {{work: {exp(100)}}}}}}}
"""))
    assert result.components["front"].blocking_probability == pytest.approx(0.5, rel=REL)
    assert result.components["b"].arrival_rate_per_s == pytest.approx(5.0, rel=REL)
    assert result.components["b"].utilization == pytest.approx(0.5, rel=REL)
    request = result.requests["req"]
    assert request.loss_probability == pytest.approx(0.5, rel=REL)
    assert request.mean_response_s == pytest.approx(0.1 + theory.mm1(5.0, 10.0).mean_response_s,
                                                    rel=REL)
    assert request.label == "approximate"  # b's arrivals are the loss system's departures

