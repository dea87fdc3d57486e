"""The ``subscribers`` section: end-to-end latency, backlog, lag per partition, consumers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from archsim.analysis.stats import mean_ci95, percentiles_ms

if TYPE_CHECKING:
    from archsim.engine.run import ReplicationResult

GROWTH_SHARE = 0.01


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def backlog_growth_per_s(samples: tuple[int, ...], duration_s: float) -> float:
    """Least-squares slope of the backlog samples (equally spaced over the window), msg/s."""
    if len(samples) < 3:
        return 0.0
    times = np.linspace(0.0, duration_s, len(samples))
    return float(np.polyfit(times, np.asarray(samples, dtype=float), 1)[0])


def subscriber_section(results: list[ReplicationResult], duration: float
                       ) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray], list[str]]:
    """Combine subscriber results of all replications (seed order).

    Returns the section (keyed ``topic/group`` or ``queue/component``), the merged end-to-end
    latency samples per key, and warnings (idle consumers, growing backlog).
    """
    out: dict[str, dict[str, Any]] = {}
    samples: dict[str, np.ndarray] = {}
    warnings: list[str] = []
    for index, first in enumerate(results[0].subscribers):
        reps = [r.subscribers[index] for r in results]
        merged = np.concatenate([np.frombuffer(s.latencies_s, dtype=float) for s in reps])
        samples[first.key] = merged
        throughput = [s.completed / duration for s in reps]
        growth = [backlog_growth_per_s(s.backlog_samples, duration) for s in reps]
        partitions = np.mean([np.asarray(s.partition_backlog_area) / duration for s in reps],
                             axis=0)
        hottest = int(np.argmax(partitions))
        entry = {
            "throughput_rps": _r(float(np.mean(throughput))),
            "latency_ms": {k: _r(v) for k, v in percentiles_ms(merged).items()},
            "backlog_mean": _r(float(np.mean([s.backlog_area / duration for s in reps]))),
            "backlog_max": max(s.backlog_max for s in reps),
            "backlog_final": _r(float(np.mean([s.backlog_final for s in reps]))),
            "backlog_growth_per_s": _r(float(np.mean(growth))),
            "partition_backlog_mean": [_r(float(v)) for v in partitions],
            "hottest_partition": hottest,
            "consumers": first.consumers,
            "active_consumers": first.active_consumers,
            "consumer_utilization": _r(float(np.mean(
                [s.busy_area / (s.active_consumers * duration) for s in reps]))),
            "deliveries": sum(s.deliveries for s in reps),
            "redeliveries": sum(s.redeliveries for s in reps),
            "duplicates": sum(s.duplicates for s in reps),
            "dead_lettered": sum(s.dead_lettered for s in reps),
            "handler_failed": sum(s.handler_failed for s in reps),
            "in_flight_end": sum(s.in_flight_end for s in reps),
            "ci95": {"throughput_rps": _ci(throughput),
                     "backlog_growth_per_s": _ci(growth)},
        }
        out[first.key] = entry
        idle = first.consumers - first.active_consumers
        if idle:
            warnings.append(f"{first.key}: {idle} of {first.consumers} consumers idle (more "
                            "consumers than partitions)")
        interval = mean_ci95(growth)
        mean_growth = float(np.mean(growth))
        threshold = GROWTH_SHARE * max(float(np.mean(throughput)), 1.0)
        if mean_growth > threshold and (interval is None or interval[0] > 0):
            warnings.append(f"{first.key}: backlog grows by {mean_growth:.1f} messages/s "
                            "(consumers slower than producers)")
    return out, samples, warnings


def _ci(values: list[float]) -> list[float] | None:
    interval = mean_ci95(values)
    return None if interval is None else [_r(interval[0]), _r(interval[1])]
