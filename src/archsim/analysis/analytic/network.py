"""Mean response of every endpoint, bottom-up from the callees, for one load point.

A service is a station: ``replicas`` queues of ``workers`` servers each (FCFS). Its waiting
time comes from a *wait model*: the open one (M/M/c, Erlang C, scaled by Allen & Cunneen's
(c_a^2 + c_s^2) / 2 for non-exponential work or smoother arrivals) or mean value analysis for a
closed population (see :mod:`archsim.analysis.analytic.closed`). A visit's response is the wait plus
the holding time: with ``io: blocking`` the worker is held for the endpoint's work *and* its
calls (so the holding time is built bottom-up from the callees' responses); with
``io: nonblocking`` every ``work`` is a separate pass through the station's queue. Network hops
and balancer latency are pure delays (two hops per call: out and back).

Callers and callees depend on each other through the stations' loads, so the solver sweeps
until the waits stop changing; when the components' call graph has no cycle, one sweep is final.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.analysis.analytic.flow import (
    DIRECT,
    endpoint_node,
    sync_order,
    traffic_graph,
    visit_ratios,
)
from archsim.analysis.analytic.moments import ZERO, Moments, aggregate, fork_join, of_dist
from archsim.spec.components import SERVICE_KINDS
from archsim.spec.steps import CallStep, ParallelStep, PublishStep, WorkStep

if TYPE_CHECKING:
    import networkx as nx

    from archsim.spec.schema import Topology

MAX_SWEEPS = 500
SWEEP_TOLERANCE = 1e-13


@dataclass(frozen=True, slots=True)
class StationLoad:
    """How traffic meets one service component at a load point.

    ``rate`` is the pass rate over all replicas (per second); ``queues`` is the number of
    separate waiting lines (``replicas``, or 1 when least connections pools them) with
    ``servers`` workers each; ``ca2`` is the squared coefficient of variation of the arrivals
    at one line; ``policies`` are the replica-picking policies traffic arrives through;
    ``consumer_bound`` is the most requests consumers can have in flight at once when all
    traffic comes from them (else None).
    """

    name: str
    rate: float
    queues: int
    servers: int
    ca2: float
    policies: frozenset[str]
    consumer_bound: int | None


WaitModel = Callable[[StationLoad, Moments], Moments]


class Network:
    """The load-independent structure: traffic graph, visit ratios, callee-first order."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.components: dict[str, Any] = topology.components
        self.graph: nx.DiGraph = traffic_graph(topology)
        entries = {w.name: w.to for w in topology.workload}
        self.visits = visit_ratios(self.graph, entries)
        self.order = sync_order(self.graph)
        self.stations = [name for name, spec in self.components.items()
                         if spec.type in SERVICE_KINDS]
        self.weights: dict[str, float] = {}
        for visits in self.visits.values():
            for node, value in visits.items():
                self.weights[node] = self.weights.get(node, 0.0) + value

    def node_rates(self, class_rates: dict[str, float]) -> dict[str, float]:
        """Visits per second of every node when class k arrives at ``class_rates[k]``."""
        rates: dict[str, float] = {}
        for name, rate in class_rates.items():
            for node, visits in self.visits[name].items():
                rates[node] = rates.get(node, 0.0) + rate * visits
        return rates

    def hop(self, latency: Any | None = None) -> Moments:
        """A network hop out and back (the call's own latency, else the network's)."""
        return of_dist(latency if latency is not None else self.topology.network.latency
                       ).doubled()

    def consumer_bound(self, component: str) -> int:
        """Consumers of every subscriber whose handler is ``component`` (most in flight)."""
        bound = 0
        for spec in self.components.values():
            for sub in getattr(spec, "subscribers", ()):
                if sub.to.split("/", 1)[0] == component:
                    active = sub.consumers
                    if spec.type == "topic":
                        active = min(sub.consumers, spec.partitions)
                    bound += active
        return bound


class Solver:
    """Waits, holding times and responses of every endpoint at one load point.

    Parameters
    ----------
    network
        The structure.
    rates
        Visits per second of each node (from :meth:`Network.node_rates`).
    wait_model
        (station load, service-time moments) -> wait-time moments.
    class_rates
        Arrival rate of each request class (external arrivals at its entry node).
    loads
        The station loads of an earlier solver at the same rates (saves recomputing them).
    """

    def __init__(self, network: Network, rates: dict[str, float], wait_model: WaitModel,
                 class_rates: dict[str, float],
                 loads: dict[str, StationLoad] | None = None) -> None:
        self.net = network
        self.rates = rates
        self.wait_model = wait_model
        self.weights = network.weights
        self.loads = loads if loads is not None else {
            name: self._load(name, class_rates) for name in network.stations}
        self.waits: dict[str, Moments] = {}
        self.service: dict[str, Moments] = {}
        self.responses: dict[str, Moments] = {}
        self._holding: dict[str, Moments] = {}
        self._previous: dict[str, Moments] = {}
        self._busy: set[str] = set()
        self._cyclic = False
        self.sweeps = 0

    def solve(self) -> Solver:
        """Sweep until the waits repeat; returns self.

        A sweep that never needed last sweep's value (no cycle through the components) is
        final at once.
        """
        for sweep in range(1, MAX_SWEEPS + 1):
            self.sweeps = sweep
            self.waits, self.service, self.responses, self._holding = {}, {}, {}, {}
            self._cyclic = False
            for name in self.net.stations:
                self.wait(name)
            for node in self.net.order:
                if self.weights.get(node):
                    self.response(node)
            if not self._cyclic or self._converged():
                break
            self._previous = dict(self.waits)
        return self

    def _converged(self) -> bool:
        if set(self._previous) != set(self.waits):
            return False
        for name, wait in self.waits.items():
            old = self._previous[name]
            if wait.finite != old.finite:
                return False
            if wait.finite and abs(wait.mean - old.mean) > SWEEP_TOLERANCE * max(wait.mean, 1e-9):
                return False
        return True

    # ------------------------------------------------------------------ stations

    def _load(self, name: str, class_rates: dict[str, float]) -> StationLoad:
        spec = self.net.components[name]
        inflow: dict[str, float] = {}
        delivered = other = 0.0
        use_rates = any(self.rates.get(endpoint_node(name, e)) for e in spec.endpoints)
        source = self.rates if use_rates else self.weights
        for endpoint in spec.endpoints:
            node = endpoint_node(name, endpoint)
            for tail, _, data in self.net.graph.in_edges(node, data=True):
                amount = source.get(tail, 0.0) * data["weight"]
                via = data["via"]
                policy = spec.policy if via == DIRECT else self.net.components[via].policy
                inflow[policy] = inflow.get(policy, 0.0) + amount
                if data["deliver"]:
                    delivered += amount
                else:
                    other += amount
            for workload in self.net.topology.workload:
                if workload.to == node:
                    amount = class_rates.get(workload.name, 0.0) if use_rates else 1.0
                    inflow[spec.policy] = inflow.get(spec.policy, 0.0) + amount
                    other += amount
        policies = frozenset(p for p, amount in inflow.items() if amount > 0)
        rate = sum(self.rates.get(node, 0.0) * count for node, count in self._passes(name))
        bound = self.net.consumer_bound(name) if delivered > 0 and other == 0 else None
        replicas, workers = spec.replicas, spec.workers
        if replicas == 1:
            return StationLoad(name, rate, 1, workers, 1.0, policies, bound)
        if policies == {"least_connections"}:
            return StationLoad(name, rate, 1, workers * replicas, 1.0, policies, bound)
        total = sum(inflow.values())
        ca2 = (sum(amount * (1.0 / replicas if policy == "round_robin" else 1.0)
                   for policy, amount in inflow.items()) / total) if total else 1.0
        return StationLoad(name, rate, replicas, workers, ca2, policies, bound)

    def _passes(self, name: str) -> list[tuple[str, int]]:
        """(node, worker acquisitions per visit) for each endpoint of a service."""
        spec = self.net.components[name]
        out = []
        for endpoint, body in spec.endpoints.items():
            node = endpoint_node(name, endpoint)
            if spec.io == "blocking":
                out.append((node, 1))
            else:
                count = int(not _is_zero_constant(body.work)) + _count_work_steps(body.calls)
                out.append((node, count))
        return out

    def pass_moments(self, name: str) -> list[tuple[float, Moments]]:
        """(weight, service-time moments) of every kind of pass through a station."""
        spec = self.net.components[name]
        out: list[tuple[float, Moments]] = []
        use_rates = any(self.rates.get(node) for node, _ in self._passes(name))
        for endpoint, body in spec.endpoints.items():
            node = endpoint_node(name, endpoint)
            weight = (self.rates if use_rates else self.weights).get(node, 0.0)
            if weight <= 0:
                continue
            if spec.io == "blocking":
                out.append((weight, self.holding(node)))
                continue
            if not _is_zero_constant(body.work):
                out.append((weight, of_dist(body.work)))
            out.extend((weight, of_dist(work)) for work in _work_steps(body.calls))
        return out

    def wait(self, name: str) -> Moments:
        """The wait for a worker at ``name`` (computed once per sweep)."""
        if name in self.waits:
            return self.waits[name]
        if name in self._busy:  # a cycle through the component graph: last sweep's value
            self._cyclic = True
            return self._previous.get(name, ZERO)
        self._busy.add(name)
        try:
            service = aggregate(self.pass_moments(name))
            wait = self.wait_model(self.loads[name], service)
        finally:
            self._busy.discard(name)
        self.service[name] = service
        self.waits[name] = wait
        return wait

    def utilization(self, name: str, loaded: bool = False) -> float:
        """Busy workers / all workers; with ``loaded`` inf when a holding time is unbounded,
        otherwise the unbounded parts count as zero (a lower bound)."""
        service = self.service.get(name, ZERO)
        spec = self.net.components[name]
        busy = self.loads[name].rate * (service.mean if loaded or service.finite
                                        else service.floor)
        return busy / (spec.replicas * spec.workers) if busy else 0.0

    # ------------------------------------------------------------------ responses

    def request(self, entry: str) -> Moments:
        """Response of a client request to ``entry``: the client's hop plus the visit."""
        return self.net.hop() + self.response(entry)

    def response(self, node: str) -> Moments:
        """Response of one visit to ``node`` (wait, work, calls), without the caller's hop."""
        if node in self.responses:
            return self.responses[node]
        component, endpoint = node.split("/", 1)
        spec = self.net.components[component]
        if spec.type == "load_balancer":
            result = (of_dist(spec.latency) + self.net.hop()
                      + self.response(endpoint_node(spec.target, endpoint)))
        elif spec.io == "blocking":
            result = self.wait(component) + self.holding(node)
        else:
            body = spec.endpoints[endpoint]
            wait = self.wait(component)
            result = ZERO if _is_zero_constant(body.work) else wait + of_dist(body.work)
            result = result + self._steps(component, body.calls, wait)
        self.responses[node] = result
        return result

    def holding(self, node: str) -> Moments:
        """How long a blocking endpoint holds its worker: work plus every step."""
        if node not in self._holding:
            component, endpoint = node.split("/", 1)
            body = self.net.components[component].endpoints[endpoint]
            self._holding[node] = of_dist(body.work) + self._steps(component, body.calls, None)
        return self._holding[node]

    def _steps(self, component: str, steps: tuple[Any, ...], wait: Moments | None) -> Moments:
        total = ZERO
        for step in steps:
            if isinstance(step, CallStep):
                if step.p > 0:
                    part = self.net.hop(step.latency) + self.response(step.to)
                    total = total + part.taken(step.p)
            elif isinstance(step, PublishStep):
                broker = self.net.components[step.publish]
                total = total + of_dist(broker.latency).taken(step.p)
            elif isinstance(step, WorkStep):
                work = of_dist(step.work)
                total = total + (work if wait is None else wait + work)
            elif isinstance(step, ParallelStep):
                total = total + fork_join([self._steps(component, (branch,), wait)
                                           for branch in step.parallel])
        return total


def _is_zero_constant(dist: Any) -> bool:
    return dist.dist == "constant" and not dist.mean


def _work_steps(steps: tuple[Any, ...]) -> list[Any]:
    found = []
    for step in steps:
        if isinstance(step, WorkStep):
            found.append(step.work)
        elif isinstance(step, ParallelStep):
            found.extend(_work_steps(step.parallel))
    return found


def _count_work_steps(steps: tuple[Any, ...]) -> int:
    return len(_work_steps(steps))
