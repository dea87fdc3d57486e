"""Runtime samplers keep the requested mean and cv, and random streams are reproducible."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from scipy import stats

from archsim.model.dists import make_sampler, stream_rng
from archsim.spec.dists import Dist, Work

N_SAMPLES = 200_000
Z = 5.0  # standard errors allowed: a false failure has probability ~6e-7 per check

CASES = {
    "exponential 4ms": Dist(dist="exponential", mean="4ms"),
    "exponential 2s": Dist(dist="exponential", mean="2s"),
    "lognormal 6ms cv 1.5": Dist(dist="lognormal", mean="6ms", cv=1.5),
    "lognormal 10ms cv 0.5": Dist(dist="lognormal", mean="10ms", cv=0.5),
    "gamma 4ms cv 0.5": Dist(dist="gamma", mean="4ms", cv=0.5),
    "gamma 1ms cv 2": Dist(dist="gamma", mean="1ms", cv=2),
    "gamma 1s shape 2.5": Dist(dist="gamma", mean="1s", shape=2.5),
    "erlang 4ms k 4": Dist(dist="erlang", mean="4ms", k=4),
    "erlang 20ms cv 0.5": Dist(dist="erlang", mean="20ms", cv=0.5),
    "uniform 4ms cv 0.3": Dist(dist="uniform", mean="4ms", cv=0.3),
    "uniform 5ms widest": Dist(dist="uniform", mean="5ms", cv=1 / math.sqrt(3)),
    "uniform 1ms..3ms": Dist(dist="uniform", min="1ms", max="3ms"),
}


def reference(dist: Dist) -> stats.rv_continuous:
    """The scipy distribution with the requested mean and cv, derived independently."""
    mean, cv = dist.mean_s, float(dist.cv or 0.0)
    if dist.dist == "exponential":
        return stats.expon(scale=mean)
    if dist.dist == "uniform":
        low = dist.min if dist.min is not None else mean - math.sqrt(3) * cv * mean
        high = dist.max if dist.max is not None else mean + math.sqrt(3) * cv * mean
        return stats.uniform(loc=low, scale=high - low)
    if dist.dist == "lognormal":
        sigma = math.sqrt(math.log(1 + cv**2))
        return stats.lognorm(s=sigma, scale=mean / math.sqrt(1 + cv**2))
    shape = 1 / cv**2  # gamma and erlang
    return stats.gamma(a=shape, scale=mean / shape)


def draw(dist: Dist, n: int = N_SAMPLES, seed: int = 2024, stream: str = "test") -> np.ndarray:
    sampler = make_sampler(dist, stream_rng(seed, stream))
    return np.array([sampler() for _ in range(n)])


@pytest.mark.parametrize("dist", CASES.values(), ids=CASES.keys())
def test_sample_mean_and_cv_match_the_request(dist: Dist) -> None:
    reference_dist = reference(dist)
    mean, cv = dist.mean_s, float(dist.cv or 0.0)
    assert reference_dist.mean() == pytest.approx(mean, rel=1e-12)
    assert reference_dist.std() / mean == pytest.approx(cv, rel=1e-12)
    samples = draw(dist)
    n = len(samples)
    # The sample mean has standard error sd / sqrt(n) = cv * mean / sqrt(n).
    assert abs(samples.mean() - mean) <= Z * cv * mean / math.sqrt(n)
    # Sample cv = s / xbar. By the delta method the relative standard error of s is
    # sqrt((kurtosis - 1) / (4n)) and that of xbar is cv / sqrt(n); all these distributions
    # are right-skewed or symmetric, so s and xbar co-vary positively and the sum of the two
    # variances bounds that of log(s / xbar). Exponential: 1.6% at 5 SE; gamma cv 0.5: 1.4%;
    # the heavy-tailed lognormal cv 1.5 (kurtosis 209): 8.1%. For that one the normal
    # approximation is optimistic (s^2 is right-skewed, usually a little low), so its bound is
    # the loosest and only its fixed seed makes the check deterministic.
    kurtosis = float(reference_dist.stats(moments="k")) + 3
    relative_se = math.sqrt((kurtosis - 1) / (4 * n) + cv**2 / n)
    sample_cv = samples.std(ddof=1) / samples.mean()
    assert abs(sample_cv / cv - 1) <= Z * relative_se
    assert samples.min() >= 0


@pytest.mark.parametrize("dist", CASES.values(), ids=CASES.keys())
def test_samples_follow_the_whole_distribution(dist: Dist) -> None:
    """Mean and cv do not pin the shape; Kolmogorov-Smirnov against scipy does."""
    samples = draw(dist, n=50_000, seed=7)
    assert stats.kstest(samples, reference(dist).cdf).pvalue > 1e-3


def test_uniform_bounds_are_respected() -> None:
    samples = draw(CASES["uniform 1ms..3ms"], n=20_000)
    assert 0.001 <= samples.min() and samples.max() <= 0.003


@pytest.mark.parametrize(("dist", "expected"), [
    (CASES["exponential 4ms"], "Exponential(mean=0.004s)"),
    (CASES["lognormal 6ms cv 1.5"], "Lognormal(mean=0.006s, cv=1.5)"),
    (CASES["gamma 4ms cv 0.5"], "Gamma(mean=0.004s, cv=0.5)"),
    (CASES["erlang 4ms k 4"], "Erlang(mean=0.004s, k=4)"),
    (CASES["erlang 20ms cv 0.5"], "Erlang(mean=0.02s, k=4)"),
    (CASES["uniform 1ms..3ms"], "Uniform(min=0.001s, max=0.003s)"),
    (Dist(dist="uniform", mean="4ms", cv=0.25), "Uniform(min=0.00226795s, max=0.00573205s)"),
    (Dist(dist="constant", mean="4ms"), "Constant(mean=0.004s)"),
])
def test_repr_names_the_distribution(dist: Dist, expected: str) -> None:
    assert repr(make_sampler(dist, stream_rng(1, "repr"))) == expected


@pytest.mark.parametrize("dist", CASES.values(), ids=CASES.keys())
def test_theoretical_moments_come_from_the_native_parameters(dist: Dist) -> None:
    sampler = make_sampler(dist, stream_rng(1, "moments"))
    assert sampler.mean_s == pytest.approx(dist.mean_s, rel=1e-12)
    assert sampler.variance_s2 == pytest.approx(dist.variance_s2, rel=1e-12)


@pytest.mark.parametrize("dist", [
    TypeAdapter(Work).validate_python("4ms"),
    Dist(dist="constant", mean="0s"),
    Dist(dist="exponential", mean="0s"),
    Dist(dist="gamma", mean="0s", cv=2),
    Dist(dist="lognormal", mean="6ms", cv=0),
    Dist(dist="uniform", mean="6ms", cv=0),
    Dist(dist="uniform", min="2ms", max="2ms"),
], ids=["4ms", "constant 0", "exponential 0", "gamma 0", "lognormal cv 0", "uniform cv 0",
        "uniform min=max"])
def test_constants_return_the_mean_exactly_and_use_no_randomness(dist: Dist) -> None:
    rng = stream_rng(1, "constant")
    state = rng.bit_generator.state
    sampler = make_sampler(dist, rng)
    values = {sampler() for _ in range(10_000)}
    assert values == {dist.mean_s}
    assert type(sampler()) is float
    assert sampler.variance_s2 == 0.0
    assert rng.bit_generator.state == state


def test_samples_are_python_floats() -> None:
    sampler = make_sampler(CASES["gamma 4ms cv 0.5"], stream_rng(1, "type"))
    assert all(type(sampler()) is float for _ in range(5_000))


def sequence(seed: int, stream: str, dist: Dist = CASES["exponential 4ms"]) -> list[float]:
    sampler = make_sampler(dist, stream_rng(seed, stream))
    return [sampler() for _ in range(10_000)]  # crosses several batch refills


def test_same_seed_and_stream_give_the_same_sequence() -> None:
    assert sequence(1, "a") == sequence(1, "a")
    assert sequence(3, "a", CASES["lognormal 6ms cv 1.5"]) == sequence(
        3, "a", CASES["lognormal 6ms cv 1.5"])


def test_streams_and_seeds_give_different_sequences() -> None:
    assert sequence(1, "a") != sequence(1, "b")
    assert sequence(1, "a") != sequence(2, "a")


def test_neighbouring_seeds_share_no_stream() -> None:
    """A seed-plus-offset scheme would map (n, stream i+1) and (n+1, stream i) together."""
    first_words = {int(stream_rng(seed, f"s{index}").bit_generator.random_raw())
                   for seed in range(20) for index in range(20)}
    assert len(first_words) == 400


def test_adding_a_stream_leaves_the_others_unchanged() -> None:
    alone = stream_rng(5, "a").random(100)
    stream_rng(5, "b").random(1000)
    assert np.array_equal(stream_rng(5, "a").random(100), alone)


def test_streams_are_stable_across_processes_and_versions() -> None:
    """Pinned raw PCG64 words: a salted hash() or a changed derivation would break them."""
    assert [int(w) for w in stream_rng(1, "a").bit_generator.random_raw(2)] == PINNED_1_A
    assert [int(w) for w in stream_rng(2, "arrivals:web").bit_generator.random_raw(2)] == (
        PINNED_2_ARRIVALS_WEB)


PINNED_1_A = [9630998093395465146, 529771606247280757]
PINNED_2_ARRIVALS_WEB = [17222348240257687182, 6430044633580633627]


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["gamma", "lognormal"]),
       mean=st.floats(min_value=1e-6, max_value=1e4),
       cv=st.floats(min_value=0.01, max_value=20),
       seed=st.integers(min_value=0, max_value=2**32))
def test_gamma_and_lognormal_give_non_negative_finite_floats(
        kind: str, mean: float, cv: float, seed: int) -> None:
    dist = Dist(dist=kind, mean=f"{mean!r}s", cv=cv)
    sampler = make_sampler(dist, stream_rng(seed, "property"))
    values = [sampler() for _ in range(300)]  # crosses the first two batch refills
    assert all(type(value) is float and math.isfinite(value) and value >= 0
               for value in values)
    assert sampler.mean_s == pytest.approx(dist.mean_s, rel=1e-9)
