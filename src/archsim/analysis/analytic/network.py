"""Mean response of every endpoint, bottom-up from the callees, for one load point.

A service is a station: ``replicas`` queues of ``workers`` servers each (FCFS). Its waiting
time comes from a *wait model*: the open one (see :mod:`archsim.analysis.analytic.waits`) or
mean value analysis for a closed population (see :mod:`archsim.analysis.analytic.closed`). A
visit's response is the wait plus the holding time: with ``io: blocking`` the worker is held for
the endpoint's work *and* its calls (so the holding time is built bottom-up from the callees'
responses); with ``io: nonblocking`` every ``work`` is a separate pass through the station's
queue. Network hops and balancer latency are pure delays (two hops per call: out and back).

What a station's arrivals are is read off the structure (:class:`Network`): whether they come
straight from clients as a known renewal stream (Poisson, constant, or dealt round robin), and
the most requests that can be in flight there at once (a callee of blocking callers with few
workers, or of a few consumers, can have no more requests than its callers have workers; when
that is at most its own workers it never waits). A finite waiting room rejects: the rejected
requests make none of their calls, and a failed call ends its caller's visit, so the traffic
further on is thinned by the blocking probabilities (:func:`thinned_rates`).

Callers and callees depend on each other through the stations' loads, so the solver sweeps
until the waits (and the blocking probabilities) stop changing; when the components' call graph
has no cycle and nothing rejects, one sweep is final.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from archsim.analysis import theory
from archsim.analysis.analytic.flow import (
    DIRECT,
    endpoint_node,
    sync_order,
    traffic_graph,
    visit_ratios,
)
from archsim.analysis.analytic.moments import (
    UNSTABLE,
    ZERO,
    Moments,
    aggregate,
    fork_join,
    of_dist,
)
from archsim.spec.components import SERVICE_KINDS
from archsim.spec.steps import CallStep, ParallelStep, PublishStep, WorkStep

if TYPE_CHECKING:
    import networkx as nx

    from archsim.spec.dists import Dist
    from archsim.spec.schema import Topology

MAX_SWEEPS = 500
SWEEP_TOLERANCE = 1e-13
NEGLIGIBLE = 1e-12
"""Blocking probabilities below this are taken as zero (the traffic is not thinned)."""

FLATTO_HAHN = "flatto-hahn"
NELSON_TANTAWI = "nelson-tantawi"


@dataclass(frozen=True, slots=True)
class StationLoad:
    """How traffic meets one service component at a load point.

    ``rate`` is the pass rate offered to all replicas (per second); ``queues`` is the number of
    separate waiting lines (``replicas``, or 1 when least connections pools them) with
    ``servers`` workers each; ``ca2`` is the squared coefficient of variation of the arrivals
    at one line; ``policies`` are the replica-picking policies traffic arrives through;
    ``bound`` is the most requests that can be in flight there at once (None: no bound);
    ``capacity`` the waiting places of one line (None: unbounded); ``arrivals`` names the
    exact arrival process of one line when all traffic comes straight from clients as a known
    renewal stream: ``"poisson"``, ``"erlang"`` (a Poisson stream dealt round robin over
    ``queues`` lines: Erlang-``queues`` gaps) or ``"deterministic"`` (constant gaps); None
    otherwise.
    """

    name: str
    rate: float
    queues: int
    servers: int
    ca2: float
    policies: frozenset[str]
    bound: int | None
    capacity: int | None = None
    arrivals: str | None = None


@dataclass(frozen=True, slots=True)
class Inflow:
    """One way traffic reaches a station's endpoint ``node``.

    Either a request class straight from its clients (``workload`` set, possibly through a
    balancer fed only by clients) or an edge of the traffic graph from ``tail`` of ``weight``
    visits per visit of the tail. ``policy`` picks the replica and ``picker`` is whose cursor
    it is (the balancer, or the station's own client-side picker); ``scv`` is the squared
    coefficient of variation of the source's gaps (0 for constant arrivals); ``renewal`` is
    ``"poisson"`` or ``"constant"`` for a client stream of a fixed rate (None otherwise);
    ``steady`` says whether every delay between the picker and the station is a constant
    (so that the gaps the picker deals arrive unchanged).
    """

    node: str
    policy: str
    picker: str
    scv: float = 1.0
    workload: str | None = None
    tail: str | None = None
    weight: float = 1.0
    deliver: bool = False
    renewal: str | None = None
    steady: bool = True


WaitModel = Callable[[StationLoad, Moments], Moments]


class Network:
    """The load-independent structure: traffic graph, visit ratios, callee-first order, and
    per station its inflows, passes, concurrency bound and client arrival process."""

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
        self.workloads = {w.name: w for w in topology.workload}
        self._moments: dict[int, tuple[Any, Moments]] = {}
        self._default_hop = of_dist(topology.network.latency).doubled()
        self.inflows = {name: self._inflows(name) for name in self.stations}
        self.passes = {name: self._passes(name) for name in self.stations}
        self.bounds = self._bounds()
        self.arrivals = {name: self._arrivals(name) for name in self.stations}
        self.lossy = any(self.components[name].queue is not None for name in self.stations)
        self._pass_count = {node: count for name in self.stations
                            for node, count in self.passes[name]}
        self._index = {node: i for i, node in enumerate(self.graph.nodes)}
        self._forks: dict[tuple[str, int], str | None] = {}

    def node_rates(self, class_rates: dict[str, float]) -> dict[str, float]:
        """Visits per second of every node when class k arrives at ``class_rates[k]``."""
        rates: dict[str, float] = {}
        for name, rate in class_rates.items():
            for node, visits in self.visits[name].items():
                rates[node] = rates.get(node, 0.0) + rate * visits
        return rates

    def moments(self, dist: Dist) -> Moments:
        """:func:`of_dist`, computed once per distribution object."""
        known = self._moments.get(id(dist))
        if known is None:
            known = self._moments[id(dist)] = (dist, of_dist(dist))
        return known[1]

    def hop(self, latency: Any | None = None) -> Moments:
        """A network hop out and back (the call's own latency, else the network's)."""
        if latency is None:
            return self._default_hop
        return self.moments(latency).doubled()

    def thinned(self, class_rates: dict[str, float],
                admit: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Visits per second of every node when station s admits a share ``admit[s]`` of its
        visits, and each endpoint's probability that a visit fails (rejected there or by a
        callee further on).

        A rejected visit makes none of its calls; a failed call ends its caller's visit, so
        the later steps are taken only by the share still alive (parallel branches all start,
        and the join survives when every branch does). Rejections at different stations are
        taken as independent. Deliveries keep their weights (a handler failure does not
        unpublish the message).
        """
        graph = self.graph
        fail: dict[str, float] = {}
        weights: dict[tuple[str, str], float] = {}
        for node in self.order:  # callees first
            component, endpoint = node.split("/", 1)
            spec = self.components[component]
            if spec.type == "load_balancer":
                target = endpoint_node(spec.target, endpoint)
                fail[node] = fail.get(target, 0.0)
                weights[(node, target)] = 1.0
                continue
            passes = self._pass_count[node]
            alive = admit.get(component, 1.0) ** passes
            alive = _walk(node, spec.endpoints[endpoint].calls, alive, fail, weights)
            fail[node] = 1.0 - alive
        for tail, head, data in graph.edges(data=True):
            if data["deliver"]:
                weights[(tail, head)] = data["weight"]
        index = self._index
        matrix = np.zeros((len(index), len(index)))
        for (tail, head), weight in weights.items():
            matrix[index[tail], index[head]] += weight
        external = np.zeros(len(index))
        for name, rate in class_rates.items():
            external[index[self.workloads[name].to]] += rate
        solved = np.linalg.solve(np.eye(len(index)) - matrix.T, external)
        rates = {node: float(solved[i]) for node, i in index.items() if solved[i] > 0}
        return rates, fail

    # ------------------------------------------------------------------ structure

    def _inflows(self, name: str) -> list[Inflow]:
        spec = self.components[name]
        graph = self.graph
        out: list[Inflow] = []
        for endpoint in spec.endpoints:
            node = endpoint_node(name, endpoint)
            for workload in self.topology.workload:
                if workload.to == node:
                    out.append(self._client(workload, node, spec.policy, name, self.hop()))
            for tail, _, data in graph.in_edges(node, data=True):
                via = data["via"]
                policy = spec.policy if via == DIRECT else self.components[via].policy
                tail_kind = graph.nodes[tail]["kind"]
                if (tail_kind == "load_balancer" and not graph.in_degree(tail)
                        and plain(self.components[via])):
                    balancer = self.components[via]
                    after = self.moments(balancer.latency) + self.hop()
                    for workload in self.topology.workload:
                        if workload.to == tail:
                            out.append(self._client(workload, node, policy, via, after))
                    continue
                out.append(Inflow(node, policy, name if via == DIRECT else via, tail=tail,
                                  weight=data["weight"], deliver=data["deliver"]))
        return out

    def _client(self, workload: Any, node: str, policy: str, picker: str,
                after: Moments) -> Inflow:
        """A request class straight from its clients; ``after`` is the delay between the
        replica choice and the station (the client's own hop, or a balancer's delay and
        forward hop; a constant for client-side picking only when the hop is one)."""
        if not workload.is_open:
            return Inflow(node, policy, picker, workload=workload.name)
        fixed = (getattr(workload, "trace", None) is None
                 and isinstance(workload.rate, (int, float)))
        constant = workload.arrivals == "constant"
        renewal = ("constant" if constant else "poisson") if fixed else None
        # constant gaps also need the client's own hop (before any balancer) to be a constant
        steady = after.var == 0.0 and (not constant or self.hop().var == 0.0)
        return Inflow(node, policy, picker, scv=0.0 if constant else 1.0,
                      workload=workload.name, renewal=renewal, steady=steady)

    def _passes(self, name: str) -> list[tuple[str, int]]:
        """(node, worker acquisitions per visit) for each endpoint of a service."""
        spec = self.components[name]
        out = []
        for endpoint, body in spec.endpoints.items():
            node = endpoint_node(name, endpoint)
            if spec.io == "blocking":
                out.append((node, 1))
            else:
                count = int(not _is_zero_constant(body.work)) + _count_work_steps(body.calls)
                out.append((node, count))
        return out

    def _bounds(self) -> dict[str, int | None]:
        """Most requests in flight at each station at once (None: unbounded).

        A client stream is unbounded, a closed class brings at most its users (without a
        client timeout), a subscriber at most its active consumers. A caller's visits hold at
        most its workers (blocking io, no autoscaling) while making their calls, and one visit
        makes at most as many calls to a node at once as its parallel branches reach it; a
        call with a timeout is unbounded (the callee keeps working after the caller gave up).
        """
        graph = self.graph
        node_bound: dict[str, float] = {}
        for node in reversed(self.order):  # callers before callees
            total = 0.0
            for workload in self.topology.workload:
                if workload.to == node:  # a user whose request timed out sends another
                    total += (float(workload.users or 0)
                              if not workload.is_open and workload.timeout is None
                              else math.inf)
            for tail, _, data in graph.in_edges(node, data=True):
                kind = graph.nodes[tail]["kind"]
                if data["deliver"]:
                    total += self._consumers(tail, node)
                elif kind == "load_balancer":
                    total += node_bound.get(tail, math.inf)
                elif kind == "service":
                    caller = self.components[graph.nodes[tail]["component"]]
                    holders = node_bound.get(tail, math.inf)
                    if caller.io == "blocking" and getattr(caller, "autoscale", None) is None:
                        holders = min(holders, caller.replicas * caller.workers)
                    body = caller.endpoints[graph.nodes[tail]["endpoint"]]
                    many = _multiplicity(body.calls, node)
                    total += holders * many if many else 0.0
                else:
                    total = math.inf
            node_bound[node] = total
        out: dict[str, int | None] = {}
        for name in self.stations:
            total = sum(node_bound.get(endpoint_node(name, e), 0.0)
                        for e in self.components[name].endpoints)
            out[name] = int(total) if math.isfinite(total) else None
        return out

    def _consumers(self, broker: str, node: str) -> float:
        spec = self.components[broker]
        total = 0
        for sub in spec.subscribers:
            if sub.to == node:
                total += (min(sub.consumers, spec.partitions) if spec.type == "topic"
                          else sub.consumers)
        return float(total)

    def _arrivals(self, name: str) -> str | None:
        """The exact arrival process of one line of ``name`` (see :class:`StationLoad`)."""
        spec = self.components[name]
        inflows = self.inflows[name]
        if not inflows or not all(i.renewal for i in inflows):
            return None
        kinds = {i.renewal for i in inflows}
        single_constant = len(inflows) == 1 and kinds == {"constant"}
        if spec.replicas == 1:
            if kinds == {"poisson"}:
                return "poisson"
            return "deterministic" if single_constant and inflows[0].steady else None
        policies = {i.policy for i in inflows}
        if kinds == {"poisson"} and policies == {"random"}:
            return "poisson"  # independent coin flips split a Poisson stream into Poisson ones
        if (policies == {"round_robin"} and len({i.picker for i in inflows}) == 1
                and all(i.steady for i in inflows)):
            if kinds == {"poisson"}:
                return "erlang"
            return "deterministic" if single_constant else None
        return None

    def fork_kind(self, node: str, step: ParallelStep) -> str | None:
        """How a parallel step's mean is known: :data:`FLATTO_HAHN` (two branches, exact),
        :data:`NELSON_TANTAWI` (3 to 32 branches, approximate) or None (independent branches).

        Both need the textbook fork-join queue: the step is all the forking endpoint does (no
        work, non-blocking io), its visits come straight from clients as a Poisson stream, and
        every branch is one call (no timeout or retries, the same constant hop) to its own
        single-worker service with an unbounded waiting room, exponential work of one common
        mean, no calls, and no traffic but this fork's.
        """
        key = (node, id(step))
        if key not in self._forks:
            self._forks[key] = self._fork_kind(node, step)
        return self._forks[key]

    def _fork_kind(self, node: str, step: ParallelStep) -> str | None:
        branches = step.parallel
        if not 2 <= len(branches) <= 32:
            return None
        component, endpoint = node.split("/", 1)
        fork = self.components[component]
        body = fork.endpoints[endpoint]
        if (fork.io != "nonblocking" or not _is_zero_constant(body.work)
                or body.calls != (step,) or not plain(fork)):
            return None
        if not all(i.renewal == "poisson" for i in self.inflows[component]):
            return None
        targets, means, hops = [], set(), set()
        for branch in branches:
            if (not isinstance(branch, CallStep) or branch.p < 1.0 or branch.timeout is not None
                    or (branch.retries is not None and branch.retries.max)
                    or getattr(branch, "circuit_breaker", None) is not None):
                return None
            name = branch.to.split("/", 1)[0]
            spec = self.components[name]
            if spec.type not in SERVICE_KINDS:
                return None
            callee = spec.endpoints[branch.to.split("/", 1)[1]]
            work = self.moments(callee.work)
            hop = self.hop(branch.latency)
            if (spec.replicas != 1 or spec.workers != 1 or spec.queue is not None
                    or callee.calls or not work.exponential or hop.var != 0.0
                    or not plain(spec) or getattr(spec, "read_replicas", 0)
                    or getattr(spec, "has_misses", False)):
                return None
            inflows = self.inflows[name]
            if len(inflows) != 1 or inflows[0].tail != node or inflows[0].weight != 1.0:
                return None
            targets.append(name)
            means.add(work.mean)
            hops.add(hop.mean)
        if len(set(targets)) != len(targets) or len(means) != 1 or len(hops) != 1:
            return None
        return FLATTO_HAHN if len(branches) == 2 else NELSON_TANTAWI


class Solver:
    """Waits, holding times and responses of every endpoint at one load point.

    Parameters
    ----------
    network
        The structure.
    rates
        Visits per second of each node (from :meth:`Network.node_rates`).
    wait_model
        (station load, service-time moments) -> wait-time moments. An open model carries a
        ``loss`` attribute, (station load, service-time moments) -> blocking probability, and
        only then are finite waiting rooms, thinned traffic and fork-join queues taken into
        account.
    class_rates
        Arrival rate of each request class (external arrivals at its entry node).
    loads
        The station loads of an earlier solver at the same rates (saves recomputing them).
    thin
        Whether full waiting rooms thin the traffic behind them (False: every station sees
        its offered load, as the operational laws of saturation want).
    """

    def __init__(self, network: Network, rates: dict[str, float], wait_model: WaitModel,
                 class_rates: dict[str, float],
                 loads: dict[str, StationLoad] | None = None, thin: bool = True) -> None:
        self.net = network
        self.rates = rates
        self.class_rates = class_rates
        self.wait_model = wait_model
        self.loss: Callable[[StationLoad, Moments], float] | None = getattr(
            wait_model, "loss", None)
        self.weights = network.weights
        self.thin = thin
        self.loads = loads if loads is not None else {
            name: self._load(name) for name in network.stations}
        self.waits: dict[str, Moments] = {}
        self.service: dict[str, Moments] = {}
        self.responses: dict[str, Moments] = {}
        self.blocking: dict[str, float] = {}
        self._failure: dict[str, float] = {}
        self._admit: dict[str, float] = {}
        self._holding: dict[str, Moments] = {}
        self._previous: dict[str, Moments] = {}
        self._busy: set[str] = set()
        self._cyclic = False
        self.sweeps = 0

    def solve(self) -> Solver:
        """Sweep until the waits and blocking probabilities repeat; returns self.

        A sweep that never needed last sweep's value (no cycle through the components) and
        moved no traffic (no waiting room rejects a noticeable share) is final at once.
        """
        for sweep in range(1, MAX_SWEEPS + 1):
            self.sweeps = sweep
            self.waits, self.service, self.responses, self._holding = {}, {}, {}, {}
            self.blocking = {}
            self._cyclic = False
            for name in self.net.stations:
                self.wait(name)
            for node in self.net.order:
                if self.weights.get(node):
                    self.response(node)
            moved = self.thin and self.loss is not None and self.net.lossy and self._thin()
            if not moved and (not self._cyclic or self._converged()):
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

    def _thin(self) -> bool:
        """Thin the traffic behind full waiting rooms; True when the rates moved."""
        admit = {name: 1.0 - b for name, b in self.blocking.items() if b > NEGLIGIBLE}
        if set(admit) == set(self._admit) and all(
                abs(admit[name] - self._admit[name]) <= SWEEP_TOLERANCE for name in admit):
            return False
        self._admit = admit
        self.rates, self._failure = self.net.thinned(self.class_rates, admit)
        self.loads = {name: self._load(name) for name in self.net.stations}
        return True

    def failure(self, node: str) -> float:
        """Probability that a visit to ``node`` is rejected by a full waiting room, there or
        further on (stations taken as independent)."""
        return self._failure.get(node, 0.0)

    # ------------------------------------------------------------------ stations

    def _load(self, name: str) -> StationLoad:
        net = self.net
        spec = net.components[name]
        passes = net.passes[name]
        use_rates = any(self.rates.get(node) for node, _ in passes)
        source = self.rates if use_rates else self.weights
        amounts = []
        for inflow in net.inflows[name]:
            if inflow.workload is not None:
                amount = self.class_rates.get(inflow.workload, 0.0) if use_rates else 1.0
            else:
                amount = source.get(inflow.tail, 0.0) * inflow.weight  # type: ignore[arg-type]
            amounts.append((inflow, amount))
        policies = frozenset(i.policy for i, amount in amounts if amount > 0)
        rate = sum(self.rates.get(node, 0.0) * count for node, count in passes)
        replicas, workers = spec.replicas, spec.workers
        pooled = replicas > 1 and policies == {"least_connections"}
        queues, servers = (1, workers * replicas) if pooled else (replicas, workers)

        def line_scv(inflow: Inflow) -> float:
            if queues == 1:
                return inflow.scv
            if inflow.policy == "round_robin":  # every n-th gap: n gaps added
                return inflow.scv / replicas
            return inflow.scv / replicas + 1.0 - 1.0 / replicas  # thinned by coin flips

        total = sum(amount for _, amount in amounts)
        ca2 = sum(amount * line_scv(i) for i, amount in amounts) / total if total else 1.0
        capacity = None if spec.queue is None else spec.queue * (replicas if pooled else 1)
        return StationLoad(name, rate, queues, servers, ca2, policies, net.bounds[name],
                           capacity, None if pooled else net.arrivals[name])

    def pass_moments(self, name: str) -> list[tuple[float, Moments]]:
        """(weight, service-time moments) of every kind of pass through a station."""
        spec = self.net.components[name]
        moments = self.net.moments
        out: list[tuple[float, Moments]] = []
        use_rates = any(self.rates.get(node) for node, _ in self.net.passes[name])
        for endpoint, body in spec.endpoints.items():
            node = endpoint_node(name, endpoint)
            weight = (self.rates if use_rates else self.weights).get(node, 0.0)
            if weight <= 0:
                continue
            if spec.io == "blocking":
                out.append((weight, self.holding(node)))
                continue
            if not _is_zero_constant(body.work):
                out.append((weight, moments(body.work)))
            out.extend((weight, moments(work)) for work in _work_steps(body.calls))
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
            load = self.loads[name]
            wait = self.wait_model(load, service)
            if self.loss is not None and load.capacity is not None:
                self.blocking[name] = self.loss(load, service)
        finally:
            self._busy.discard(name)
        self.service[name] = service
        self.waits[name] = wait
        return wait

    def utilization(self, name: str, loaded: bool = False) -> float:
        """Busy workers / all workers; with ``loaded`` the offered load (rejected requests
        counted too) and inf when a holding time is unbounded, otherwise the accepted load
        with the unbounded parts counted as zero (a lower bound)."""
        service = self.service.get(name, ZERO)
        spec = self.net.components[name]
        busy = self.loads[name].rate * (service.mean if loaded or service.finite
                                        else service.floor)
        if not loaded and busy:
            busy *= 1.0 - self.blocking.get(name, 0.0)
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
            result = (self.net.moments(spec.latency) + self.net.hop()
                      + self.response(endpoint_node(spec.target, endpoint)))
        elif spec.io == "blocking":
            result = self.wait(component) + self.holding(node)
        else:
            body = spec.endpoints[endpoint]
            wait = self.wait(component)
            result = (ZERO if _is_zero_constant(body.work)
                      else wait + self.net.moments(body.work))
            result = result + self._steps(node, body.calls, wait)
        self.responses[node] = result
        return result

    def holding(self, node: str) -> Moments:
        """How long a blocking endpoint holds its worker: work plus every step."""
        if node not in self._holding:
            component, endpoint = node.split("/", 1)
            body = self.net.components[component].endpoints[endpoint]
            self._holding[node] = (self.net.moments(body.work)
                                   + self._steps(node, body.calls, None))
        return self._holding[node]

    def _steps(self, node: str, steps: tuple[Any, ...], wait: Moments | None) -> Moments:
        total = ZERO
        net = self.net
        for step in steps:
            if isinstance(step, CallStep):
                if step.p > 0:
                    part = net.hop(step.latency) + self.response(step.to)
                    total = total + part.taken(step.p)
            elif isinstance(step, PublishStep):
                broker = net.components[step.publish]
                total = total + net.moments(broker.latency).taken(step.p)
            elif isinstance(step, WorkStep):
                work = net.moments(step.work)
                total = total + (work if wait is None else wait + work)
            elif isinstance(step, ParallelStep):
                joined = fork_join([self._steps(node, (branch,), wait)
                                    for branch in step.parallel])
                kind = net.fork_kind(node, step) if self.loss is not None else None
                if kind is not None and joined.finite:
                    joined = self._fork_queue(node, step, kind, joined)
                total = total + joined
        return total

    def _fork_queue(self, node: str, step: ParallelStep, kind: str,
                    independent: Moments) -> Moments:
        """The fork-join queue's mean (Flatto & Hahn, or Nelson & Tantawi) in place of the
        independent branches' (the variance stays that of independent branches)."""
        rate = self.rates.get(node, 0.0)
        first = step.parallel[0]
        callee = self.net.components[first.component].endpoints[first.endpoint]
        service_rate = 1.0 / self.net.moments(callee.work).mean
        if rate <= 0:
            return independent
        if rate >= service_rate:
            return UNSTABLE
        hop = self.net.hop(first.latency).mean
        if kind == FLATTO_HAHN:
            queue = theory.fork_join_2(rate, service_rate)
        else:
            queue = theory.fork_join_nelson_tantawi(rate, service_rate, len(step.parallel))
        mean = hop + queue
        return Moments(mean, independent.var, mean)


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


def _multiplicity(steps: tuple[Any, ...], target: str) -> float:
    """Most calls to ``target`` one visit has in flight at once (inf with a timeout)."""
    most = 0.0
    for step in steps:
        if isinstance(step, CallStep) and step.to == target and step.p > 0:
            if step.timeout is not None:
                return math.inf
            most = max(most, 1.0)
        elif isinstance(step, ParallelStep):
            most = max(most, sum(_multiplicity((branch,), target) for branch in step.parallel))
    return most


def plain(spec: Any) -> bool:
    """No resilience, scaling or discovery feature that the queueing models leave out."""
    return all(getattr(spec, key, None) is None
               for key in ("rate_limit", "circuit_breaker", "autoscale", "health_check",
                           "discovery"))


def _walk(node: str, steps: tuple[Any, ...], alive: float, fail: dict[str, float],
          weights: dict[tuple[str, str], float]) -> float:
    """Add the thinned edge weights of ``steps``; returns the share of visits still alive."""
    for step in steps:
        if isinstance(step, CallStep) and step.p > 0:
            key = (node, step.to)
            weights[key] = weights.get(key, 0.0) + alive * step.p
            alive *= 1.0 - step.p * fail.get(step.to, 0.0)
        elif isinstance(step, PublishStep) and step.p > 0:
            key = (node, step.publish)
            weights[key] = weights.get(key, 0.0) + alive * step.p
        elif isinstance(step, ParallelStep):
            survive = 1.0
            for branch in step.parallel:
                after = _walk(node, (branch,), alive, fail, weights)
                survive *= after / alive if alive > 0 else 0.0
            alive *= survive
    return alive
