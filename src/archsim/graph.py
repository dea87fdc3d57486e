"""The topology as a graph: who sends requests and messages to whom, and in which order.

:func:`build_graph` turns a :class:`~archsim.spec.schema.Topology` into a networkx
``MultiDiGraph``; :func:`render_text`, :func:`render_mermaid` and :func:`render_dot` print it.
Nodes are one client per request class (``client:browse``) and every component. Each edge
carries ``kind`` (``request``, ``forward``, ``call``, ``publish`` or ``subscribe``), ``sync``
(False for messages: publishes and subscriptions), a ``label`` and an ``order``. Everything
follows file order, so the same file always renders to the same text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from archsim.spec.components import (
    LoadBalancerSpec,
    QueueSpec,
    ServiceSpec,
    TopicSpec,
)
from archsim.spec.steps import CallStep, ParallelStep, PublishStep

if TYPE_CHECKING:
    from collections.abc import Iterator

    from archsim.spec.dists import Dist
    from archsim.spec.schema import Topology, Workload
    from archsim.spec.steps import Step

CLIENT_PREFIX = "client:"

MERMAID_SHAPES = {
    "client": ('(["', '"])'), "load_balancer": ('{{"', '"}}'), "service": ('["', '"]'),
    "database": ('[("', '")]'), "cache": ('("', '")'), "topic": ('[/"', '"/]'),
    "queue": ('[\\"', '"\\]'),
}
DOT_SHAPES = {
    "client": "ellipse", "load_balancer": "hexagon", "service": "box", "database": "cylinder",
    "cache": "box3d", "topic": "parallelogram", "queue": "cds",
}


def build_graph(topology: Topology) -> nx.MultiDiGraph:
    """Build the directed multigraph of a topology's request and message flows.

    Parameters
    ----------
    topology:
        A validated topology (:func:`archsim.load`).

    Returns
    -------
    networkx.MultiDiGraph
        Nodes in file order: ``client:<request class>`` per workload entry, then each
        component, with attributes ``type`` and ``detail`` (plus ``replicas``, ``workers``,
        ``endpoints`` for services, ``partitions`` for topics, ``capacity`` for queues).
        Edges carry ``kind``, ``sync``, ``label`` and ``order`` (the order to print them in).

    Examples
    --------
    >>> from archsim import load
    >>> topo = load("archsim: 1\\nname: t\\nworkload: [{name: a, to: s/e, rate: 10}]\\n"
    ...             "components: {s: {type: service, endpoints: {e: {work: 10ms}}}}")
    >>> graph = build_graph(topo)
    >>> list(graph.nodes)
    ['client:a', 's']
    >>> [d["label"] for _, _, d in graph.edges(data=True)]
    ['s/e']
    """
    graph = nx.MultiDiGraph(name=topology.name, description=topology.description)
    for workload in topology.workload:
        graph.add_node(CLIENT_PREFIX + workload.name, type="client",
                       detail=_workload_detail(workload),
                       rate_per_s=workload.rate_per_s if workload.is_open else None,
                       users=workload.users)
    for name, component in topology.components.items():
        graph.add_node(name, **_component_attributes(component))
    edges: list[tuple[str, str, dict[str, Any]]] = []
    for workload in topology.workload:
        edges.append((CLIENT_PREFIX + workload.name, workload.component,
                      {"kind": "request", "sync": True, "label": workload.to,
                       "request": workload.name}))
    for name, component in topology.components.items():
        edges.extend(_component_edges(name, component))
    for order, (source, target, data) in enumerate(edges):
        graph.add_edge(source, target, order=order, **data)
    return graph


def _component_attributes(component: Any) -> dict[str, Any]:
    if isinstance(component, ServiceSpec):
        queue = "unbounded queue" if component.queue is None else f"queue {component.queue}"
        parts = [f"{_plural(component.replicas, 'replica')} x "
                 f"{_plural(component.workers, 'worker')}", queue, component.io]
        if component.replicas > 1 and component.policy != "round_robin":
            parts.append(component.policy)
        parts.extend(_data_tier_detail(component))
        return {"type": component.type, "detail": ", ".join(parts), "zone": component.zone,
                "replicas": component.replicas, "workers": component.workers,
                "endpoints": tuple(component.endpoints)}
    if isinstance(component, LoadBalancerSpec):
        return {"type": component.type, "target": component.target,
                "detail": ", ".join([component.policy, *_latency(component.latency)])}
    if isinstance(component, TopicSpec):
        parts = [_plural(component.partitions, "partition"), *_latency(component.latency)]
        return {"type": component.type, "partitions": component.partitions,
                "detail": ", ".join(parts)}
    if isinstance(component, QueueSpec):
        capacity = ("unbounded" if component.capacity is None
                    else f"capacity {component.capacity}")
        return {"type": component.type, "capacity": component.capacity,
                "detail": ", ".join([capacity, *_latency(component.latency)])}
    kind = getattr(component, "kind", type(component).__name__)
    return {"type": kind, "detail": ""}


def _component_edges(name: str, component: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    if isinstance(component, ServiceSpec):
        for endpoint_name, endpoint in component.endpoints.items():
            yield from _step_edges(name, endpoint_name, endpoint.calls, parallel=False)
    elif isinstance(component, LoadBalancerSpec):
        yield name, component.target, {"kind": "forward", "sync": True, "label": "forward",
                                       "policy": component.policy}
    elif isinstance(component, TopicSpec):
        for sub in component.subscribers:
            label = f"{sub.group}: {_plural(sub.consumers, 'consumer')} -> {sub.to}"
            yield name, sub.to.split("/", 1)[0], {
                "kind": "subscribe", "sync": False, "label": label, "to": sub.to,
                "group": sub.group, "consumers": sub.consumers}
    elif isinstance(component, QueueSpec):
        for sub in component.subscribers:
            prefix = f"{sub.group}: " if sub.group else ""
            label = f"{prefix}{_plural(sub.consumers, 'consumer')} -> {sub.to}"
            yield name, sub.to.split("/", 1)[0], {
                "kind": "subscribe", "sync": False, "label": label, "to": sub.to,
                "group": sub.group, "consumers": sub.consumers}


def _step_edges(name: str, endpoint: str, steps: tuple[Step, ...],
                parallel: bool) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for step in steps:
        if isinstance(step, ParallelStep):
            yield from _step_edges(name, endpoint, step.parallel, parallel=True)
        elif isinstance(step, CallStep):
            extras = _step_extras(step.p, parallel)
            if step.timeout is not None:
                extras.append(f"timeout {_duration(step.timeout)}")
            if step.retries is not None and step.retries.max:
                extras.append(_plural(step.retries.max, "retry", "retries"))
                if step.retries.budget is not None:
                    extras.append(f"budget {step.retries.budget:.0%}")
            if step.circuit_breaker is not None:
                extras.append(f"breaker {step.circuit_breaker.failure_ratio:.0%}")
            yield name, step.component, {
                "kind": "call", "sync": True, "label": _label(f"{endpoint} -> {step.to}", extras),
                "endpoint": endpoint, "to": step.to, "p": step.p, "parallel": parallel}
        elif isinstance(step, PublishStep):
            extras = ["publish", *_step_extras(step.p, parallel)]
            if step.partition != "random":
                extras.append(f"partition {step.partition}")
            yield name, step.publish, {
                "kind": "publish", "sync": False,
                "label": _label(f"{endpoint} -> {step.publish}", extras),
                "endpoint": endpoint, "to": step.publish, "p": step.p, "parallel": parallel}


def _step_extras(p: float, parallel: bool) -> list[str]:
    extras = [f"p={p:g}"] if p < 1 else []
    if parallel:
        extras.append("parallel")
    return extras


def _label(base: str, extras: list[str]) -> str:
    return f"{base} ({', '.join(extras)})" if extras else base


def _data_tier_detail(component: ServiceSpec) -> list[str]:
    """Zone, read replicas with their replication and zones, and a cache's hit model."""
    parts = [f"zone {component.zone}"] if component.zone else []
    read_replicas = getattr(component, "read_replicas", 0)
    if read_replicas:
        replication = component.replication_or_default  # type: ignore[attr-defined]
        mode = replication.mode + (f" {replication.acks} acks" if replication.acks else "")
        parts.append(f"{_plural(read_replicas, 'read replica')} ({mode} replication, reads "
                     f"from {component.read_from})")  # type: ignore[attr-defined]
        zones = getattr(component, "replica_zones", None)
        if zones:
            parts.append(f"replica zones {'/'.join(zones)}")
    hit_ratio = getattr(component, "hit_ratio", None)
    keys = getattr(component, "keys", None)
    if hit_ratio is not None:
        parts.append(f"hit ratio {hit_ratio:g}")
    elif keys is not None:
        parts.append(f"LRU of {keys.capacity} over {keys.count} Zipf keys (skew {keys.skew:g})")
    return parts


def _workload_detail(workload: Workload) -> str:
    if workload.trace is not None:
        parts = [f"trace {workload.trace}"]
    elif workload.rate is not None:
        rate = workload.rate
        parts = [rate.describe() if hasattr(rate, "describe") else f"{rate:g}/s"]
        if workload.arrivals != "poisson":
            parts.append(f"{workload.arrivals} arrivals")
    else:
        parts = [_plural(workload.users or 0, "user")]
        if workload.think is not None:
            parts.append(f"think {_duration(workload.think)}")
    if workload.timeout is not None:
        parts.append(f"timeout {_duration(workload.timeout)}")
    return ", ".join(parts)


def _latency(work: Dist) -> list[str]:
    if work.mean_s == 0:
        return []
    if work.dist == "constant":
        return [f"latency {_duration(work.mean_s)}"]
    return [f"latency {work.dist} mean {_duration(work.mean_s)}"]


def _duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.4g}s"
    if round(seconds * 1e3, 9) >= 0.1:
        return f"{seconds * 1e3:.4g}ms"
    return f"{seconds * 1e6:.4g}us"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _ordered_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, dict[str, Any]]]:
    return sorted(graph.edges(data=True), key=lambda edge: edge[2]["order"])


def render_text(topology: Topology) -> str:
    """The topology as plain text: each node, then its outgoing edges in file order.

    ``->`` marks a synchronous request or call, ``~>`` an asynchronous message.
    """
    graph = build_graph(topology)
    description = _one_line(topology.description)
    title = _one_line(topology.name) + (f": {description}" if description else "")
    lines = [title, "(-> synchronous request, ~> asynchronous message)", ""]
    outgoing: dict[str, list[tuple[str, dict[str, Any]]]] = {node: [] for node in graph}
    for source, target, data in _ordered_edges(graph):
        outgoing[source].append((target, data))
    for node, attrs in graph.nodes(data=True):
        detail = attrs.get("detail", "")
        lines.append(f"{node} [{attrs.get('type', '?')}]" + (f" {detail}" if detail else ""))
        if attrs.get("endpoints"):
            lines.append(f"  endpoints: {', '.join(attrs['endpoints'])}")
        width = max((len(target) for target, _ in outgoing[node]), default=0)
        for target, data in outgoing[node]:
            arrow = "->" if data["sync"] else "~>"
            lines.append(f"  {arrow} {target:<{width}}  {data['label']}")
    return "\n".join(lines) + "\n"


def _node_lines(name: str, attrs: dict[str, Any]) -> list[str]:
    lines = [name]
    if attrs.get("type") != "client":
        lines.append(attrs.get("type", "?"))
    if attrs.get("detail"):
        lines.append(attrs["detail"])
    return lines


def render_mermaid(topology: Topology) -> str:
    """The topology as a Mermaid flowchart (left to right; messages as dotted arrows)."""
    graph = build_graph(topology)
    ids = {node: f"n{index}" for index, node in enumerate(graph, start=1)}
    lines = ["flowchart LR", f"  %% {_mermaid_text(_one_line(topology.name))}"]
    for node, attrs in graph.nodes(data=True):
        opening, closing = MERMAID_SHAPES.get(attrs.get("type", ""), ('["', '"]'))
        label = "<br/>".join(_mermaid_text(line) for line in _node_lines(node, attrs))
        lines.append(f"  {ids[node]}{opening}{label}{closing}")
    for source, target, data in _ordered_edges(graph):
        arrow = "-->" if data["sync"] else "-.->"
        lines.append(f'  {ids[source]} {arrow}|"{_mermaid_text(data["label"])}"| {ids[target]}')
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;")


def render_dot(topology: Topology) -> str:
    """The topology as a Graphviz ``digraph`` (render with ``dot -Tsvg``); messages dashed."""
    graph = build_graph(topology)
    lines = [f"digraph {_dot_quote(_one_line(topology.name))} {{", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for node, attrs in graph.nodes(data=True):
        shape = DOT_SHAPES.get(attrs.get("type", ""), "box")
        label = "\\n".join(_dot_escape(line) for line in _node_lines(node, attrs))
        lines.append(f'  {_dot_quote(node)} [shape={shape}, label="{label}"];')
    for source, target, data in _ordered_edges(graph):
        style = "" if data["sync"] else ", style=dashed"
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)} "
                     f"[label={_dot_quote(data['label'])}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_quote(text: str) -> str:
    return f'"{_dot_escape(text)}"'


__all__ = ["build_graph", "render_dot", "render_mermaid", "render_text"]
