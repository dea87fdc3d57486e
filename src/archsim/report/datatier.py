"""Data-tier figures of a component in the report: cache hits, read replicas, replication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from archsim.analysis.stats import mean_ci95

if TYPE_CHECKING:
    from archsim.model.service import ComponentStats


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def datatier_figures(per_rep: list[ComponentStats], duration_s: float) -> dict[str, Any]:
    """Extra report fields of a cache or a database with read replicas (empty otherwise)."""
    first = per_rep[0]
    if hasattr(first, "hits") and first.miss_targets is not None and (  # type: ignore[attr-defined]
            sum(c.hits + c.misses for c in per_rep)):  # type: ignore[attr-defined]
        return _cache(per_rep, duration_s)
    if getattr(first, "read_replicas", 0):
        return _database(per_rep, duration_s)
    return {}


def _cache(per_rep: list[Any], duration_s: float) -> dict[str, Any]:
    hits = sum(c.hits for c in per_rep)
    lookups = hits + sum(c.misses for c in per_rep)
    ratios = [c.hits / (c.hits + c.misses) for c in per_rep if c.hits + c.misses]
    interval = mean_ci95(ratios)
    hits_rps = hits / duration_s / len(per_rep)
    return {
        "hit_ratio": _r(hits / lookups, 6),
        "ci95_hit_ratio": None if interval is None else [_r(max(0.0, interval[0]), 6),
                                                         _r(min(1.0, interval[1]), 6)],
        "hits_rps": _r(hits_rps),
        "misses_rps": _r((lookups - hits) / duration_s / len(per_rep)),
        "load_removed_rps": {target: _r(hits_rps * calls)
                             for target, calls in per_rep[0].miss_targets},
    }


def _database(per_rep: list[Any], duration_s: float) -> dict[str, Any]:
    first = per_rep[0]
    capacity = first.workers_per_station * duration_s
    names = ["primary", *(f"replica-{i + 1}" for i in range(first.read_replicas))]
    by_station = np.mean([[busy / capacity for busy in c.station_busy] for c in per_rep], axis=0)
    lags = np.concatenate([np.frombuffer(c.lags_s, dtype=float) for c in per_rep])
    reads = sum(c.reads for c in per_rep)
    return {
        "read_replicas": first.read_replicas,
        "utilization_by_replica": {n: _r(u) for n, u in zip(names, by_station, strict=True)},
        "reads_rps": _r(reads / duration_s / len(per_rep)),
        "writes_rps": _r(sum(c.writes for c in per_rep) / duration_s / len(per_rep)),
        "replication_lag_ms": {
            "mean": _r(float(np.mean(lags)) * 1000) if len(lags) else None,
            "p99": _r(float(np.percentile(lags, 99)) * 1000) if len(lags) else None,
        },
        "stale_read_fraction": _r(sum(c.stale_reads for c in per_rep) / reads, 6)
        if reads else 0.0,
    }
