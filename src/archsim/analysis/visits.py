"""Visit ratios and offered load per component from the call graph (operational laws).

The visit ratio V_k of component k for a request class is the mean number of times one
request of that class visits k (calls taken with probability p count p). The offered load in
workers is the sum over classes of arrival rate x V_k x mean work per visit (the service
demand law, Lazowska et al., *Quantitative System Performance*, 1984, ch. 3). For a blocking
service this counts only its own work, so it is a lower bound on busy workers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.spec.components import SERVICE_KINDS
from archsim.spec.steps import CallStep, ParallelStep, WorkStep

if TYPE_CHECKING:
    from archsim.spec.schema import Topology


@dataclass(frozen=True, slots=True)
class Visit:
    """Mean visits and mean work per request of one class at one component endpoint."""

    visits: float
    work_s: float


def endpoint_visits(topology: Topology, component: str, endpoint: str,
                    factor: float = 1.0) -> dict[tuple[str, str], Visit]:
    """Visits to every (component, endpoint) made by one request to ``component/endpoint``.

    ``work_s`` is the mean work of one visit (the endpoint's ``work`` plus its work steps).
    """
    out: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    _walk(topology, component, endpoint, factor, out, depth=0)
    return {key: Visit(v, w) for key, (v, w) in out.items()}


def _walk(topology: Topology, component: str, endpoint: str, factor: float,
          out: dict[tuple[str, str], list[float]], depth: int) -> None:
    if depth > 64:
        return
    spec: Any = topology.components[component]
    if spec.type == "load_balancer":
        _walk(topology, spec.target, endpoint, factor, out, depth + 1)
        return
    if spec.type not in SERVICE_KINDS:
        return
    ep = spec.endpoints[endpoint]
    work = ep.work.mean_s + sum(s.work.mean_s for s in ep.calls if isinstance(s, WorkStep))
    entry = out[(component, endpoint)]
    entry[0] += factor
    entry[1] = work
    _walk_steps(topology, ep.calls, factor, out, depth)
    if spec.type == "cache" and spec.has_misses and not ep.write:
        _walk_steps(topology, spec.miss, factor * (1.0 - expected_hit_ratio(spec)), out, depth)


def _walk_steps(topology: Topology, steps: tuple[Any, ...], factor: float,
                out: dict[tuple[str, str], list[float]], depth: int) -> None:
    for step in steps:
        if isinstance(step, CallStep):
            _walk(topology, step.component, step.endpoint, factor * step.p, out, depth + 1)
        elif isinstance(step, ParallelStep):
            _walk_steps(topology, step.parallel, factor, out, depth)


def offered_load(topology: Topology, rate_scale: float = 1.0) -> dict[str, float]:
    """Offered load in busy workers per service component, from the open workloads.

    Closed workloads are left out (their throughput is an outcome, not an input).
    """
    load: dict[str, float] = defaultdict(float)
    for workload in topology.workload:
        if not workload.is_open:
            continue
        rate = workload.rate_per_s * rate_scale
        for (component, _), visit in endpoint_visits(
                topology, workload.component, workload.endpoint).items():
            load[component] += rate * visit.visits * visit.work_s
    return dict(load)


def capacity_workers(topology: Topology) -> dict[str, int]:
    """Workers across all replicas (read replicas included) of each service component."""
    return {name: (spec.replicas + getattr(spec, "read_replicas", 0)) * spec.workers
            for name, spec in topology.components.items() if spec.type in SERVICE_KINDS}


def expected_hit_ratio(spec: Any) -> float:
    """A cache's hit ratio: ``hit_ratio``, the Che approximation for ``keys``, or 1."""
    if spec.hit_ratio is not None:
        return float(spec.hit_ratio)
    if spec.keys is not None:
        from archsim.analysis.cache import che_hit_ratio

        return che_hit_ratio(spec.keys.count, spec.keys.skew, spec.keys.capacity)
    return 1.0


def miss_call_targets(spec: Any) -> list[tuple[str, float]]:
    """Calls one cache miss makes: (component, mean calls per miss), in first-call order."""
    counts: dict[str, float] = {}

    def walk(steps: tuple[Any, ...]) -> None:
        for step in steps:
            if isinstance(step, CallStep):
                counts[step.component] = counts.get(step.component, 0.0) + step.p
            elif isinstance(step, ParallelStep):
                walk(step.parallel)

    walk(spec.miss)
    return list(counts.items())
