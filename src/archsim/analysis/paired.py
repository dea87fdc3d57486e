"""Relative and absolute differences between two layouts with 95% confidence intervals.

With common random numbers, replication ``i`` of both layouts uses the same seed and so the
same arrival stream; the replication values ``a_i`` (baseline) and ``b_i`` (layout) are then
positively correlated and their *paired* difference varies much less than either value (Law,
*Simulation Modeling and Analysis*, 5th ed., sections 10.2.1 and 11.2).

The relative difference ``b / a - 1`` is a ratio of means. Its interval is the delta-method
(linearised) one: with ``r = mean(b) / mean(a)``, the paired residuals
``z_i = (b_i - r a_i) / mean(a)`` have mean 0 and ``r`` has standard error
``sd(z) / sqrt(n)``; a Student t with ``n - 1`` degrees of freedom gives the 95% half-width.
For independent runs the two variances add (Welch-Satterthwaite degrees of freedom).
Identical replication values give a half-width of exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _t975(degrees: float) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, degrees))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _variance(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def paired_half_width_pct(baseline: Sequence[float], layout: Sequence[float]) -> float | None:
    """95% half-width, in percent points, of ``mean(layout) / mean(baseline) - 1`` (paired).

    ``baseline[i]`` and ``layout[i]`` come from replications with the same seed. Returns None
    for fewer than two pairs or a zero baseline mean.

    Examples
    --------
    >>> paired_half_width_pct([10.0, 12.0, 11.0], [10.0, 12.0, 11.0])
    0.0
    >>> round(paired_half_width_pct([10.0, 12.0, 11.0], [10.3, 12.4, 11.3]), 3)
    0.789
    """
    count = len(baseline)
    if count != len(layout) or count < 2:
        return None
    mean_a, mean_b = _mean(baseline), _mean(layout)
    if mean_a == 0:
        return None
    ratio = mean_b / mean_a
    residuals = [(b - ratio * a) / mean_a for a, b in zip(baseline, layout, strict=True)]
    spread = _variance(residuals)
    if spread <= 1e-30:  # identical pairs (or exactly proportional): no uncertainty left
        return 0.0
    return 100.0 * _t975(count - 1) * math.sqrt(spread / count)


def unpaired_half_width_pct(baseline: Sequence[float],
                            layout: Sequence[float]) -> float | None:
    """95% half-width, in percent points, of ``mean(layout) / mean(baseline) - 1`` (independent).

    Delta method for a ratio of independent means with Welch-Satterthwaite degrees of freedom.
    Returns None for fewer than two values on either side or a zero baseline mean.

    Examples
    --------
    >>> round(unpaired_half_width_pct([10.0, 12.0, 11.0], [10.3, 12.4, 11.3]), 1)
    21.4
    """
    if len(baseline) < 2 or len(layout) < 2:
        return None
    mean_a, mean_b = _mean(baseline), _mean(layout)
    if mean_a == 0:
        return None
    ratio = mean_b / mean_a
    part_a = ratio**2 * _variance(baseline) / (len(baseline) * mean_a**2)
    part_b = _variance(layout) / (len(layout) * mean_a**2)
    total = part_a + part_b
    if total <= 1e-30:
        return 0.0
    degrees = total**2 / (part_a**2 / (len(baseline) - 1) + part_b**2 / (len(layout) - 1))
    return 100.0 * _t975(degrees) * math.sqrt(total)


def paired_half_width(baseline: Sequence[float], layout: Sequence[float]) -> float | None:
    """95% half-width of ``mean(layout) - mean(baseline)`` (paired), in the values' unit.

    Student t with ``n - 1`` degrees of freedom on the differences ``b_i - a_i`` (Law,
    *Simulation Modeling and Analysis*, 5th ed., section 10.2.1). Returns None for fewer
    than two pairs.

    Examples
    --------
    >>> round(paired_half_width([0.0, 0.0, 0.0], [0.01, 0.03, 0.02]), 4)
    0.0248
    """
    count = len(baseline)
    if count != len(layout) or count < 2:
        return None
    spread = _variance([b - a for a, b in zip(baseline, layout, strict=True)])
    if spread <= 1e-30:
        return 0.0
    return _t975(count - 1) * math.sqrt(spread / count)


def unpaired_half_width(baseline: Sequence[float], layout: Sequence[float]) -> float | None:
    """95% half-width of ``mean(layout) - mean(baseline)`` (independent), in the values' unit.

    Welch's interval with Welch-Satterthwaite degrees of freedom (Law, section 10.2.2).
    Returns None for fewer than two values on either side.

    Examples
    --------
    >>> round(unpaired_half_width([0.0, 0.0, 0.0], [0.01, 0.03, 0.02]), 4)
    0.0248
    """
    if len(baseline) < 2 or len(layout) < 2:
        return None
    part_a = _variance(baseline) / len(baseline)
    part_b = _variance(layout) / len(layout)
    total = part_a + part_b
    if total <= 1e-30:
        return 0.0
    degrees = total**2 / (part_a**2 / (len(baseline) - 1) + part_b**2 / (len(layout) - 1))
    return _t975(degrees) * math.sqrt(total)
