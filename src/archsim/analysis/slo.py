"""Service-level objectives: the file's ``slos`` tested against a run's request results.

Each objective becomes one row of the report's ``slos`` list (SPEC section 3)::

    {"request": "checkout", "metric": "p99", "target_ms": 300.0, "value_ms": 180.2, "met": true}

Latency metrics (``mean``, ``p50``, ``p90``, ``p95``, ``p99``, ``max``) carry ``target_ms`` and
``value_ms`` and are met when the value is at most the target; ``error_rate`` carries
``target`` and ``value`` (fractions) and is met at most the target; ``throughput`` carries
``target_rps`` and ``value_rps`` and is met when the value is at least the target. An objective
on ``"*"`` gives one row per request class, each marked ``"selector": "*"``. A class that
completed no request has no latency (``value_ms`` is null) and misses its latency objectives.

Values are the run's point estimates (latency percentiles from the merged samples of all
replications), the same numbers the report shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.spec.schema import Topology


def evaluate_slos(topology: Topology,
                  requests: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Test every objective of ``topology.slos`` against a report's ``requests`` section.

    Parameters
    ----------
    topology:
        The topology whose ``slos`` are tested (targets in seconds, fractions, per second).
    requests:
        The report's ``requests`` section: per class ``latency_ms``, ``error_rate`` and
        ``throughput_rps``.

    Returns
    -------
    list of dict
        One row per (request class, metric), in the file's order; see the module docstring.

    Examples
    --------
    >>> from archsim.spec.loader import load
    >>> topo = load("archsim: 1\\nname: t\\nworkload: [{name: a, to: s/e, rate: 10}]\\n"
    ...             "components: {s: {type: service, endpoints: {e: {work: 10ms}}}}\\n"
    ...             "slos: [{request: a, p99: 20ms}]")
    >>> evaluate_slos(topo, {"a": {"latency_ms": {"p99": 12.5}}})
    [{'request': 'a', 'metric': 'p99', 'target_ms': 20.0, 'value_ms': 12.5, 'met': True}]
    """
    rows: list[dict[str, Any]] = []
    for slo in topology.slos:
        names = list(requests) if slo.request == "*" else [slo.request]
        for name in names:
            entry = requests.get(name, {})
            for metric, target in slo.objectives().items():
                row = _row(name, metric, float(target), entry)
                if slo.request == "*":
                    row["selector"] = "*"
                rows.append(row)
    return rows


def _row(name: str, metric: str, target: float, entry: Mapping[str, Any]) -> dict[str, Any]:
    if metric == "error_rate":
        value = entry.get("error_rate")
        return {"request": name, "metric": metric, "target": round(target, 6), "value": value,
                "met": value is not None and value <= target}
    if metric == "throughput":
        value = entry.get("throughput_rps")
        return {"request": name, "metric": metric, "target_rps": round(target, 6),
                "value_rps": value, "met": value is not None and value >= target}
    target_ms = round(target * 1000, 6)
    value = (entry.get("latency_ms") or {}).get(metric)
    return {"request": name, "metric": metric, "target_ms": target_ms, "value_ms": value,
            "met": value is not None and value <= target_ms}


def all_met(rows: list[dict[str, Any]]) -> bool:
    """Whether every objective row is met (True for no rows)."""
    return all(row["met"] for row in rows)


def describe(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(objective, target, value)`` as short text: ``("p99 <=", "300 ms", "180.2 ms")``."""
    metric = row["metric"]
    if metric == "error_rate":
        value = "-" if row["value"] is None else f"{row['value']:.3%}"
        return "error_rate <=", f"{row['target']:.3%}", value
    if metric == "throughput":
        value = "-" if row["value_rps"] is None else f"{row['value_rps']:,.2f}/s"
        return "throughput >=", f"{row['target_rps']:,.2f}/s", value
    value = "-" if row["value_ms"] is None else f"{row['value_ms']:,.2f} ms"
    return f"{metric} <=", f"{row['target_ms']:g} ms", value
