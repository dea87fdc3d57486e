"""Traffic equations: how often one request of each class visits every endpoint and broker.

The traffic graph (networkx) has one node per service endpoint and per balancer endpoint
(``"app/browse"``, ``"lb/browse"``) and one per topic or queue (``"events"``). An edge carries
the mean number of visits of its head per visit of its tail: a call taken with probability p
weighs p, a balancer forwards with weight 1, a publish with probability p weighs p, a topic
delivers every message to every group (weight 1 each) and a queue splits its messages over its
subscriber entries in proportion to their consumers. The visit ratios V solve the traffic
equations V = e + W^T V (Lazowska et al., *Quantitative System Performance*, 1984, ch. 3;
Jackson 1963), so messages that cause more messages are counted too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from archsim.errors import ModelError
from archsim.spec.components import SERVICE_KINDS
from archsim.spec.steps import CallStep, ParallelStep, PublishStep

if TYPE_CHECKING:
    from archsim.spec.schema import Topology

DIRECT = "direct"
"""Edge ``via`` value: the callee's own client-side policy picks the replica."""


def endpoint_node(component: str, endpoint: str) -> str:
    """The traffic-graph node of ``component/endpoint``."""
    return f"{component}/{endpoint}"


def traffic_graph(topology: Topology) -> nx.DiGraph:
    """The traffic graph of a topology (see the module docstring).

    Edges carry ``weight`` (mean visits), ``via`` (the balancer whose policy picks the
    replica, or :data:`DIRECT`) and ``deliver`` (True for a broker handing a message over).
    """
    graph: nx.DiGraph = nx.DiGraph()
    components: dict[str, Any] = topology.components
    for name, spec in components.items():
        if spec.type in SERVICE_KINDS:
            for endpoint, body in spec.endpoints.items():
                node = endpoint_node(name, endpoint)
                graph.add_node(node, component=name, endpoint=endpoint, kind="service")
                _step_edges(graph, components, node, body.calls, 1.0)
        elif spec.type == "load_balancer":
            for endpoint in components[spec.target].endpoints:
                node = endpoint_node(name, endpoint)
                graph.add_node(node, component=name, endpoint=endpoint, kind="load_balancer")
                _add(graph, node, endpoint_node(spec.target, endpoint), 1.0, via=name)
        else:
            graph.add_node(name, component=name, endpoint=None, kind=spec.type)
            subscribers = getattr(spec, "subscribers", ())  # a registry has none
            total = sum(sub.consumers for sub in subscribers)
            for sub in subscribers:
                share = 1.0 if spec.type == "topic" else sub.consumers / total
                _add(graph, name, sub.to, share, via=DIRECT, deliver=True)
    return graph


def _add(graph: nx.DiGraph, tail: str, head: str, weight: float, via: str = DIRECT,
         deliver: bool = False) -> None:
    if graph.has_edge(tail, head):
        graph[tail][head]["weight"] += weight
    else:
        graph.add_edge(tail, head, weight=weight, via=via, deliver=deliver)


def _step_edges(graph: nx.DiGraph, components: dict[str, Any], node: str,
                steps: tuple[Any, ...], factor: float) -> None:
    for step in steps:
        if isinstance(step, CallStep):
            _add(graph, node, step.to, factor * step.p)
        elif isinstance(step, PublishStep):
            _add(graph, node, step.publish, factor * step.p)
        elif isinstance(step, ParallelStep):
            _step_edges(graph, components, node, step.parallel, factor)


def visit_ratios(graph: nx.DiGraph, entries: dict[str, str]) -> dict[str, dict[str, float]]:
    """Mean visits per request of each class to every node, solving V = e + W^T V.

    Parameters
    ----------
    graph
        The traffic graph.
    entries
        Request class name -> its entry node.

    Raises
    ------
    ModelError
        When messages cause, on average, at least as many messages again (an unbounded flow).
    """
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    matrix = np.zeros((len(nodes), len(nodes)))
    for tail, head, data in graph.edges(data=True):
        matrix[index[tail], index[head]] += data["weight"]
    if nodes and float(np.max(np.abs(np.linalg.eigvals(matrix)))) >= 1.0 - 1e-9:
        raise ModelError("the message flow has no steady state: handlers republish, on "
                         "average, at least one message per message they receive")
    external = np.zeros((len(nodes), len(entries)))
    for column, entry in enumerate(entries.values()):
        external[index[entry], column] = 1.0
    solved = np.linalg.solve(np.eye(len(nodes)) - matrix.T, external)
    return {name: {node: float(solved[index[node], column]) for node in nodes
                   if solved[index[node], column] > 1e-15}
            for column, name in enumerate(entries)}


def sync_order(graph: nx.DiGraph) -> list[str]:
    """Endpoint nodes with every synchronous callee before its callers (deliveries and
    publishes are not synchronous)."""
    sync = nx.DiGraph()
    sync.add_nodes_from(n for n, kind in graph.nodes(data="kind")
                        if kind in ("service", "load_balancer"))
    sync.add_edges_from((tail, head) for tail, head in graph.edges
                        if tail in sync and head in sync)
    try:
        return list(reversed(list(nx.topological_sort(sync))))
    except nx.NetworkXUnfeasible:  # the loader refuses call cycles; be safe anyway
        return list(sync.nodes)
