"""Exact or approximate: which estimates rest on a product-form network, and what they assume.

An estimate is exact when the traffic it meets forms a product-form network (Jackson 1963;
Baskett, Chandy, Muntz & Palacios, "Open, closed, and mixed networks of queues with different
classes of customers", J. ACM 22(2), 1975): Poisson arrivals, FCFS stations with exponential
work of one mean per station and unbounded waiting rooms, routing by independent coin flips
(call probabilities, random balancing), pure delays for the network and balancers, no
simultaneous possession of two stations (a blocking caller holds its worker during its calls),
no fork-join and no retries. One element that breaks these conditions makes approximate every
estimate whose traffic shares a station with it: request classes and stations form a graph, and
its connected components are labelled together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from archsim.analysis.analytic.flow import endpoint_node
from archsim.spec.steps import CallStep, ParallelStep

if TYPE_CHECKING:
    from archsim.analysis.analytic.network import Network, Solver, StationLoad

EXACT_OPEN = ("Poisson arrivals", "exponential work with one mean per station",
              "FCFS workers with unbounded waiting rooms",
              "calls do not hold a worker (non-blocking io, or services that make no calls)",
              "independent routing: call probabilities and random replica choice",
              "network and balancer latency are pure delays")
EXACT_CLOSED = ("exponential think time", "exponential work with one mean per station",
                "one worker per station, or at least as many workers as users",
                "calls do not hold a worker (non-blocking io, or services that make no calls)",
                "independent routing: call probabilities and random replica choice",
                "network and balancer latency are pure delays")


@dataclass
class Tree:
    """What one request (or one consumed message) visits synchronously."""

    stations: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def request_tree(network: Network, entry: str) -> Tree:
    """Stations and non-product-form steps reached from ``entry`` by synchronous calls."""
    tree = Tree()
    _walk(network, entry, tree, set())
    return tree


def _walk(network: Network, node: str, tree: Tree, seen: set[str]) -> None:
    if node in seen:
        return
    seen.add(node)
    component, endpoint = node.split("/", 1)
    spec = network.components[component]
    if spec.type == "load_balancer":
        _walk(network, endpoint_node(spec.target, endpoint), tree, seen)
        return
    tree.stations.add(component)
    tree.notes.extend(datatier_notes(network, component, spec))
    _walk_steps(network, node, spec.endpoints[endpoint].calls, tree, seen)


def datatier_notes(network: Network, name: str, spec: Any) -> list[str]:
    """What the analytic estimate leaves out of caches, read replicas and zones."""
    notes = []
    if getattr(spec, "has_misses", False):
        notes.append(f"{name}: cache misses and their 'miss' steps left out")
    if getattr(spec, "read_replicas", 0):
        notes.append(f"{name}: read replicas and replication waits left out")
    if network.topology.network.zones:
        notes.append("zone latencies left out (network.latency taken for every hop)")
    return notes



def _walk_steps(network: Network, node: str, steps: tuple[Any, ...], tree: Tree,
                seen: set[str]) -> None:
    for step in steps:
        if isinstance(step, CallStep) and step.p > 0:
            if step.timeout is not None or (step.retries and step.retries.max):
                tree.notes.append(f"{node} -> {step.to}: timeout and retries ignored "
                                  "(every call assumed to succeed in time)")
            _walk(network, step.to, tree, seen)
        elif isinstance(step, ParallelStep):
            if len(step.parallel) > 1:
                tree.notes.append(f"{node}: parallel branches taken as independent "
                                  "gamma-shaped times (fork-join mean by integration)")
            _walk_steps(network, node, step.parallel, tree, seen)


def station_notes(network: Network, solver: Solver, name: str,
                  users: int | None = None) -> list[str]:
    """Why station ``name`` is not a product-form station (empty when it is one)."""
    spec = network.components[name]
    load = solver.loads[name]
    service = solver.service.get(name)
    notes = []
    blocking_calls = spec.io == "blocking" and any(
        body.calls and not solver.holding(endpoint_node(name, e)).exponential
        for e, body in spec.endpoints.items() if solver.weights.get(endpoint_node(name, e)))
    if blocking_calls:
        notes.append(f"{name}: io blocking holds a worker through its calls; the holding time "
                     "(work + calls) is taken as one independent service time")
    if service is not None and not service.exponential and not service.is_zero:
        cv = f"cv {service.scv ** 0.5:.2f}" if service.finite else "unbounded"
        notes.append(f"{name}: service time not exponential ({cv}): Allen-Cunneen M/G/c wait")
    if spec.queue is not None and (users is None or users > spec.queue + spec.workers):
        notes.append(f"{name}: waiting room of {spec.queue} per replica taken as unbounded")
    if spec.replicas > 1:
        notes.extend(_policy_notes(name, spec, load.policies))
    if users is not None and 1 < load.servers < users:
        notes.append(f"{name}: {load.servers} workers per line approximated in MVA (Seidmann: "
                     "a queue of S/c plus a delay of S(c-1)/c)")
    if _delivered(network, name) and not never_waits(load):
        notes.append(f"{name}: requests from consumers (one message in flight each) taken as "
                     "a Poisson stream")
    return notes


def never_waits(load: StationLoad) -> bool:
    """Whether consumers alone feed the station and can never occupy all its workers."""
    return load.consumer_bound is not None and load.consumer_bound <= load.servers


def _policy_notes(name: str, spec: Any, policies: frozenset[str]) -> list[str]:
    count = spec.replicas
    notes = []
    if "round_robin" in policies:
        notes.append(f"{name}: round robin over {count} replicas: smoother than Poisson "
                     f"arrivals per replica (c_a^2 = 1/{count}, Allen-Cunneen)")
    if policies == {"least_connections"}:
        notes.append(f"{name}: least connections over {count} replicas taken as one pooled "
                     f"line of {count * spec.workers} workers (a lower bound on the wait)")
    elif "least_connections" in policies:
        notes.append(f"{name}: least connections taken as random splitting (an upper bound)")
    if "power_of_two" in policies:
        notes.append(f"{name}: power of two choices taken as random splitting (an upper "
                     "bound on the wait)")
    return notes


def _delivered(network: Network, name: str) -> bool:
    return any(data["deliver"] for _, head, data in network.graph.edges(data=True)
               if head.split("/", 1)[0] == name)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Label and assumptions of one request class."""

    label: str
    assumptions: tuple[str, ...]


def classify(roots: dict[str, Tree], root_notes: dict[str, list[str]],
             stations: dict[str, list[str]], exact_text: tuple[str, ...],
             global_notes: list[str]) -> dict[str, Verdict]:
    """Label every root (request class or subscriber) by its connected component.

    ``roots`` maps a root to its tree, ``root_notes`` adds root-level breaks (constant
    arrivals, client timeouts, consumer-driven handlers), ``stations`` maps a station to its
    breaks; ``global_notes`` (faults, fixed-point solution) make everything approximate.
    """
    graph = nx.Graph()
    bad: dict[Any, list[str]] = {}
    for root, tree in roots.items():
        graph.add_node(("root", root))
        notes = [*root_notes.get(root, []), *tree.notes]
        if notes:
            bad[("root", root)] = notes
        for station in tree.stations:
            graph.add_edge(("root", root), ("station", station))
            if stations.get(station):
                bad[("station", station)] = stations[station]
    verdicts = {}
    for part in nx.connected_components(graph):
        broken = [node for node in part if node in bad]
        for kind, root in part:
            if kind != "root":
                continue
            tree = roots[root]
            own = [*root_notes.get(root, []), *tree.notes,
                   *(note for s in sorted(tree.stations) for note in stations.get(s, []))]
            if not broken and not global_notes:
                verdicts[root] = Verdict("exact", exact_text)
                continue
            if broken and not own:
                shared = sorted(s for _, s in (n for n in part if n[0] == "station")
                                if s in tree.stations)
                cause = bad[broken[0]][0]
                own = [f"shares {', '.join(shared)} with traffic that is not product-form "
                       f"({cause})"]
            verdicts[root] = Verdict("approximate", tuple(dict.fromkeys([*own, *global_notes])))
    return verdicts
