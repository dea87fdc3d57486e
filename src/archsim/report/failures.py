"""Failure-handling figures of a report: wasted work, breakers, rate limits, retries, discovery.

Added to a component's entry (``wasted_work_s``, ``abandoned``, ``dropped``, ``down_errors``,
``fault_errors``, ``rate_limited``, ``breaker``) and as sections ``calls`` (retry
amplification per call edge) and ``discovery`` (lookups, cache hits, failures per caller).
Counts are totals over replications; seconds and rates are means per replication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.engine.run import ReplicationResult
    from archsim.spec.schema import Topology

AMPLIFICATION_NOTE = 1.05


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def failure_sections(topology: Topology, results: list[ReplicationResult],
                     components: dict[str, dict[str, Any]],
                     rate_scale: float) -> tuple[dict[str, Any], list[str]]:
    """Add the per-component figures to ``components``; return the extra sections and
    warnings."""
    window = fault_window_warnings(topology, results[0].warmup_s, results[0].duration_s)
    stats = [r.failures for r in results if getattr(r, "failures", None) is not None]
    if not stats:
        return {}, window
    count = len(results)
    duration = results[0].duration_s
    for name in stats[0].services:
        rows = [s.services[name] for s in stats]
        entry = components.get(name)
        if entry is None:
            continue
        entry["wasted_work_s"] = _r(sum(r["wasted_work_s"] for r in rows) / count)
        entry["abandoned"] = sum(r["abandoned"] for r in rows)
        entry["dropped"] = sum(r["dropped"] for r in rows)
        entry["down_errors"] = sum(r["down_refused"] + r["down_lost"] for r in rows)
        entry["fault_errors"] = sum(r["fault_errors"] for r in rows)
    for name in stats[0].rate_limited:
        entry = components.get(name)
        if entry is not None:
            entry["rate_limited"] = sum(s.rate_limited[name]["rejected"] for s in stats)
    for name in stats[0].breakers:
        rows = [s.breakers[name] for s in stats]
        callee = name.split(" -> ", 1)[1].split("/", 1)[0]
        breaker = {
            "caller": name.split(" -> ", 1)[0], "trips": sum(r["trips"] for r in rows),
            "refused": sum(r["refused"] for r in rows),
            "open_s": _r(sum(r["open_s"] for r in rows) / count),
            "state_changes": sum(len(r["transitions"]) for r in rows),
            "transitions": [[_r(t, 3), state] for t, state in rows[0]["transitions"][:20]],
        }
        entry = components.get(callee)
        if entry is not None:
            entry.setdefault("breakers", {})[name] = breaker
    sections: dict[str, Any] = {}
    calls: dict[str, Any] = {}
    for name in stats[0].calls:
        rows = [s.calls[name] for s in stats]
        total = {k: sum(r[k] for r in rows) for k in ("calls", "attempts", "failed", "timeouts",
                                                      "short_circuited", "budget_denied",
                                                      "deadline_stopped")}
        total["amplification"] = _r(total["attempts"] / total["calls"] if total["calls"] else 0)
        total["attempts_rps"] = _r(total["attempts"] / count / duration)
        total["error_rate"] = _r(total["failed"] / total["calls"] if total["calls"] else 0, 6)
        calls[name] = {"caller": rows[0]["caller"], "to": rows[0]["to"], **total}
    if calls:
        sections["calls"] = calls
    discovery: dict[str, Any] = {}
    for name in stats[0].discovery:
        rows = [s.discovery[name] for s in stats]
        lookups = sum(r["lookups"] for r in rows)
        hits = sum(r["hits"] for r in rows)
        firsts = [r["first_failure_s"] for r in rows if r["first_failure_s"] is not None]
        discovery[name] = {"registry": rows[0]["registry"], "lookups": lookups, "hits": hits,
                           "hit_ratio": _r(hits / (hits + lookups) if hits + lookups else 0),
                           "failures": sum(r["failures"] for r in rows),
                           "first_failure_s": _r(min(firsts), 3) if firsts else None}
    if discovery:
        sections["discovery"] = discovery
    return sections, window + _warnings(topology, calls, rate_scale)


def _warnings(topology: Topology, calls: dict[str, Any], rate_scale: float) -> list[str]:
    """Say when retries push a component's offered load past its capacity."""
    from archsim.analysis.visits import capacity_workers, offered_load

    offered = offered_load(topology, rate_scale)
    capacity = capacity_workers(topology)
    sent: dict[str, list[int]] = {}
    for edge in calls.values():
        callee = edge["to"].split("/", 1)[0]
        spec: Any = topology.components.get(callee)
        if spec is not None and spec.type == "load_balancer":
            callee = spec.target
        row = sent.setdefault(callee, [0, 0])
        row[0] += edge["calls"]
        row[1] += edge["attempts"]
    warnings = []
    for callee, (made, attempts) in sent.items():
        if not made or callee not in capacity:
            continue
        factor = attempts / made
        base = offered.get(callee, 0.0)
        if factor > AMPLIFICATION_NOTE and base < capacity[callee] <= base * factor:
            warnings.append(
                f"{callee}: retries multiply its calls by {factor:.2f}, pushing its offered "
                f"load from {base:.2f} to about {base * factor:.2f} busy workers, past its "
                f"capacity {capacity[callee]} (a retry storm; consider a retry budget or a "
                "circuit breaker)")
    return warnings


def fault_window_warnings(topology: Topology, warmup_s: float, duration_s: float) -> list[str]:
    """Warnings for faults whose window is not (wholly) inside the measured window.

    A fault is a scheduled event, not start-up bias: one that ends in the warm-up or starts
    after the run has no effect on the report, one that straddles an edge only partly.
    """
    def show(seconds: float) -> str:
        return f"{seconds:.6g} s"

    end = warmup_s + duration_s
    out = []
    for fault in topology.faults:
        start, stop = fault.at, fault.at + fault.for_
        where = f"fault on '{fault.component}' ({show(start)} to {show(stop)})"
        if start >= end:
            out.append(f"{where} starts after the run ends ({show(end)}): it never happens")
        elif stop <= warmup_s:
            out.append(f"{where} ends within the warm-up ({show(warmup_s)}): nothing of it is "
                       "measured; shorten the warm-up or move the fault")
        elif start < warmup_s or stop > end:
            seen = min(stop, end) - max(start, warmup_s)
            out.append(f"{where} is only partly in the measured window ({show(warmup_s)} to "
                       f"{show(end)}): {show(seen)} of it is measured")
    return out
