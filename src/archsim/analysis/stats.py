"""Statistics across replications: Student-t confidence intervals, merged percentiles, MSER-5.

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
