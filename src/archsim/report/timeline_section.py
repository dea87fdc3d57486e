"""The report's ``timeline`` section: replications' per-interval series combined.

Combination (documented in docs/topology.md): counts (``arrived``, ``completed``, ``errors``)
are summed over replications, so the bins after the warm-up add up to the report's
``completed`` and ``failed``; rates (``offered_rps``, ``throughput_rps``, ``error_rps``) are
those sums per second per replication (the mean over replications); latency percentiles come
from the merged samples of the bin; utilization, waiting-room length, replicas and backlog
are means over replications; call ``attempts`` (retries included) are summed like the
counts. Breaker states are those of the first replication at each
bin's end, with ``open_share`` the fraction of replications whose breaker is open then.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from archsim.engine.run import ReplicationResult
    from archsim.engine.timeline import Timeline


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _percentile_ms(samples: list[Any], q: float) -> float | None:
    if not samples:
        return None
    merged = np.concatenate([np.frombuffer(a, dtype=float) for a in samples])
    if merged.size == 0:
        return None
    return _r(float(np.percentile(merged, q)) * 1000, 3)


def timeline_section(results: list[ReplicationResult]) -> dict[str, Any] | None:
    """The combined ``timeline`` of ``results`` (None when none was recorded)."""
    lines: list[Timeline] = [r.timeline for r in results if r.timeline is not None]
    if not lines:
        return None
    first = lines[0]
    n = len(lines)
    edges = first.edges_s
    widths = [b - a for a, b in pairwise(edges)]
    bins = range(len(widths))
    out: dict[str, Any] = {
        "interval_s": _r(first.interval_s, 6),
        "combined": "counts summed over replications; rates, utilization, queue, replicas "
                    "and backlog are means over replications; percentiles of merged samples",
        "t_s": [_r(e, 6) for e in edges[:-1]],
        "dt_s": [_r(w, 6) for w in widths],
        "warmup_bins": first.warmup_bins,
        "requests": {},
        "components": {},
    }
    for name in first.classes:
        series = [t.classes[name] for t in lines]
        arrived = [sum(s.arrived[i] for s in series) for i in bins]
        completed = [sum(s.completed[i] for s in series) for i in bins]
        failed = [sum(s.failed[i] for s in series) for i in bins]
        out["requests"][name] = {
            "arrived": arrived, "completed": completed, "errors": failed,
            "offered_rps": [_r(arrived[i] / (n * widths[i])) for i in bins],
            "throughput_rps": [_r(completed[i] / (n * widths[i])) for i in bins],
            "error_rps": [_r(failed[i] / (n * widths[i])) for i in bins],
            "p50_ms": [_percentile_ms([s.latencies_s[i] for s in series], 50) for i in bins],
            "p99_ms": [_percentile_ms([s.latencies_s[i] for s in series], 99) for i in bins],
        }
    for name in first.components:
        parts = [t.components[name] for t in lines]
        out["components"][name] = {
            "utilization": [_r(np.mean([p.busy[i] / p.capacity[i] if p.capacity[i] else 0.0
                                        for p in parts])) for i in bins],
            "queue_mean": [_r(np.mean([p.wait[i] / widths[i] for p in parts])) for i in bins],
            "replicas": [_r(np.mean([p.replicas[i] for p in parts]), 3) for i in bins],
        }
    if first.backlog:
        out["subscribers"] = {key: {"backlog": [_r(np.mean([t.backlog[key][i] for t in lines]),
                                                   3) for i in bins]}
                              for key in first.backlog}
    if first.attempts:
        out["calls"] = {}
        for name in first.attempts:
            attempts = [sum(t.attempts[name][i] for t in lines) for i in bins]
            out["calls"][name] = {"attempts": attempts,
                                  "attempts_rps": [_r(attempts[i] / (n * widths[i]))
                                                   for i in bins]}
    if first.breakers:
        out["breakers"] = {name: {
            "state": first.breakers[name],
            "open_share": [_r(np.mean([t.breakers[name][i] == "open" for t in lines]), 3)
                           for i in bins]} for name in first.breakers}
    return out


def autoscale_entry(per_rep: list[Any], duration_s: float) -> dict[str, Any]:
    """Extra component fields of an autoscaled service (means over replications)."""
    return {
        "replicas_mean": _r(float(np.mean([c.replica_area / duration_s for c in per_rep])), 3),
        "replicas_min": min(c.replicas_range[0] for c in per_rep),
        "replicas_max": max(c.replicas_range[1] for c in per_rep),
    }


def dynamics_note(topology: Any) -> str | None:
    """A warning for a run without a steady state (time-varying load or autoscaling)."""
    from archsim.spec.rates import is_varying

    varying = [w.name for w in topology.workload if w.trace is not None or is_varying(w.rate)]
    scaled = [n for n, c in topology.components.items() if getattr(c, "autoscale", None)]
    if not varying and not scaled:
        return None
    what = ", ".join([*(f"time-varying load '{n}'" for n in varying),
                      *(f"autoscaled '{n}'" for n in scaled)])
    return (f"{what}: no steady state, so the analytic estimates are skipped; capacity "
            "warnings use the peak rate and the initial replicas; see the timeline "
            "(--timeline 1s)")
