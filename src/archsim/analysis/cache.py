"""Hit ratio of an LRU cache under independent Zipf requests: the Che approximation.

Che, Tung and Wang ("Hierarchical Web caching systems: modeling, design and experimental
results", IEEE JSAC 20(7), 2002) give an LRU of C entries a *characteristic time* T_C, the
solution of sum_k (1 - exp(-q_k T_C)) = C, and key k the hit probability 1 - exp(-q_k T_C)
under the independent reference model with popularities q_k. Fricker, Robert and Roberts ("A
versatile and accurate approximation for LRU cache performance", ITC 24, 2012) explain why it
is accurate (exact as the key count grows, within about 1% for Zipf popularities with a few
hundred keys and more).
"""

from __future__ import annotations

import math

import numpy as np


def zipf_popularity(count: int, skew: float) -> np.ndarray:
    """Request probabilities of keys 1..count: proportional to 1 / k^skew (0 is uniform)."""
    if count < 1:
        raise ValueError(f"The 'count' parameter must be >= 1. Got {count!r} instead.")
    if skew < 0 or not math.isfinite(skew):
        raise ValueError(f"The 'skew' parameter must be >= 0. Got {skew!r} instead.")
    weights = np.arange(1, count + 1, dtype=float) ** -skew
    return weights / weights.sum()  # type: ignore[no-any-return]


def che_characteristic_time(popularity: np.ndarray, capacity: int) -> float:
    """T_C with sum_k (1 - exp(-q_k T_C)) = capacity, in units of requests (bisection)."""
    count = len(popularity)
    if not 1 <= capacity < count:
        raise ValueError(f"The 'capacity' parameter must be in [1, {count - 1}]. "
                         f"Got {capacity!r} instead.")
    low, high = 0.0, 1.0
    while np.sum(-np.expm1(-popularity * high)) < capacity:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2
        if np.sum(-np.expm1(-popularity * middle)) < capacity:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * high:
            break
    return (low + high) / 2


def che_hit_ratio(count: int, skew: float, capacity: int) -> float:
    """LRU hit ratio of ``capacity`` entries over ``count`` Zipf(``skew``) keys (Che).

    Examples
    --------
    >>> round(che_hit_ratio(1000, 0.0, 100), 6)  # uniform keys: capacity / count
    0.1
    >>> che_hit_ratio(10, 1.0, 10)
    1.0
    """
    if capacity >= count:
        return 1.0
    popularity = zipf_popularity(count, skew)
    t_c = che_characteristic_time(popularity, capacity)
    return float(np.sum(popularity * -np.expm1(-popularity * t_c)))
