"""Simulation against closed-form queueing theory (single stations, balancers, networks).

Each test builds the smallest topology whose network is a textbook queue, runs independent
replications with a fixed seed and checks the theory value against the replications' 95%
confidence interval widened by ``WIDEN`` (rationale and false-alarm rates in ``_accuracy.py``).
Time units: service means of tens of milliseconds and rates of a few per second keep every
run at tens of thousands of requests, so the whole module runs in well under a minute.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from archsim.analysis import theory

from ._accuracy import WIDEN, check, check_interval, simulate, t_interval


def single(rate: str, work: str, *, workers: int = 1, queue: int | None = None,
           arrivals: str = "poisson") -> str:
    """One open class into one service ``s`` with endpoint ``e``."""
    waiting = "" if queue is None else f", queue: {queue}"
    return f"""\
archsim: 1
name: single
workload: [{{name: req, to: s/e, rate: {rate}, arrivals: {arrivals}}}]
components:
  s: {{type: service, workers: {workers}{waiting}, endpoints: {{e: {{work: {work}}}}}}}
"""


EXP_100MS = "{dist: exponential, mean: 100ms}"


# --------------------------------------------------------------------------- M/M/1


@pytest.fixture(scope="module")
def mm1_run():
    # lambda = 7/s, mu = 10/s: rho = 0.7, relaxation time ~ 1 / (mu (1 - sqrt(rho))^2) = 4 s,
    # so a 40 s warm-up is ten relaxation times.
    return simulate(single("7", EXP_100MS), duration_s=3600.0, warmup_s=40.0,
                    replications=10, seed=11)


def test_mm1_mean_response(mm1_run):
    expected = theory.mm1(7.0, 10.0)
    check_interval("M/M/1 mean response (ms), report ci95",
                   mm1_run.request()["ci95"]["latency_ms_mean"], expected.mean_response_s * 1e3)
    check("M/M/1 utilization", [c.busy_area / mm1_run.duration_s
                                for c in mm1_run.components_named("s")], expected.utilization)
    check("M/M/1 mean number present L",
          [c.present_area / mm1_run.duration_s for c in mm1_run.components_named("s")],
          expected.mean_number_in_system)


def test_mm1_p99_of_merged_samples(mm1_run):
    # T ~ Exp(mu - lambda), so t_0.99 = -ln(0.01) / (mu - lambda). The tolerance comes from
    # batch quantiles: the p99 of each replication is one iid observation, and their t interval
    # says how far a p99 estimate from this much data can wander.
    expected = -math.log(0.01) / (10.0 - 7.0)
    assert theory.mm1(7.0, 10.0).response_quantile_s(0.99) == pytest.approx(expected)
    per_replication = [float(np.percentile(v, 99)) for v in mm1_run.latencies()]
    _, tolerance = check("M/M/1 p99 (s), batch quantiles", per_replication, expected)
    merged = float(np.percentile(mm1_run.samples_s["req"], 99))
    assert mm1_run.request()["latency_ms"]["p99"] == pytest.approx(merged * 1e3, abs=1e-4)
    print(f"CHECK M/M/1 p99 (s), merged samples: simulated {merged:.6g} theory {expected:.6g} "
          f"tolerance {tolerance:.3g}")
    assert abs(merged - expected) <= tolerance


def test_mm1_report_ci_matches_independent_t_interval(mm1_run):
    mean, half = t_interval([m * 1e3 for m in mm1_run.mean_latency()])
    low, high = mm1_run.request()["ci95"]["latency_ms_mean"]
    assert low == pytest.approx(mean - half, abs=1e-3)
    assert high == pytest.approx(mean + half, abs=1e-3)


# --------------------------------------------------------------------------- M/M/c, M/G/1


def test_mmc_erlang_c_mean_wait():
    # c = 4 workers, lambda = 30/s, mu = 10/s: rho = 0.75, P(wait) = Erlang C(4, 3) = 0.509.
    run = simulate(single("30", EXP_100MS, workers=4), duration_s=800.0, warmup_s=20.0,
                   replications=10, seed=21)
    expected = theory.mmc(30.0, 10.0, 4)
    # wait_area integrates the number waiting over the window: per request, the mean wait W_q
    waits = [c.wait_area / c.completed for c in run.components_named("s")]
    check("M/M/c mean wait W_q (s)", waits, expected.mean_wait_s)
    check("M/M/c mean response (s)", run.mean_latency(), expected.mean_response_s)
    check("M/M/c utilization", [c.busy_area / (c.workers * run.duration_s)
                                for c in run.components_named("s")], expected.utilization)


def test_md1_pollaczek_khinchine():
    # constant 100 ms work, lambda = 7/s: W = 0.1 + 0.7 * 0.1 / (2 * 0.3) s
    run = simulate(single("7", "100ms"), duration_s=800.0, warmup_s=20.0, replications=10,
                   seed=31)
    expected = theory.md1(7.0, 10.0)
    check_interval("M/D/1 mean response (ms)", run.request()["ci95"]["latency_ms_mean"],
                   expected.mean_response_s * 1e3)
    assert run.request()["latency_ms"]["p50"] >= 100.0 - 1e-9  # never faster than the work


@pytest.mark.parametrize(("dist", "cv"), [("gamma", 2.0), ("lognormal", 1.5)])
def test_mg1_pollaczek_khinchine(dist, cv):
    # rho = 0.6; W_q = rho (1 + cv^2) / 2 * E[S] / (1 - rho): 0.375 s (gamma cv 2),
    # 0.244 s (lognormal cv 1.5). High-cv work makes the wait estimator noisy (its variance
    # grows with E[S^3]), hence the longer runs.
    work = f"{{dist: {dist}, mean: 100ms, cv: {cv}}}"
    run = simulate(single("6", work), duration_s=3600.0, warmup_s=40.0, replications=10,
                   seed=41)
    expected = theory.mg1(6.0, 0.1, cv)
    check_interval(f"M/G/1 {dist} cv={cv} mean response (ms)",
                   run.request()["ci95"]["latency_ms_mean"], expected.mean_response_s * 1e3)


# --------------------------------------------------------------------------- loss systems


def test_mmck_blocking_probability_and_throughput():
    # c = 2 workers and queue 3 per replica: at most K = 5 present, an M/M/2/5 queue. Offered
    # 25/s against 20/s of capacity, so about 27% of arrivals are rejected (errors).
    run = simulate(single("25", EXP_100MS, workers=2, queue=3), duration_s=300.0,
                   warmup_s=10.0, replications=10, seed=51)
    expected = theory.mmck(25.0, 10.0, 2, 5)
    classes = run.classes_named()
    # rejections happen at the arrival instant (no network latency), so failed / arrived is the
    # fraction of window arrivals that found the station full
    check("M/M/2/5 blocking probability", [c.failed / c.arrived for c in classes],
          expected.blocking_probability)
    check_interval("M/M/2/5 throughput (/s)", run.request()["ci95"]["throughput_rps"],
                   expected.throughput)
    check("M/M/2/5 mean response of accepted (s)", run.mean_latency(),
          expected.mean_response_s)
    rejected = sum(c.rejected for c in run.components_named("s"))
    assert rejected == run.request()["failed"] == run.request()["errors"]["rejected"]
    assert run.component("s")["rejected"] == rejected
    assert run.component("s")["queue_max"] == 3


@pytest.mark.parametrize("work", [EXP_100MS, "{dist: lognormal, mean: 100ms, cv: 2}"])
def test_erlang_b_loss_system(work):
    # queue: 0 makes an M/G/3/3 loss system; Erlang B is insensitive to the work distribution
    # beyond its mean, so exponential and lognormal work must both give B(3, 2) = 0.2105.
    run = simulate(single("20", work, workers=3, queue=0), duration_s=200.0, warmup_s=10.0,
                   replications=10, seed=61)
    expected = theory.erlang_b(3, 20.0 * 0.1)
    check(f"Erlang B(3, 2) blocking, work {work}",
          [c.failed / c.arrived for c in run.classes_named()], expected)
    # accepted requests never wait: response = work alone, mean 100 ms
    check("Erlang B accepted mean response (s)", run.mean_latency(), 0.1)
    assert run.component("s")["queue_max"] == 0


# --------------------------------------------------------------------------- balancers, arrivals


def balanced(policy: str, *, client_side: bool = False) -> str:
    """21/s over 3 single-worker replicas, through a balancer or balanced by the client."""
    if client_side:  # no balancer: the client's request is spread by the service's policy
        return f"""\
archsim: 1
name: balanced
workload: [{{name: req, to: s/e, rate: 21}}]
components:
  s:
    type: service
    replicas: 3
    workers: 1
    policy: {policy}
    endpoints: {{e: {{work: {EXP_100MS}}}}}
"""
    return f"""\
archsim: 1
name: balanced
workload: [{{name: req, to: lb/e, rate: 21}}]
components:
  lb: {{type: load_balancer, target: s, policy: {policy}, latency: 0ms}}
  s: {{type: service, replicas: 3, workers: 1, endpoints: {{e: {{work: {EXP_100MS}}}}}}}
"""


def test_random_balancing_is_independent_mm1_queues():
    # Bernoulli splitting of a Poisson(21) stream over 3 replicas gives 3 independent
    # Poisson(7) streams: each replica is M/M/1 with rho = 0.7, W = 1 / (10 - 7).
    run = simulate(balanced("random"), duration_s=1600.0, warmup_s=40.0, replications=10,
                   seed=71)
    expected = theory.mm1_random_split(21.0, 10.0, 3)
    check_interval("random LB, 3 x M/M/1 mean response (ms)",
                   run.request()["ci95"]["latency_ms_mean"], expected.mean_response_s * 1e3)
    check("random LB utilization per replica", [c.busy_area / (c.workers * run.duration_s)
                                                for c in run.components_named("s")], 0.7)


@pytest.mark.parametrize("client_side", [False, True], ids=["load_balancer", "client_side"])
def test_round_robin_balancing_is_erlang_arrivals(client_side):
    # Every third arrival of a Poisson stream: Erlang-3 interarrivals of mean 1/7 s, so each
    # replica is E3/M/1 (GI/M/1: W = 1 / (mu (1 - sigma))), markedly better than M/M/1. The
    # same holds when the client spreads requests itself (round robin is the default policy).
    run = simulate(balanced("round_robin", client_side=client_side), duration_s=500.0,
                   warmup_s=20.0, replications=10, seed=81)
    expected = theory.round_robin_split(21.0, 10.0, 3)
    check_interval(f"round-robin ({'client' if client_side else 'LB'}), E3/M/1 mean (ms)",
                   run.request()["ci95"]["latency_ms_mean"], expected.mean_response_s * 1e3)
    assert expected.mean_response_s < theory.mm1(7.0, 10.0).mean_response_s * 0.75


def test_state_aware_policies_beat_oblivious_ones():
    # No closed form for join-the-shortest-queue, but the order is a theorem-level fact:
    # least_connections (JSQ) beats round robin (E3/M/1, 236 ms here), and power_of_two
    # beats random (M/M/1, 333 ms) (Mitzenmacher 2001). Same seeds, so the differences are
    # paired; each must exceed its widened 95% half-width.
    runs = {policy: simulate(balanced(policy), duration_s=400.0, warmup_s=20.0,
                             replications=8, seed=85)
            for policy in ("least_connections", "round_robin", "power_of_two", "random")}
    means = {policy: np.array(run.mean_latency()) for policy, run in runs.items()}
    for better, worse in (("least_connections", "round_robin"), ("power_of_two", "random")):
        gain = means[worse] - means[better]
        mean, half = t_interval(gain)
        print(f"CHECK {worse} - {better} mean response (s): simulated {mean:.4g} "
              f"theory > 0 tolerance {WIDEN * half:.3g}")
        assert mean > WIDEN * half, (better, worse, mean, half)
    # ...and no dispatching to separate lines beats one shared line, M/M/3 (155 ms here)
    pooled = theory.mmc(21.0, 10.0, 3).mean_response_s
    mean, half = t_interval(means["least_connections"])
    assert mean + WIDEN * half > pooled


def test_constant_arrivals_dm1():
    # arrivals: constant -> D/M/1, sigma = exp(-(1 - sigma) / rho), W = 1 / (mu (1 - sigma))
    run = simulate(single("7", EXP_100MS, arrivals="constant"), duration_s=1000.0,
                   warmup_s=20.0, replications=10, seed=91)
    expected = theory.dm1(7.0, 10.0)
    check_interval("D/M/1 mean response (ms)", run.request()["ci95"]["latency_ms_mean"],
                   expected.mean_response_s * 1e3)
    # P(wait) = sigma: the fraction of requests slower than any possible bare service is hard
    # to isolate, but the response is Exp(mu (1 - sigma)), so check its p90 too.
    p90 = [float(np.percentile(v, 90)) for v in run.latencies()]
    check("D/M/1 p90 (s)", p90, expected.response_quantile_s(0.9))


CALL_TIMEOUT = f"""\
archsim: 1
name: call-timeout
workload: [{{name: req, to: f/go, rate: 7}}]
components:
  f: {{type: service, io: nonblocking, endpoints: {{go: {{calls: [{{to: s/e, timeout: 500ms}}]}}}}}}
  s: {{type: service, workers: 1, endpoints: {{e: {{work: {EXP_100MS}}}}}}}
"""


@pytest.mark.parametrize("where", ["client", "call"])
def test_timeout_fraction_is_the_response_tail(where):
    # A timeout abandons the wait but not the work (the request stays queued), so the queue
    # is still M/M/1 and the timed-out fraction is P(T > tau) = exp(-(mu - lambda) tau)
    # = exp(-1.5) = 0.223 for tau = 0.5 s. Completed requests are those with T <= tau. The
    # timeout is set on the workload (client) or on a call from a caller that does no work
    # and, being nonblocking, holds no worker (so it adds nothing to the response).
    if where == "client":
        text = single("7", EXP_100MS).replace("arrivals: poisson",
                                               "arrivals: poisson, timeout: 500ms")
    else:
        text = CALL_TIMEOUT
    run = simulate(text, duration_s=1000.0, warmup_s=40.0, replications=10, seed=95)
    expected = math.exp(-(10.0 - 7.0) * 0.5)
    check(f"{where} timeout fraction P(T > 0.5 s)",
          [c.failed / (c.failed + c.completed) for c in run.classes_named()], expected)
    assert set(run.request()["errors"]) == {"timeout"}
    assert run.samples_s["req"].max() <= 0.5 + 1e-9
    # E[T | T <= tau] for T ~ Exp(3): 1/3 - tau e^{-3 tau} / (1 - e^{-3 tau})
    conditional = 1.0 / 3.0 - 0.5 * expected / (1.0 - expected)
    check("mean response of requests within the timeout (s)", run.mean_latency(), conditional)
    check("utilization unchanged by timeouts",
          [c.busy_area / run.duration_s for c in run.components_named("s")], 0.7)


# --------------------------------------------------------------------------- networks


TANDEM = """\
archsim: 1
name: tandem
workload: [{name: req, to: a/x, rate: 8}]
components:
  a:
    type: service
    workers: 1
    io: nonblocking
    endpoints: {x: {work: {dist: exponential, mean: 50ms}, calls: [{to: b/y}]}}
  b: {type: service, workers: 1, endpoints: {y: {work: {dist: exponential, mean: 80ms}}}}
"""


def test_tandem_nonblocking_is_jackson():
    # With io: nonblocking, a's worker is held only for a's own work; the call to b then
    # waits in b's line like any other arrival. So the YAML is two M/M/1 queues in series:
    # lambda = 8 into mu_a = 20 and mu_b = 12.5; by Burke's theorem b also sees Poisson(8).
    # Sojourn = 1 / (20 - 8) + 1 / (12.5 - 8) = 0.3056 s.
    run = simulate(TANDEM, duration_s=800.0, warmup_s=30.0, replications=10, seed=101)
    expected = theory.jackson({"a": 8.0}, {("a", "b"): 1.0}, {"a": 20.0, "b": 12.5})
    check_interval("tandem (Jackson) sojourn (ms)", run.request()["ci95"]["latency_ms_mean"],
                   expected.mean_sojourn_s * 1e3)
    # b's residence per visit is an M/M/1 response; a's residence includes its call to b
    b_residence = [c.residence_sum / c.departed for c in run.components_named("b")]
    check("tandem station b residence (s)", b_residence, expected.mean_response_s["b"])
    # nonblocking: a's worker is busy for a's work only (rho_a = 0.4), not during the call
    check("nonblocking caller utilization = lambda E[S_a]",
          [c.busy_area / run.duration_s for c in run.components_named("a")],
          expected.utilization["a"])


REVISIT = """\
archsim: 1
name: revisit
workload: [{name: req, to: a/x, rate: 4}]
components:
  a:
    type: service
    workers: 1
    io: nonblocking
    endpoints:
      x:
        work: {dist: exponential, mean: 50ms}
        calls: [{to: b/y}, {work: {dist: exponential, mean: 50ms}}]
  b: {type: service, workers: 1, endpoints: {y: {work: {dist: exponential, mean: 80ms}}}}
"""


def test_nonblocking_work_after_a_call_is_a_second_visit():
    # Nonblocking: the work step after the call needs a worker again, so the request joins
    # the back of a's line a second time. Route a -> b -> a -> out with FCFS stations whose
    # exponential rate is the same for every visit: a Kelly network (product form), where
    # each station is M/M/1 at its total rate: a sees 2 lambda = 8 (rho 0.4), b sees 4.
    # W = 2 / (20 - 8) + 1 / (12.5 - 4) = 0.2843 s.
    run = simulate(REVISIT, duration_s=1200.0, warmup_s=30.0, replications=10, seed=105)
    expected = (2 * theory.mm1(8.0, 20.0).mean_response_s
                + theory.mm1(4.0, 12.5).mean_response_s)
    check_interval("re-visit (Kelly network) sojourn (ms)",
                   run.request()["ci95"]["latency_ms_mean"], expected * 1e3)
    check("re-visited station utilization = 2 lambda E[S_a]",
          [c.busy_area / run.duration_s for c in run.components_named("a")], 0.4)


def test_tandem_blocking_single_worker_is_mg1():
    # With io: blocking (the default) and one worker, a holds its worker while b works, so at
    # most one request is ever at b: b never queues, and the pair is ONE server whose service
    # time is S_a + S_b (hypoexponential, mean 0.13 s, variance 0.05^2 + 0.08^2). This is an
    # M/G/1 queue, not a Jackson network.
    run = simulate(TANDEM.replace("io: nonblocking", "io: blocking").replace("rate: 8",
                                                                             "rate: 5"),
                   duration_s=1600.0, warmup_s=30.0, replications=10, seed=111)
    mean_s = 0.13
    cv = math.sqrt(0.05**2 + 0.08**2) / mean_s
    expected = theory.mg1(5.0, mean_s, cv)
    check_interval("blocking tandem = M/G/1 mean response (ms)",
                   run.request()["ci95"]["latency_ms_mean"], expected.mean_response_s * 1e3)
    check("blocking tandem: a utilization = lambda (E[S_a] + E[S_b])",
          [c.busy_area / run.duration_s for c in run.components_named("a")], 5.0 * mean_s)
    assert run.component("b")["queue_max"] == 0


ROUTING = """\
archsim: 1
name: routing
workload: [{name: req, to: a/x, rate: 8}]
components:
  a:
    type: service
    workers: 1
    io: nonblocking
    endpoints:
      x:
        work: {dist: exponential, mean: 50ms}
        calls: [{to: b/y, p: 0.3}, {to: c/z, p: 0.5}]
  b: {type: service, workers: 1, endpoints: {y: {work: {dist: exponential, mean: 250ms}}}}
  c: {type: service, workers: 1, endpoints: {z: {work: {dist: exponential, mean: 150ms}}}}
"""


def test_probabilistic_routing_is_jackson():
    # The two calls are sequential steps with independent coin flips: after a, a request goes
    # to b w.p. 0.3 and THEN, independently, to c w.p. 0.5. As a Jackson network that is
    # a -> b 0.3, a -> c 0.7 * 0.5 = 0.35, b -> c 0.5 (exits: 0.35 from a, 0.5 from b).
    # Traffic: lambda_b = 2.4 (rho 0.6), lambda_c = 2.8 + 1.2 = 4 (rho 0.6). The nonblocking
    # caller holds no worker during the calls, so a is a plain M/M/1 at rho 0.4.
    run = simulate(ROUTING, duration_s=1600.0, warmup_s=30.0, replications=10, seed=121)
    expected = theory.jackson({"a": 8.0}, {("a", "b"): 0.3, ("a", "c"): 0.35, ("b", "c"): 0.5},
                              {"a": 20.0, "b": 4.0, "c": 1.0 / 0.15})
    check_interval("routing (Jackson) sojourn (ms)", run.request()["ci95"]["latency_ms_mean"],
                   expected.mean_sojourn_s * 1e3)
    for name in ("b", "c"):
        stations = run.components_named(name)
        check(f"routing station {name} utilization",
              [s.busy_area / run.duration_s for s in stations], expected.utilization[name])
        check(f"routing station {name} residence (s)",
              [s.residence_sum / s.departed for s in stations], expected.mean_response_s[name])


def test_closed_workload_matches_exact_mva():
    # 10 users, exponential think 1 s, a (nonblocking, 50 ms) then b (80 ms): a closed
    # product-form network, solved exactly by MVA with demands (0.05, 0.08) and Z = 1 s.
    closed = TANDEM.replace("{name: req, to: a/x, rate: 8}",
                            "{name: req, to: a/x, users: 10, think: 1s}")
    run = simulate(closed, duration_s=600.0, warmup_s=20.0, replications=10, seed=131)
    expected = theory.mva([0.05, 0.08], 1.0, 10)
    check_interval("closed MVA throughput (/s)", run.request()["ci95"]["throughput_rps"],
                   expected.throughput)
    check_interval("closed MVA response (ms)", run.request()["ci95"]["latency_ms_mean"],
                   expected.mean_response_s * 1e3)


FORK_JOIN = """\
archsim: 1
name: fork-join
workload: [{name: req, to: f/go, rate: 6}]
components:
  f:
    type: service
    io: nonblocking
    endpoints: {go: {calls: [{parallel: [{to: a/x}, {to: b/y}]}]}}
  a: {type: service, workers: 1, endpoints: {x: {work: {dist: exponential, mean: 100ms}}}}
  b: {type: service, workers: 1, endpoints: {y: {work: {dist: exponential, mean: 100ms}}}}
"""


def test_two_way_fork_join():
    # f does no work and, being nonblocking, holds no worker: each arrival forks one task to
    # each of two M/M/1 queues (lambda 6, mu 10) and completes when both are done:
    # T = (12 - rho) / 8 / (mu - lambda) = 0.35625 s (Flatto & Hahn; Nelson & Tantawi).
    run = simulate(FORK_JOIN, duration_s=1600.0, warmup_s=30.0, replications=10, seed=141)
    expected = theory.fork_join_2(6.0, 10.0)
    check_interval("fork-join 2 mean response (ms)", run.request()["ci95"]["latency_ms_mean"],
                   expected * 1e3)
    for name in ("a", "b"):
        check(f"fork-join branch {name} residence (s)",
              [s.residence_sum / s.departed for s in run.components_named(name)],
              theory.mm1(6.0, 10.0).mean_response_s)


BLOCKING_CALLER = """\
archsim: 1
name: blocking-caller
workload: [{name: req, to: a/x, rate: 10}]
components:
  a:
    type: service
    workers: 50
    endpoints: {x: {work: 20ms, calls: [{to: b/y}]}}
  b: {type: service, workers: 1, endpoints: {y: {work: {dist: exponential, mean: 50ms}}}}
"""


def test_blocking_caller_holds_workers_for_callee_response():
    # a is blocking: a worker is held for a's 20 ms AND for b's whole response. With 50
    # workers a never queues (M/G/inf), so b's arrivals are the Poisson arrivals shifted by
    # 20 ms, still Poisson(10): b is M/M/1 with R_b = 1 / (20 - 10) = 0.1 s. Busy workers at
    # a = lambda (work + R_b) = 10 * 0.12 = 1.2, i.e. utilization 1.2 / 50.
    run = simulate(BLOCKING_CALLER, duration_s=600.0, warmup_s=20.0, replications=10,
                   seed=151)
    expected_busy = 10.0 * (0.02 + 0.1)
    check("blocking caller busy workers", [c.busy_area / run.duration_s
                                           for c in run.components_named("a")], expected_busy)
    check_interval("blocking caller utilization", run.component("a")["ci95_utilization"],
                   expected_busy / 50)
    check("callee residence R_b (s)",
          [c.residence_sum / c.departed for c in run.components_named("b")], 0.1)
    check_interval("blocking caller response (ms)", run.request()["ci95"]["latency_ms_mean"],
                   120.0)
