"""Statistics across replications: Student-t and log-scale confidence intervals, merged
percentiles, MSER-5.

Percentiles over several replications are computed from the merged samples, never by
averaging per-replication percentiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

PERCENTILES = (50, 90, 95, 99)


def mean_ci95(values: Sequence[float]) -> tuple[float, float] | None:
    """95% confidence interval for the mean of independent replication values.

    Student t with n - 1 degrees of freedom (Law, *Simulation Modeling and Analysis*, 5th ed.,
    section 9.4.1). Returns None for fewer than two finite values.
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(finite) < 2:
        return None
    from scipy.stats import t

    array = np.asarray(finite, dtype=float)
    mean = float(array.mean())
    half = float(t.ppf(0.975, len(array) - 1) * array.std(ddof=1) / math.sqrt(len(array)))
    return (mean - half, mean + half)


def positive_mean_ci95(values: Sequence[float]) -> tuple[float, float] | None:
    """95% confidence interval for the mean of positive, right-skewed replication values.

    The modified Cox method on the log scale, which assumes the values are log-normal (as a
    per-replication p99 or mean latency nearly is: positive, with a long right tail): with
    ``y = ln x``, its mean ``m`` and variance ``s2`` over ``n`` values, the mean of ``x`` is
    ``exp(m + s2 / 2)`` and its interval is
    ``exp(m + s2/2 -+ t(0.975, n-1) sqrt(s2/n + s2^2 / (2 (n-1))))`` (Land, "An evaluation of
    approximate confidence interval estimation methods for lognormal means", Technometrics 14,
    1972; Olsson, "Confidence intervals for the mean of a log-normal distribution", Journal of
    Statistics Education 13(1), 2005, which recommends this form for small n). Both ends are
    positive, unlike the symmetric Student-t interval of :func:`mean_ci95`, which for two
    replications of a skewed quantity often starts below zero. None for fewer than two finite
    values or a value <= 0 (no logarithm).

    Examples
    --------
    >>> low, high = positive_mean_ci95([50.0, 200.0])
    >>> 0 < low < 125.0 < high
    True
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(finite) < 2 or min(finite) <= 0:
        return None
    from scipy.stats import t

    logs = np.log(np.asarray(finite, dtype=float))
    count = len(logs)
    center = float(logs.mean())
    variance = float(logs.var(ddof=1))
    half = float(t.ppf(0.975, count - 1)) * math.sqrt(
        variance / count + variance**2 / (2 * (count - 1)))
    return (math.exp(center + variance / 2 - half), math.exp(center + variance / 2 + half))


def percentiles_ms(samples_s: np.ndarray) -> dict[str, float]:
    """Mean, p50, p90, p95, p99 and max of latency samples (seconds in, milliseconds out).

    Percentiles use numpy's default linear interpolation (Hyndman & Fan type 7).
    """
    if samples_s.size == 0:
        return {}
    values = np.percentile(samples_s, PERCENTILES)
    out = {"mean": float(samples_s.mean()) * 1000}
    out.update({f"p{p}": float(v) * 1000 for p, v in zip(PERCENTILES, values, strict=True)})
    out["max"] = float(samples_s.max()) * 1000
    return out


def mser5_truncation(series: Sequence[float]) -> int:
    """MSER-5 truncation point: how many leading observations to drop as warm-up.

    Observations are grouped in batches of 5; the truncation ``d`` (in batches) minimises
    ``var(tail) / (n - d)^2`` over the first half of the batches (White, "An effective
    truncation heuristic for bias reduction in simulation output", Simulation 69(6), 1997).

    Returns
    -------
    int
        The number of original observations to discard (a multiple of 5).
    """
    values = np.asarray(series, dtype=float)
    batches = values[: len(values) // 5 * 5].reshape(-1, 5).mean(axis=1)
    count = len(batches)
    if count < 4:
        return 0
    best, best_d = math.inf, 0
    for d in range(count // 2):
        tail = batches[d:]
        statistic = tail.var() / (len(tail) ** 2) * len(tail)  # = sum sq dev / (n-d)^2
        if statistic < best:
            best, best_d = statistic, d
    return best_d * 5
