"""Runtime samplers for the spec's distributions, and one independent random stream per name.

A sampler is a zero-argument callable returning one duration in seconds per call. It draws
batches with numpy's vectorised generators, converts them with ``tolist()`` and hands the
values out one at a time, so the per-call cost on the simulation's hot path is one C-level
``next()`` on a list iterator (see :class:`Sampler`).

Native parameters are derived from the requested mean and cv so that both are kept exactly
(Law, *Simulation Modeling and Analysis*, 5th ed., ch. 6):

============  ==============================================================
exponential   scale = mean
uniform       a, b = mean -/+ sqrt(3) * cv * mean, or the spec's min and max
lognormal     sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2
gamma         shape = 1 / cv^2, scale = mean * cv^2
erlang        gamma with the whole shape k, scale = mean / k
============  ==============================================================

A zero mean or a zero cv gives a :func:`constant <make_sampler>` sampler, which uses no
random numbers.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, repeat
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from archsim.spec.dists import Dist

FIRST_BATCH = 64
"""Values drawn by a sampler's first refill; rarely used samplers stay cheap."""

MAX_BATCH = 4096
"""Batch size cap; each refill doubles the previous one up to this."""

Draw = Callable[[int], np.ndarray]


class Sampler(partial):  # type: ignore[type-arg]
    """A zero-argument callable giving one sample, in seconds, per call.

    It is ``functools.partial(next, values)`` over an endless iterator of floats, so a call
    runs in C without a Python frame. It also describes itself, as Ciw's distributions do:
    ``repr`` shows the distribution and its parameters, ``mean_s`` and ``variance_s2`` give the
    theoretical mean (seconds) and variance (seconds squared) computed from the native
    parameters actually used.

    Examples
    --------
    >>> sampler = Sampler(repeat(0.004), "Constant(mean=0.004s)", 0.004, 0.0)
    >>> sampler(), sampler
    (0.004, Constant(mean=0.004s))
    """

    __slots__ = ()

    label: str
    mean_s: float
    variance_s2: float

    def __new__(cls, values: Iterator[float], label: str, mean_s: float,
                variance_s2: float) -> Sampler:
        self = super().__new__(cls, next, values)
        self.label = label
        self.mean_s = mean_s
        self.variance_s2 = variance_s2
        return self

    def __repr__(self) -> str:
        return self.label

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError(f"{self.label} holds a live random stream and cannot be pickled")


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """Return the independent random stream called ``stream`` for ``seed``.

    The stream is ``PCG64(SeedSequence(entropy=seed, spawn_key=(crc32(stream),)))``: the
    seed and the name are both hashed into the generator's state, so seeds ``n`` and ``n + 1``
    share no stream, adding a stream leaves the others unchanged, and the numbers are the same
    in every process (Python's salted ``hash()`` is not used).

    Parameters
    ----------
    seed:
        The replication's seed, a non-negative integer.
    stream:
        The stream's name, e.g. ``"arrivals:web"``.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> stream_rng(1, "a").random() == stream_rng(1, "a").random()
    True
    >>> stream_rng(1, "a").random() == stream_rng(1, "b").random()
    False
    """
    name_key = zlib.crc32(stream.encode("utf-8"))
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(name_key,))
    return np.random.Generator(np.random.PCG64(sequence))


def make_sampler(dist: Dist, rng: np.random.Generator) -> Sampler:
    """Return a zero-argument callable giving one sample of ``dist`` (seconds) per call.

    The spec has already validated ``dist``; this only derives native parameters.

    Parameters
    ----------
    dist:
        The distribution spec; its mean is in seconds.
    rng:
        The generator to draw from, normally from :func:`stream_rng`. A constant never uses it.

    Returns
    -------
    Sampler
        Callable with ``repr``, ``mean_s`` and ``variance_s2``.

    Examples
    --------
    >>> from archsim.spec.dists import Dist
    >>> sampler = make_sampler(Dist(dist="gamma", mean="4ms", cv=0.5), stream_rng(1, "s"))
    >>> sampler, round(sampler.mean_s, 9), round(sampler.variance_s2, 12)
    (Gamma(mean=0.004s, cv=0.5), 0.004, 4e-06)
    >>> isinstance(sampler(), float)
    True
    """
    mean = float(dist.mean or 0.0)
    kind = dist.dist
    if kind == "uniform" and dist.min is not None and dist.max is not None:
        return _uniform(rng, float(dist.min), float(dist.max))
    cv = 1.0 if kind == "exponential" else float(dist.cv or 0.0)
    if mean == 0.0 or cv == 0.0:
        return _constant(mean)
    if kind == "exponential":
        return _batched(partial(rng.exponential, mean), f"Exponential(mean={mean:g}s)",
                        mean, mean * mean)
    if kind == "uniform":
        half_width = math.sqrt(3.0) * cv * mean
        return _uniform(rng, max(mean - half_width, 0.0), mean + half_width)
    if kind == "lognormal":
        return _lognormal(rng, mean, cv)
    if kind == "erlang":
        k = dist.k if dist.k is not None else round(1.0 / cv**2)
        return _gamma(rng, float(k), mean / k, f"Erlang(mean={mean:g}s, k={k})")
    if kind == "gamma":
        shape = float(dist.shape) if dist.shape is not None else 1.0 / cv**2
        return _gamma(rng, shape, mean / shape, f"Gamma(mean={mean:g}s, cv={cv:g})")
    raise ValueError(f"unknown distribution {kind!r}; expected one of exponential, constant, "
                     "uniform, lognormal, gamma, erlang")


def _constant(value: float) -> Sampler:
    return Sampler(repeat(value), f"Constant(mean={value:g}s)", value, 0.0)


def _uniform(rng: np.random.Generator, low: float, high: float) -> Sampler:
    label = f"Uniform(min={low:g}s, max={high:g}s)"
    if low == high:
        return Sampler(repeat(low), label, low, 0.0)
    mean, variance = (low + high) / 2, (high - low) ** 2 / 12
    return _batched(partial(rng.uniform, low, high), label, mean, variance)


def _lognormal(rng: np.random.Generator, mean: float, cv: float) -> Sampler:
    sigma2 = math.log1p(cv * cv)
    mu = math.log(mean) - sigma2 / 2
    mean_s = math.exp(mu + sigma2 / 2)
    variance = math.expm1(sigma2) * math.exp(2 * mu + sigma2)
    return _batched(partial(rng.lognormal, mu, math.sqrt(sigma2)),
                    f"Lognormal(mean={mean:g}s, cv={cv:g})", mean_s, variance)


def _gamma(rng: np.random.Generator, shape: float, scale: float, label: str) -> Sampler:
    return _batched(partial(rng.gamma, shape, scale), label, shape * scale,
                    shape * scale * scale)


def _batched(draw: Draw, label: str, mean_s: float, variance_s2: float) -> Sampler:
    return Sampler(chain.from_iterable(_batches(draw)), label, mean_s, variance_s2)


def _batches(draw: Draw) -> Iterator[list[float]]:
    """Yield lists of samples forever, doubling from FIRST_BATCH up to MAX_BATCH values."""
    size = FIRST_BATCH
    while True:
        yield draw(size).tolist()
        size = min(2 * size, MAX_BATCH)
