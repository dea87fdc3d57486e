"""The metrics a comparison shows: from a report (point estimates) and from one replication.

Both give ``section -> name -> metric -> value`` for the sections ``requests`` (per request
class), ``components`` and ``subscribers``; a replication's values are what paired differences
are taken over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from archsim.analysis.stats import percentiles_ms

if TYPE_CHECKING:
    from archsim.engine.run import ReplicationResult
    from archsim.report.build import Report

LATENCY = ("mean", "p50", "p90", "p95", "p99", "max")
SECTIONS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "requests": (("throughput_rps", "higher"), ("error_rate", "lower"),
                 *((f"latency_ms_{k}", "lower") for k in LATENCY)),
    "components": (("utilization", "lower"), ("throughput_rps", None), ("queue_mean", "lower"),
                   ("residence_ms_mean", "lower")),
    "subscribers": (("throughput_rps", "higher"), ("latency_ms_mean", "lower"),
                    ("latency_ms_p99", "lower"), ("backlog_mean", "lower")),
}
"""Metrics compared per section, with the direction that is better (None: neither)."""

Values = dict[str, dict[str, dict[str, float | None]]]


def _pick(entry: Mapping[str, Any], metric: str) -> float | None:
    if metric.startswith("latency_ms_"):
        return (entry.get("latency_ms") or {}).get(metric.removeprefix("latency_ms_"))
    return entry.get(metric)


def report_values(report: Report) -> Values:
    """The point estimates a comparison shows, from a report: section -> name -> metric."""
    data = {"requests": report.requests, "components": report.components,
            "subscribers": report.subscribers}
    return {section: {name: {m: _pick(entry, m) for m, _ in SECTIONS[section]}
                      for name, entry in data[section].items()} for section in SECTIONS}


def replication_values(result: ReplicationResult) -> Values:
    """One replication's values of the compared metrics: section -> name -> metric."""
    duration = result.duration_s
    requests = {}
    for c in result.classes:
        finished = c.completed + c.failed
        entry = {"throughput_rps": c.completed / duration,
                 "error_rate": c.failed / finished if finished else 0.0}
        entry.update(_latency(c.latencies_s, LATENCY))
        requests[c.name] = entry
    components = {}
    for s in result.components:
        pooled = s.workers is not None
        components[s.name] = {
            "utilization": s.busy_area / (s.workers * duration) if pooled else None,  # type: ignore[operator]
            "throughput_rps": s.completed / duration,
            "queue_mean": s.wait_area / duration if pooled else None,
            "residence_ms_mean": s.residence_mean_s * 1000 if pooled else None}
    subscribers = {}
    for b in result.subscribers:
        entry = {"throughput_rps": b.completed / duration,
                 "backlog_mean": b.backlog_area / duration}
        entry.update(_latency(b.latencies_s, ("mean", "p99")))
        subscribers[b.key] = entry
    return {"requests": requests, "components": components, "subscribers": subscribers}


def _latency(samples: Any, keys: Sequence[str]) -> dict[str, float | None]:
    array = np.frombuffer(samples, dtype=float)
    stats = percentiles_ms(array) if array.size else {}
    return {f"latency_ms_{k}": stats.get(k) for k in keys}
