"""When is a simulated run saturated? The one definition shared by ``sweep`` and ``capacity``.

A run at some load is *saturated* when any of these holds:

1. it stopped because more than ``max_in_flight`` requests were in flight (a ModelError);
2. the open workloads complete fewer than ``SERVED_SHARE`` (95%) of the requests that arrived
   in the measured window (throughput below 95% of the offered rate, counting the arrivals
   that really happened): the rest failed or are still waiting, so requests are lost or pile
   up. The measured duration must be many times the latency for this to mean anything;
3. queueing theory says a service component is offered at least as much work as it has
   workers, or a consumer group at least as many messages as its consumers handle: the
   utilization ``archsim analyze`` gives (:func:`analytic_utilization`), where a blocking
   service's worker is held for its own work *and* the responses of its downstream calls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.spec.schema import Topology

SERVED_SHARE = 0.95
"""A run that completes less than this share of its arrivals is saturated."""
UTILIZATION_TARGET = 0.7
"""'What to scale next' sizes a component to bring its utilization under this."""
UTILIZATION_EPSILON = 1e-9
"""Analytic utilization counts as 1 from 1 - epsilon on (rate scales are decimal steps)."""


def analytic_utilization(topology: Topology, rate_scale: float = 1.0) -> dict[str, float]:
    """Utilization queueing theory predicts at ``rate_scale``, as ``archsim analyze`` does.

    One figure per service component and per consumer group (``topic/subscriber``), taken
    from :func:`archsim.analysis.analyze.analyze` so that ``sweep``, ``capacity`` and
    ``analyze`` agree: for a service, the offered load over its workers by the utilization
    law U = X S / c (Lazowska et al., *Quantitative System Performance*, 1984, ch. 3) with
    S the mean *holding time* of a worker. With ``io: blocking`` that is the endpoint's own
    work plus the response times of its downstream calls, built bottom-up from the callees
    (:meth:`archsim.analysis.analytic.network.Solver.holding`); it is ``inf`` when a callee
    is unstable (its response, and so the caller's holding time, is unbounded). For a
    consumer group, the utilization of its busiest consumer. Closed workloads count at the
    throughput analyze solves for them. Empty when the topology has no steady state to
    estimate (analyze raises ModelError: messages that multiply without bound).
    """
    from archsim.analysis.analyze import analyze
    from archsim.errors import ModelError

    try:
        analysis = analyze(topology, rate_scale)
    except ModelError:
        return {}
    out = {name: component.offered_utilization
           for name, component in analysis.components.items()
           if component.offered_utilization is not None}
    out.update({key: subscriber.utilization_max for key, subscriber in
                analysis.subscribers.items() if subscriber.utilization_max is not None})
    return out


def analytic_saturation_scale(topology: Topology) -> float | None:
    """The rate scale at which the first service or consumer group reaches utilization 1.

    The saturation point of ``archsim analyze`` (:mod:`archsim.analysis.analytic.saturation`:
    exact by the utilization law when no holding time depends on the load, else found by
    Brent's method on the busiest utilization). None when no open workload puts work on a
    station (nothing to saturate analytically).
    """
    from archsim.analysis.analyze import analyze
    from archsim.errors import ModelError

    try:
        found = analyze(topology).saturation
    except ModelError:
        return None
    if found is None or not math.isfinite(found.rate_scale) or found.rate_scale <= 0:
        return None
    return found.rate_scale


def saturation_reasons(topology: Topology, rate_scale: float,
                       report: dict[str, Any] | None, error: str | None = None) -> list[str]:
    """Why the run of ``topology`` at ``rate_scale`` is saturated (empty list when it is not).

    Parameters
    ----------
    report:
        The run's JSON report (``Report.to_dict()``), or None when the run stopped.
    error:
        The message of the ModelError that stopped the run, if it did.
    """
    reasons = []
    if error is not None:
        reasons.append("unstable: stopped past the in-flight bound")
    share = served_share(report) if report is not None else None
    if share is not None and share < SERVED_SHARE:
        reasons.append(f"only {share:.0%} of requests served")
    for name, utilization in sorted(analytic_utilization(topology, rate_scale).items()):
        if utilization >= 1 - UTILIZATION_EPSILON:
            reasons.append(f"{name}: utilization {utilization:.3g} in theory")
    return reasons


INJECTED_ERRORS = ("down", "fault", "discovery")
"""Error causes of injected faults (a failed component, an error rate, a registry outage):
they say nothing about load, so they do not make a point saturated."""


def served_share(report: dict[str, Any]) -> float | None:
    """Completed over arrived for the open request classes, in the measured window.

    Arrived is counted as completed + failed + still in flight at the end, so the share
    compares throughput with the arrivals that really happened rather than the nominal rate,
    which Poisson noise misses by several per cent in a short run. Requests failed by an
    injected fault (:data:`INJECTED_ERRORS`) are left out of both: a service 2% busy behind a
    balancer that is down is failing, not saturated. None without open requests.
    """
    completed = arrived = 0
    for entry in report["requests"].values():
        if entry.get("offered_rps") is None:
            continue
        injected = sum(entry.get("errors", {}).get(cause, 0) for cause in INJECTED_ERRORS)
        completed += entry["completed"]
        arrived += entry["completed"] + entry["failed"] - injected + entry["in_flight_end"]
    return completed / arrived if arrived else None


def offered_and_throughput(report: dict[str, Any]) -> tuple[float, float]:
    """Total offered rate and throughput of the open request classes, per second."""
    offered = served = 0.0
    for entry in report["requests"].values():
        if entry.get("offered_rps") is None:
            continue
        offered += entry["offered_rps"]
        served += entry["throughput_rps"] or 0.0
    return offered, served


def replicas_for(utilization: float, replicas: int, target: float) -> int:
    """Replicas that bring ``utilization`` (measured with ``replicas``) under ``target``.

    Assumes the load spreads evenly, so utilization scales as 1 / replicas.
    """
    if utilization <= 0:
        return replicas
    needed = math.floor(utilization * replicas / target) + 1
    return max(replicas, needed)


def next_steps(report: dict[str, Any] | None,
               target: float = UTILIZATION_TARGET) -> list[dict[str, Any]]:
    """The two most utilized components at the capacity point and how to relieve them.

    For each: the replicas that bring its utilization under ``target`` at this load (at least
    one more for the busiest, which is what to scale first), and ``reaches_target_at``, the
    rate scale at which it reaches ``target`` as it is (utilization grows with the load).
    """
    if report is None:
        return []
    scale = report["simulation"]["rate_scale"]
    ranked = sorted(((entry["utilization"], name) for name, entry in
                     report["components"].items() if entry.get("utilization")), reverse=True)
    steps = []
    for rank, (utilization, name) in enumerate(ranked[:2]):
        replicas = report["components"][name]["replicas"]
        needed = replicas_for(utilization, replicas, target)
        if rank == 0:
            needed = max(needed, replicas + 1)
        steps.append({"component": name, "utilization": utilization, "replicas": replicas,
                      "replicas_needed": needed,
                      "utilization_after": round(utilization * replicas / needed, 4),
                      "target_utilization": target,
                      "reaches_target_at": round(scale * target / utilization, 4)})
    return steps
