"""Closed-form queueing theory against hand-computed and published numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from archsim.analysis import theory

# --------------------------------------------------------------------------- M/M/1


def test_mm1_textbook_example():
    result = theory.mm1(8.0, 10.0)
    assert result.utilization == pytest.approx(0.8)
    assert result.mean_response_s == pytest.approx(0.5)
    assert result.mean_wait_s == pytest.approx(0.4)
    assert result.mean_number_in_system == pytest.approx(4.0)
    assert result.mean_queue_length == pytest.approx(3.2)


def test_mm1_response_quantiles_are_exponential_with_rate_mu_minus_lambda():
    result = theory.mm1(8.0, 10.0)
    assert result.response_quantile_s(0.0) == 0.0
    assert result.response_quantile_s(0.5) == pytest.approx(0.5 * math.log(2.0))
    assert result.response_quantile_s(0.95) == pytest.approx(0.5 * math.log(20.0))
    assert result.response_quantile_s(0.99) == pytest.approx(0.5 * math.log(100.0))
    assert result.response_cdf(result.response_quantile_s(0.9)) == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("arrival_rate", "service_rate"),
    [(10.0, 10.0), (11.0, 10.0), (-1.0, 10.0), (0.0, 10.0), (1.0, math.nan), (1.0, math.inf),
     (True, 10.0), ("8", 10.0)],
)
def test_mm1_rejects_invalid_or_unstable_input(arrival_rate, service_rate):
    with pytest.raises(ValueError):
        theory.mm1(arrival_rate, service_rate)


@pytest.mark.parametrize("q", [-0.1, 1.0, 1.5, math.nan])
def test_quantile_level_must_be_in_unit_interval(q):
    with pytest.raises(ValueError):
        theory.mm1(8.0, 10.0).response_quantile_s(q)
    with pytest.raises(ValueError):
        theory.mmc(8.0, 10.0, 2).response_quantile_s(q)


def test_unstable_message_names_the_utilization():
    with pytest.raises(ValueError, match=r"rho = arrival_rate / service_rate = 1\.2 must be < 1"):
        theory.mm1(12.0, 10.0)


# --------------------------------------------------------------------------- Erlang B and C


def test_erlang_b_published_value():
    assert theory.erlang_b(5, 3.0) == pytest.approx(0.11005, abs=5e-6)


def test_erlang_b_small_cases():
    assert theory.erlang_b(0, 2.0) == 1.0
    assert theory.erlang_b(1, 2.0) == pytest.approx(2.0 / 3.0)
    assert theory.erlang_b(3, 0.0) == 0.0
    # B(2, 1) = (1/2) / (1 + 1 + 1/2)
    assert theory.erlang_b(2, 1.0) == pytest.approx(0.2)


def test_erlang_c_published_values():
    assert theory.erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    assert theory.erlang_c(3, 2.0) == pytest.approx(4.0 / 9.0)
    assert theory.erlang_c(1, 0.7) == pytest.approx(0.7)
    assert theory.erlang_c(4, 0.0) == 0.0


@pytest.mark.parametrize(("servers", "load"), [(1000, 950.0), (1000, 999.0), (500, 100.0)])
def test_erlang_b_and_c_are_stable_for_many_servers(servers, load):
    # Independent route: B = Poisson pmf(c) / cdf(c) with mean A.
    blocking = stats.poisson.pmf(servers, load) / stats.poisson.cdf(servers, load)
    assert theory.erlang_b(servers, load) == pytest.approx(blocking, rel=1e-9)
    expected_c = servers * blocking / (servers - load * (1.0 - blocking))
    prob_wait = theory.erlang_c(servers, load)
    assert 0.0 <= prob_wait <= 1.0
    assert prob_wait == pytest.approx(expected_c, rel=1e-9)


@pytest.mark.parametrize(("servers", "load"), [(2, 2.0), (2, 3.0), (0, 0.5), (2, -1.0),
                                               (2.0, 1.0)])
def test_erlang_c_rejects_invalid_or_unstable_input(servers, load):
    with pytest.raises(ValueError):
        theory.erlang_c(servers, load)


# --------------------------------------------------------------------------- M/M/c


def test_mm2_matches_closed_form():
    result = theory.mmc(1.0, 1.0, 2)
    rho = 0.5
    assert result.prob_wait == pytest.approx(1.0 / 3.0)
    assert result.mean_wait_s == pytest.approx(1.0 / 3.0)
    assert result.mean_response_s == pytest.approx(4.0 / 3.0)
    assert result.mean_number_in_system == pytest.approx(2 * rho / (1 - rho**2))
    assert result.mean_queue_length == pytest.approx(1.0 / 3.0)
    assert result.utilization == pytest.approx(rho)


def test_mm3_published_value():
    result = theory.mmc(2.0, 1.0, 3)
    assert result.prob_wait == pytest.approx(4.0 / 9.0)
    assert result.mean_wait_s == pytest.approx(4.0 / 9.0)
    assert result.mean_response_s == pytest.approx(13.0 / 9.0)


def test_mmc_with_one_server_is_mm1():
    single, general = theory.mm1(8.0, 10.0), theory.mmc(8.0, 10.0, 1)
    for field in ("utilization", "mean_wait_s", "mean_response_s", "mean_queue_length",
                  "mean_number_in_system"):
        assert getattr(general, field) == pytest.approx(getattr(single, field))
    for q in (0.1, 0.5, 0.9, 0.99, 0.999999):
        assert general.response_quantile_s(q) == pytest.approx(single.response_quantile_s(q),
                                                               rel=1e-9)


def test_mmc_response_distribution_when_drain_rate_equals_service_rate():
    # c mu - lambda = mu: the waited branch is Erlang-2, P(T > t) = e^{-t} (1 + C t).
    result = theory.mmc(1.0, 1.0, 2)
    assert result.response_cdf(1.0) == pytest.approx(1.0 - math.exp(-1.0) * 4.0 / 3.0)
    assert result.response_quantile_s(result.response_cdf(1.0)) == pytest.approx(1.0)


def test_mmc_response_quantiles_match_sampled_mixture():
    result = theory.mmc(9.0, 1.0, 10)
    rng = np.random.default_rng(20240501)
    size = 400_000
    waits = np.where(rng.random(size) < result.prob_wait,
                     rng.exponential(1.0 / (10.0 - 9.0), size), 0.0)
    responses = waits + rng.exponential(1.0, size)
    assert responses.mean() == pytest.approx(result.mean_response_s, rel=0.01)
    for q in (0.5, 0.9, 0.99):
        assert result.response_quantile_s(q) == pytest.approx(np.quantile(responses, q),
                                                              rel=0.02)


@settings(max_examples=60, deadline=None)
@given(servers=st.integers(1, 50), utilization=st.floats(0.01, 0.99),
       q=st.floats(0.0, 0.9999))
def test_mmc_quantile_inverts_cdf_and_little_holds(servers, utilization, q):
    result = theory.mmc(utilization * servers * 2.0, 2.0, servers)
    assert result.response_cdf(result.response_quantile_s(q)) == pytest.approx(q, abs=1e-9)
    assert result.mean_number_in_system == pytest.approx(
        result.arrival_rate * result.mean_response_s)
    assert result.mean_number_in_system == pytest.approx(
        result.mean_queue_length + servers * result.utilization)


# --------------------------------------------------------------------------- M/M/c/K


def test_mm2_capacity_3_hand_computed():
    # A = 2: p_n proportional to 1, 2, 2, 2 -> each / 7.
    result = theory.mmck(2.0, 1.0, 2, 3)
    assert result.state_probabilities == pytest.approx((1 / 7, 2 / 7, 2 / 7, 2 / 7))
    assert result.blocking_probability == pytest.approx(2 / 7)
    assert result.throughput == pytest.approx(10 / 7)
    assert result.mean_number_in_system == pytest.approx(12 / 7)
    assert result.mean_response_s == pytest.approx(1.2)
    assert result.mean_queue_length == pytest.approx(2 / 7)
    assert result.mean_wait_s == pytest.approx(0.2)
    assert result.utilization == pytest.approx(5 / 7)


def test_mm1k_matches_closed_form():
    rho, capacity = 0.5, 5
    result = theory.mmck(0.5, 1.0, 1, capacity)
    blocking = (1 - rho) * rho**capacity / (1 - rho ** (capacity + 1))
    number = rho / (1 - rho) - (capacity + 1) * rho ** (capacity + 1) / (1 - rho ** (capacity + 1))
    assert result.blocking_probability == pytest.approx(blocking)
    assert result.mean_number_in_system == pytest.approx(number)


def test_mm1k_at_rho_one_is_uniform():
    result = theory.mmck(3.0, 3.0, 1, 4)
    assert result.state_probabilities == pytest.approx((0.2,) * 5)
    assert result.mean_number_in_system == pytest.approx(2.0)


def test_mmcc_blocking_is_erlang_b():
    assert theory.mmck(3.0, 1.0, 5, 5).blocking_probability == pytest.approx(
        theory.erlang_b(5, 3.0))


def test_mmck_with_large_capacity_approaches_mmc():
    finite, infinite = theory.mmck(8.0, 10.0, 2, 500), theory.mmc(8.0, 10.0, 2)
    assert finite.blocking_probability < 1e-12
    assert finite.mean_response_s == pytest.approx(infinite.mean_response_s, rel=1e-9)
    assert theory.mmck(8.0, 10.0, 1, 5000).mean_response_s == pytest.approx(0.5, rel=1e-9)


def test_mmck_overloaded_is_finite():
    result = theory.mmck(100.0, 1.0, 10, 20)
    assert result.throughput == pytest.approx(10.0, rel=1e-3)
    assert sum(result.state_probabilities) == pytest.approx(1.0)


def test_mmck_rejects_capacity_below_servers():
    with pytest.raises(ValueError, match="capacity_K"):
        theory.mmck(1.0, 1.0, 3, 2)


# --------------------------------------------------------------------------- M/G/1


def test_md1_pollaczek_khinchine():
    result = theory.md1(0.5, 1.0)
    assert result.mean_wait_s == pytest.approx(0.5)
    assert result.mean_response_s == pytest.approx(1.5)
    assert result.mean_queue_length == pytest.approx(0.25)
    assert result.mean_number_in_system == pytest.approx(0.75)


def test_mg1_with_exponential_service_is_mm1():
    general, markov = theory.mg1(8.0, 0.1, 1.0), theory.mm1(8.0, 10.0)
    assert general.mean_response_s == pytest.approx(markov.mean_response_s)
    assert general.mean_wait_s == pytest.approx(markov.mean_wait_s)


def test_mg1_high_variance():
    # W_q = rho (1 + cv^2) / 2 * E[S] / (1 - rho) = 0.5 * 5 / 2 * 1 / 0.5
    assert theory.mg1(0.5, 1.0, 2.0).mean_wait_s == pytest.approx(2.5)


@pytest.mark.parametrize(("rate", "service", "cv"), [(1.0, 1.0, 0.0), (2.0, 1.0, 1.0),
                                                     (0.5, 1.0, -0.1), (0.5, 0.0, 1.0)])
def test_mg1_rejects_invalid_or_unstable_input(rate, service, cv):
    with pytest.raises(ValueError):
        theory.mg1(rate, service, cv)


# --------------------------------------------------------------------------- GI/M/1


def test_dm1_sigma_at_half_load():
    result = theory.dm1(0.5, 1.0)
    assert result.sigma == pytest.approx(0.2032, abs=5e-5)
    assert result.sigma == pytest.approx(math.exp(-(1 - result.sigma) / 0.5), abs=1e-14)
    assert result.mean_wait_s == pytest.approx(result.sigma / (1 - result.sigma))
    assert result.prob_wait == result.sigma


def test_gi_m1_with_poisson_arrivals_is_mm1():
    result = theory.gi_m1(lambda s: 8.0 / (8.0 + s), 8.0, 10.0)
    assert result.sigma == pytest.approx(0.8, abs=1e-12)
    assert result.mean_response_s == pytest.approx(0.5)
    assert theory.ekm1(8.0, 10.0, 1).mean_response_s == pytest.approx(0.5)
    assert result.response_quantile_s(0.95) == pytest.approx(0.5 * math.log(20.0))


def test_e2m1_closed_form_root():
    # lambda = 1, mu = 2, k = 2: sigma (2 - sigma)^2 = 1, so sigma = (3 - sqrt 5) / 2.
    sigma = (3 - math.sqrt(5)) / 2
    result = theory.ekm1(1.0, 2.0, 2)
    assert result.sigma == pytest.approx(sigma, abs=1e-12)
    assert result.mean_response_s == pytest.approx(1 / (2 * (1 - sigma)))


def test_round_robin_split_is_erlang_interarrival_per_replica():
    assert theory.round_robin_split(2.0, 2.0, 2).sigma == pytest.approx((3 - math.sqrt(5)) / 2)
    random_split = theory.mm1_random_split(2.0, 2.0, 2)
    assert random_split.mean_response_s == pytest.approx(1.0)  # M/M/1 with lambda = 1, mu = 2
    assert theory.round_robin_split(2.0, 2.0, 2).mean_response_s < random_split.mean_response_s


def test_ekm1_approaches_dm1_for_many_phases():
    assert theory.ekm1(0.5, 1.0, 5000).sigma == pytest.approx(theory.dm1(0.5, 1.0).sigma,
                                                              abs=1e-4)


@pytest.mark.parametrize("rho", [0.01, 0.3, 0.9, 0.99, 0.999])
def test_dm1_root_solves_fixed_point_across_loads(rho):
    result = theory.dm1(rho, 1.0)
    assert 0.0 < result.sigma < 1.0
    assert result.sigma == pytest.approx(math.exp(-(1 - result.sigma) / rho), abs=1e-12)


def test_dm1_light_load_underflow_gives_no_wait():
    assert theory.dm1(1.0, 1000.0).mean_wait_s == pytest.approx(0.0, abs=1e-300)


def test_gi_m1_rejects_bad_input():
    with pytest.raises(ValueError, match="callable"):
        theory.gi_m1(0.5, 1.0, 2.0)
    with pytest.raises(ValueError):
        theory.dm1(1.0, 1.0)
    with pytest.raises(ValueError):
        theory.ekm1(1.0, 2.0, 0)


# --------------------------------------------------------------------------- Jackson


def test_jackson_tandem_equals_sum_of_mm1():
    result = theory.jackson({"a": 1.0}, {("a", "b"): 1.0}, {"a": 2.0, "b": 3.0})
    assert result.mean_sojourn_s == pytest.approx(1.0 / (2 - 1) + 1.0 / (3 - 1))
    assert result.throughput == pytest.approx({"a": 1.0, "b": 1.0})
    assert result.visit_ratio == pytest.approx({"a": 1.0, "b": 1.0})
    assert result.utilization == pytest.approx({"a": 0.5, "b": 1 / 3})
    assert result.mean_response_s == pytest.approx({"a": 1.0, "b": 0.5})


def test_jackson_feedback_loop():
    # gamma = 1, feedback 0.5: lambda = 2, M/M/1 with mu = 4 -> L = 1, T per visit = 0.5.
    result = theory.jackson({"s": 1.0}, {("s", "s"): 0.5}, {"s": 4.0})
    assert result.throughput["s"] == pytest.approx(2.0)
    assert result.visit_ratio["s"] == pytest.approx(2.0)
    assert result.mean_response_s["s"] == pytest.approx(0.5)
    assert result.mean_sojourn_s == pytest.approx(1.0)


def test_jackson_traffic_equations_with_branching_and_return():
    # lambda_a = 1 + 0.2 lambda_b, lambda_b = lambda_c = 0.5 lambda_a -> lambda_a = 1 / 0.9.
    routing = {("a", "b"): 0.5, ("a", "c"): 0.5, ("b", "a"): 0.2}
    rates = {"a": 5.0, "b": 2.0, "c": 1.0}
    result = theory.jackson({"a": 1.0}, routing, rates, servers={"c": 2})
    lam_a = 1 / 0.9
    assert result.throughput == pytest.approx({"a": lam_a, "b": lam_a / 2, "c": lam_a / 2})
    expected = (theory.mm1(lam_a, 5.0).mean_number_in_system
                + theory.mm1(lam_a / 2, 2.0).mean_number_in_system
                + theory.mmc(lam_a / 2, 1.0, 2).mean_number_in_system)
    assert result.mean_number_in_network == pytest.approx(expected)
    assert result.mean_sojourn_s == pytest.approx(expected / 1.0)
    assert result.utilization["c"] == pytest.approx(lam_a / 2 / 2)


def test_jackson_station_without_traffic():
    result = theory.jackson({"a": 1.0}, {}, {"a": 2.0, "idle": 5.0})
    assert result.throughput["idle"] == 0.0
    assert result.mean_number_in_system["idle"] == 0.0
    assert result.mean_sojourn_s == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("external", "routing", "rates", "message"),
    [
        ({"x": 1.0}, {}, {"a": 2.0}, "Unknown station"),
        ({"a": 1.0}, {("a", "x"): 0.5}, {"a": 2.0}, "Routing keys"),
        ({"a": 1.0}, {("a", "b"): 0.7, ("a", "a"): 0.6}, {"a": 9.0, "b": 9.0}, "sum to <= 1"),
        ({"a": 1.0}, {("a", "b"): 1.0, ("b", "a"): 1.0}, {"a": 9.0, "b": 9.0}, "no way out"),
        ({"a": 1.0}, {("a", "a"): 0.5}, {"a": 2.0}, "station 'a'"),
        ({"a": 0.0}, {}, {"a": 2.0}, "external arrival"),
    ],
)
def test_jackson_rejects_bad_networks(external, routing, rates, message):
    with pytest.raises(ValueError, match=message):
        theory.jackson(external, routing, rates)


# --------------------------------------------------------------------------- MVA


def _machine_repairman(users: int, service_s: float, think_s: float) -> tuple[float, float]:
    """M/M/1//N (Kleinrock Vol. 1, section 3.8): throughput and response time."""
    ratio = service_s / think_s
    weights = [math.factorial(users) / math.factorial(users - n) * ratio**n
               for n in range(users + 1)]
    idle = 1.0 / math.fsum(weights)
    throughput = (1.0 - idle) / service_s
    return throughput, users / throughput - think_s


def test_mva_machine_repairman_hand_computed():
    result = theory.mva([1.0], 1.0, 2)
    assert result.throughput == pytest.approx(0.8)
    assert result.mean_response_s == pytest.approx(1.5)
    assert result.queue_lengths == pytest.approx((1.2,))
    assert result.utilizations == pytest.approx((0.8,))
    assert result.throughput_by_users == pytest.approx((0.5, 0.8))


@pytest.mark.parametrize(("users", "service_s", "think_s"),
                         [(1, 0.2, 1.0), (5, 0.2, 1.0), (20, 0.05, 0.5), (50, 0.1, 2.0)])
def test_mva_single_station_equals_machine_repairman(users, service_s, think_s):
    throughput, response = _machine_repairman(users, service_s, think_s)
    result = theory.mva([service_s], think_s, users)
    assert result.throughput == pytest.approx(throughput, rel=1e-10)
    assert result.mean_response_s == pytest.approx(response, rel=1e-10)


def test_mva_two_stations_equals_product_form_enumeration():
    demands, think, users = (0.3, 0.2), 1.0, 6
    # Product form: p(n1, n2, n0) proportional to D1^n1 D2^n2 Z^n0 / n0!.
    def normaliser(population: int) -> float:
        return math.fsum(demands[0] ** a * demands[1] ** b * think ** (population - a - b)
                         / math.factorial(population - a - b)
                         for a in range(population + 1) for b in range(population + 1 - a))
    throughput = normaliser(users - 1) / normaliser(users)
    result = theory.mva(list(demands), think, users)
    assert result.throughput == pytest.approx(throughput, rel=1e-10)
    assert sum(result.queue_lengths) + result.throughput * think == pytest.approx(users)


def test_mva_delay_station_acts_like_think_time():
    with_delay = theory.mva([0.3, 0.5], 0.5, 8, delay_stations=[1])
    plain = theory.mva([0.3], 1.0, 8)
    assert with_delay.throughput == pytest.approx(plain.throughput)
    assert with_delay.residence_times_s[1] == pytest.approx(0.5)
    assert with_delay.mean_response_s == pytest.approx(plain.mean_response_s + 0.5)


def test_mva_respects_asymptotic_bounds():
    demands, think = [0.05, 0.1, 0.02], 1.0
    for users in (1, 5, 10, 50, 200):
        result = theory.mva(demands, think, users)
        assert result.throughput <= min(1 / max(demands), users / (sum(demands) + think)) + 1e-12
    assert theory.mva(demands, think, 400).throughput == pytest.approx(10.0, rel=1e-3)


@pytest.mark.parametrize(
    ("demands", "think", "users", "delays"),
    [([1.0], 1.0, 0, None), ([-1.0], 1.0, 2, None), ([0.0], 0.0, 2, None),
     ([1.0], 1.0, 2, [3]), ([1.0], -1.0, 2, None)],
)
def test_mva_rejects_bad_input(demands, think, users, delays):
    with pytest.raises(ValueError):
        theory.mva(demands, think, users, delay_stations=delays)


# --------------------------------------------------------------------------- fork-join


def test_fork_join_2_nelson_tantawi_formula():
    assert theory.fork_join_2(0.5, 1.0) == pytest.approx((12 - 0.5) / 8 / 0.5)
    # Light load: the max of two Exp(mu) services, 1.5 / mu.
    assert theory.fork_join_2(1e-9, 2.0) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        theory.fork_join_2(1.0, 1.0)


def test_fork_join_approximation():
    assert theory.fork_join_nelson_tantawi(0.7, 1.0, 2) == pytest.approx(
        theory.fork_join_2(0.7, 1.0))
    # Light load: the max of n Exp(mu), H_n / mu.
    assert theory.fork_join_nelson_tantawi(1e-9, 1.0, 4) == pytest.approx(25 / 12)
    for branches in (1, 33):
        with pytest.raises(ValueError):
            theory.fork_join_nelson_tantawi(0.5, 1.0, branches)


# --------------------------------------------------------------------------- order statistics


def test_order_statistics_of_exponentials():
    assert theory.expected_kth_of_exponentials(3, 1, 1.0) == pytest.approx(1 / 3)
    assert theory.expected_kth_of_exponentials(3, 2, 1.0) == pytest.approx(1 / 3 + 1 / 2)
    assert theory.expected_kth_of_exponentials(3, 3, 1.0) == pytest.approx(11 / 6)
    assert theory.expected_max_of_exponentials(4, 2.0) == pytest.approx(2.0 * 25 / 12)
    assert theory.expected_max_of_exponentials(1, 0.3) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        theory.expected_kth_of_exponentials(3, 4, 1.0)
    with pytest.raises(ValueError):
        theory.expected_max_of_exponentials(0, 1.0)


# --------------------------------------------------------------------------- Student t


def test_student_t_halfwidth_from_std_and_samples():
    assert theory.student_t_halfwidth(1.0, 10) == pytest.approx(2.262157 / math.sqrt(10),
                                                                rel=1e-6)
    samples = [1.0, 2.0, 3.0, 4.0, 5.0]
    expected = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert theory.student_t_halfwidth(samples) == pytest.approx(expected, rel=1e-6)
    assert theory.student_t_halfwidth(np.array(samples), 5) == pytest.approx(expected, rel=1e-6)
    assert theory.student_t_halfwidth(1.0, 10, confidence=0.99) == pytest.approx(
        3.249836 / math.sqrt(10), rel=1e-6)


@pytest.mark.parametrize(("data", "n", "confidence"),
                         [(1.0, None, 0.95), (1.0, 1, 0.95), ([1.0, 2.0], 3, 0.95),
                          ([1.0], None, 0.95), (1.0, 10, 1.0), (-1.0, 10, 0.95)])
def test_student_t_halfwidth_rejects_bad_input(data, n, confidence):
    with pytest.raises(ValueError):
        theory.student_t_halfwidth(data, n, confidence)
