"""Mean and variance of a response time, composed step by step (sums, coin flips, fork-join).

The analytic estimate adds up the pieces of a request's path: work, waits, network hops and
callee responses. Means add exactly whatever the dependence between the pieces; variances are
added as if the pieces were independent (an approximation used only to shape holding times and
fork-join maxima, never for an "exact" mean).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from collections.abc import Sequence

    from archsim.spec.dists import Dist

EXPONENTIAL_SHAPES = ("exponential", "gamma", "erlang")


@dataclass(frozen=True, slots=True)
class Moments:
    """Mean and variance (seconds, seconds squared) of a non-negative random time.

    ``mean`` is ``inf`` when the time passes through an unstable station; ``floor`` is then a
    finite lower bound (the unstable waits taken as zero), used for busy-worker counts.
    ``exponential`` is True when the time is exactly one exponential draw.
    """

    mean: float = 0.0
    var: float = 0.0
    floor: float = 0.0
    exponential: bool = False

    @property
    def finite(self) -> bool:
        """Whether the mean is finite (no unstable station on the way)."""
        return math.isfinite(self.mean)

    @property
    def is_zero(self) -> bool:
        """A time that is always zero."""
        return self.mean == 0.0 and self.var == 0.0

    @property
    def scv(self) -> float:
        """Squared coefficient of variation var / mean^2 (0 for a zero time)."""
        return self.var / self.mean**2 if self.mean > 0 and self.finite else 0.0

    def __add__(self, other: Moments) -> Moments:
        exponential = (self.exponential and other.is_zero) or (other.exponential and self.is_zero)
        return Moments(self.mean + other.mean, self.var + other.var, self.floor + other.floor,
                       exponential)

    def taken(self, p: float) -> Moments:
        """The time of a step taken with probability ``p`` (zero otherwise)."""
        if p >= 1.0:
            return self
        if p <= 0.0 or self.is_zero:
            return ZERO
        if not self.finite:
            return Moments(math.inf, math.inf, p * self.floor)
        second = p * (self.var + self.mean**2)
        mean = p * self.mean
        return Moments(mean, max(second - mean**2, 0.0), mean)

    def doubled(self) -> Moments:
        """Two independent draws added (a hop out and a hop back)."""
        return self + self


ZERO = Moments()
UNSTABLE = Moments(math.inf, math.inf, 0.0)


def of_dist(dist: Dist) -> Moments:
    """The moments of a spec distribution (work, latency)."""
    mean = dist.mean_s
    exponential = mean > 0 and dist.dist in EXPONENTIAL_SHAPES and dist.cv == 1.0
    return Moments(mean, dist.variance_s2, mean, exponential)


def unstable_wait() -> Moments:
    """The wait at a station with utilization >= 1: unbounded (floor zero)."""
    return UNSTABLE


def fork_join(branches: Sequence[Moments]) -> Moments:
    """Moments of the slowest of independent branches (the join waits for all).

    Each branch is taken as a gamma distribution with its mean and variance (a constant when
    the variance is zero); E[max] = int_0^inf (1 - prod_i F_i(t)) dt and
    E[max^2] = int_0^inf 2t (1 - prod_i F_i(t)) dt (see :func:`max_moments`). A single
    non-zero branch is returned as it is.
    """
    live = [branch for branch in branches if not branch.is_zero]
    if len(live) <= 1:
        return live[0] if live else ZERO
    if not all(branch.finite for branch in live):
        return Moments(math.inf, math.inf, max(branch.floor for branch in live))
    if all(branch.var == 0.0 for branch in live):
        top = max(branch.mean for branch in live)
        return Moments(top, 0.0, top)
    mean, second = max_moments(tuple((b.mean, b.var) for b in live))
    return Moments(mean, max(second - mean**2, 0.0), mean)


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_GRADING = 0.5 ** np.arange(1, 50)  # panels halving towards 0, where F ~ t^shape
_BULK = np.arange(-8.0, 9.0)  # panel edges one standard deviation apart around each mean
_TAIL = 1e-13


@functools.lru_cache(maxsize=4096)
def max_moments(branches: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    """E[max] and E[max^2] of independent gamma times given as (mean, variance) pairs
    (variance 0: a constant).

    Gauss-Legendre (16 nodes) on panels that halve towards 0, are one standard deviation wide
    around each branch's mean and break at every constant, up to the largest 1 - 1e-13
    quantile; the gamma CDFs are evaluated at once with ``scipy.special.gammainc``. Relative
    error about 1e-9 against adaptive quadrature (``scipy.integrate.quad``), a thousand times
    faster.
    """
    steps = np.array([mean for mean, var in branches if var == 0.0])
    gamma = [(mean, var) for mean, var in branches if var > 0.0]
    shape = np.array([mean * mean / var for mean, var in gamma])
    scale = np.array([var / mean for mean, var in gamma])
    upper = float(max(np.max(special.gammainccinv(shape, _TAIL) * scale),
                      np.max(steps, initial=0.0)))
    centres = shape * scale
    spreads = np.sqrt(shape) * scale
    edges = np.concatenate(([0.0, upper], steps, upper * _GRADING,
                            (centres[:, None] + spreads[:, None] * _BULK).ravel()))
    edges = np.unique(edges[(edges >= 0.0) & (edges <= upper)])
    low, high = edges[:-1], edges[1:]
    half = (high - low) / 2.0
    t = ((low + high) / 2.0)[:, None] + half[:, None] * _NODES
    weights = half[:, None] * _WEIGHTS
    product = np.ones_like(t)
    for k, theta in zip(shape, scale, strict=True):
        product *= -np.expm1(-t / theta) if k == 1.0 else special.gammainc(k, t / theta)
    for step in steps:
        product *= t >= step
    tail = 1.0 - product
    return float(np.sum(weights * tail)), float(np.sum(weights * 2.0 * t * tail))


def aggregate(passes: list[tuple[float, Moments]]) -> Moments:
    """The service time of a random pass: the weighted mixture of the passes' times."""
    total = sum(weight for weight, _ in passes)
    if total <= 0:
        return ZERO
    if not all(m.finite for _, m in passes):
        floor = sum(weight * m.floor for weight, m in passes) / total
        return Moments(math.inf, math.inf, floor)
    mean = sum(weight * m.mean for weight, m in passes) / total
    second = sum(weight * (m.var + m.mean**2) for weight, m in passes) / total
    first = passes[0][1]
    exponential = all(m.exponential and math.isclose(m.mean, first.mean, rel_tol=1e-12)
                      for _, m in passes)
    if exponential:
        return Moments(first.mean, first.mean**2, first.mean, True)
    return Moments(mean, max(second - mean**2, 0.0), mean)
