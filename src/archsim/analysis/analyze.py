"""``archsim.analyze``: the instant queueing-theory answer for a topology, no simulation.

Visit ratios come from the traffic equations of the call graph; offered load, utilization,
the bottleneck and the saturation throughput from the operational laws; mean latencies from
M/M/c stations (Erlang C), open Jackson networks and exact mean value analysis where the model
is product-form; from the exact single-station models beyond it where a station is fed straight
by clients (M/G/1 by Pollaczek-Khinchine, GI/M/1 for constant or round-robin arrivals, M/M/c/K
and Erlang's loss system for finite waiting rooms, a blocking caller whose callees never wait)
and from Flatto and Hahn's two-way fork-join queue; and from labelled approximations
(Allen-Cunneen, bottom-up holding times of blocking callers, fork-join by integration or
Nelson-Tantawi, Seidmann's multi-server MVA) otherwise. Every estimate says whether it is exact
and what it assumes. See :mod:`archsim.analysis.analytic` for the pieces.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from archsim.analysis.analytic import closed, labels
from archsim.analysis.analytic.consumers import SubscriberEstimate, subscriber_estimates
from archsim.analysis.analytic.flow import endpoint_node
from archsim.analysis.analytic.network import Network, Solver
from archsim.analysis.analytic.results import Analysis, ComponentEstimate, RequestEstimate
from archsim.analysis.analytic.saturation import Saturation, saturation
from archsim.analysis.analytic.waits import open_wait
from archsim.errors import ModelError, UsageError
from archsim.spec.components import SERVICE_KINDS

if TYPE_CHECKING:
    from archsim.spec.schema import Topology

__all__ = ["Analysis", "ComponentEstimate", "RequestEstimate", "SubscriberEstimate", "analyze"]

REJECTION_WARNING = 0.01
"""A waiting room that rejects at least this share of its arrivals gives a warning."""

FIXED_POINT_NOTE = ("closed workloads solved as open classes at the throughput X that "
                    "satisfies X = N / (Z + R(X)) (fixed point)")


def analyze(topology: Topology, rate_scale: float = 1.0) -> Analysis:
    """Estimate loads, the bottleneck, saturation and mean latencies without simulating.

    Parameters
    ----------
    topology : Topology
        A validated topology from :func:`archsim.load`.
    rate_scale : float
        Factor applied to every open workload's rate (as ``archsim run --rate-scale``).

    Returns
    -------
    Analysis
        Per request class the mean response (seconds) labelled ``exact`` or ``approximate``
        with its assumptions; per component visits, offered load and utilization; per
        subscriber the end-to-end latency; the bottleneck and the saturation point.

    Raises
    ------
    UsageError
        For a negative or non-finite rate scale.
    ModelError
        When messages multiply without bound or a closed workload has no think time and no
        work (infinite throughput).

    Examples
    --------
    >>> import archsim
    >>> topology = archsim.load('''
    ... archsim: 1
    ... name: one
    ... workload: [{name: req, to: app/get, rate: 50}]
    ... components:
    ...   app: {type: service, workers: 1,
    ...         endpoints: {get: {work: {dist: exponential, mean: 10ms}}}}
    ... ''')
    >>> result = archsim.analyze(topology)
    >>> round(result.requests["req"].mean_response_s, 6), result.requests["req"].label
    (0.02, 'exact')
    """
    if not (isinstance(rate_scale, (int, float)) and math.isfinite(rate_scale)
            and rate_scale >= 0):
        raise UsageError(f"the rate scale must be a finite number >= 0, got {rate_scale!r}")
    network = Network(topology)
    single_closed = _single_closed(network)
    notes: list[str] = []
    users = None
    if single_closed is not None:
        throughput, solver = closed.mva(network, single_closed)
        if not math.isfinite(throughput):
            raise ModelError(f"workload {single_closed.name!r}: no think time and no work, so "
                             "its throughput is unbounded")
        rates = {single_closed.name: throughput}
        users = single_closed.users
    else:
        rates = {w.name: w.rate_per_s * rate_scale for w in topology.workload if w.is_open}
        closed_workloads = [w for w in topology.workload if not w.is_open]
        if closed_workloads:
            rates.update(closed.fixed_point(network, rates, closed_workloads))
            notes.append(FIXED_POINT_NOTE)
        solver = Solver(network, network.node_rates(rates), open_wait, rates).solve()
    if topology.faults:
        notes.append("faults ignored: no failures are injected in the estimate")
    return _assemble(network, solver, rates, rate_scale, notes, users)


def _single_closed(network: Network) -> Any:
    workloads = network.topology.workload
    if len(workloads) != 1 or workloads[0].is_open:
        return None
    brokers = [n for n, kind in network.graph.nodes(data="kind") if kind in ("topic", "queue")]
    if any(network.visits[workloads[0].name].get(b) for b in brokers):
        return None
    return workloads[0]


def _assemble(network: Network, solver: Solver, rates: dict[str, float], rate_scale: float,
              notes: list[str], users: int | None) -> Analysis:
    topology = network.topology
    open_model = users is None
    trees = {w.name: labels.request_tree(network, w.to, open_model) for w in topology.workload}
    assessments = {s: labels.assess(network, solver, s, users) for s in network.stations}
    root_notes = {w.name: _workload_notes(network, solver, assessments, w)
                  for w in topology.workload}
    for name, spec in network.components.items():
        for sub in getattr(spec, "subscribers", ()):
            root = f"subscriber:{name}/{sub.to}"
            trees[root] = labels.request_tree(network, sub.to, open_model)
            root_notes[root] = ["handler requests come from consumers, not a Poisson stream"]
    station_notes = {s: list(a.notes) for s, a in assessments.items()}
    verdicts = labels.classify(trees, root_notes, station_notes,
                               labels.EXACT_CLOSED if users else labels.EXACT_OPEN, notes,
                               assessments)
    subscribers = {s.key: s for s in subscriber_estimates(network, solver,
                                                          _exact_streams(network, verdicts))}
    components = {name: _component(network, solver, name, trees, verdicts, station_notes, users)
                  for name in network.components}
    bottleneck, peak = _bottleneck(components, subscribers)
    sat = None if users else saturation(network, rate_scale, {
        w.name: rates[w.name] for w in topology.workload if not w.is_open})
    requests = {w.name: _request(network, solver, w, rates, trees[w.name], verdicts[w.name],
                                 users, sat, peak, assessments) for w in topology.workload}
    return Analysis(topology.name, rate_scale, requests, components, subscribers, bottleneck,
                    peak, sat, tuple(_warnings(components, subscribers)))


def _workload_notes(network: Network, solver: Solver,
                    assessments: dict[str, labels.Assessment], workload: Any) -> list[str]:
    notes = []
    if workload.is_open and workload.arrivals == "constant":
        entry = _entry_station(network, workload.to)
        if not (assessments[entry].kind == "special"
                and solver.loads[entry].arrivals == "deterministic"):
            notes.append(f"constant arrivals: c_a^2 = 0 at {entry} (Allen-Cunneen GI/G/c), "
                         "calls further on taken as Poisson")
    if workload.timeout is not None:
        notes.append("client timeout ignored (every request assumed to finish in time)")
    return notes


def _entry_station(network: Network, node: str) -> str:
    component, _ = node.split("/", 1)
    spec = network.components[component]
    return spec.target if spec.type == "load_balancer" else component


def _exact_streams(network: Network, verdicts: dict[str, labels.Verdict]) -> dict[str, bool]:
    """Per broker: whether its messages are a Poisson stream from exact request classes."""
    import networkx as nx

    out = {}
    graph = network.graph
    for broker, kind in graph.nodes(data="kind"):
        if kind not in ("topic", "queue"):
            continue
        chained = any(graph.nodes[a]["kind"] in ("topic", "queue")
                      for publisher in graph.predecessors(broker)
                      for a in nx.ancestors(graph, publisher))
        publishing = [k for k, visits in network.visits.items() if visits.get(broker)]
        out[broker] = not chained and all(verdicts[k].label == "exact" for k in publishing)
    return out


def _component(network: Network, solver: Solver, name: str, trees: dict[str, labels.Tree],
               verdicts: dict[str, labels.Verdict], notes: dict[str, list[str]],
               users: int | None) -> ComponentEstimate:
    spec = network.components[name]
    nodes = ([endpoint_node(name, e) for e in _endpoints(network, name)]
             if spec.type != "topic" and spec.type != "queue" else [name])
    visits = {k: sum(v.get(n, 0.0) for n in nodes) for k, v in network.visits.items()}
    visits = {k: v for k, v in visits.items() if v > 0}
    rate = sum(solver.rates.get(n, 0.0) for n in nodes)
    if spec.type == "load_balancer":
        return ComponentEstimate(name, spec.type, visits, rate, model=(
            f"delay {spec.latency.mean_s * 1000:g} ms + hop, policy {spec.policy}"))
    if spec.type not in SERVICE_KINDS:
        return ComponentEstimate(name, spec.type, visits, rate,
                                 model=f"{spec.type}, acknowledgement "
                                       f"{spec.latency.mean_s * 1000:g} ms")
    if not visits:
        return ComponentEstimate(name, spec.type, visits, 0.0, spec.replicas, spec.workers,
                                 offered_load=0.0, utilization=0.0, wait_s=0.0,
                                 model="no traffic")
    service = solver.service[name]
    wait = solver.waits[name]
    roots = [root for root, tree in trees.items() if name in tree.stations]
    approximate = [r for r in roots if verdicts[r].label != "exact"]
    exact = not notes[name] and (not approximate or labels.never_waits(solver.loads[name]))
    assumptions = notes[name]
    if approximate and not exact and not assumptions:
        assumptions = [f"through its traffic: {verdicts[approximate[0]].assumptions[0]}"]
    blocking = solver.blocking.get(name, 0.0) if spec.queue is not None else None
    return ComponentEstimate(
        name, spec.type, visits, rate, spec.replicas, spec.workers,
        service_s=service.mean if service.finite else None,
        offered_load=solver.utilization(name) * spec.replicas * spec.workers,
        utilization=solver.utilization(name),
        wait_s=wait.mean if wait.finite else None,
        model=_model(solver, name, users), label="exact" if exact else "approximate",
        assumptions=tuple(assumptions), blocking_probability=blocking,
        offered_utilization=solver.utilization(name, loaded=True))


def _endpoints(network: Network, name: str) -> list[str]:
    spec = network.components[name]
    if spec.type == "load_balancer":
        return list(network.components[spec.target].endpoints)
    return list(getattr(spec, "endpoints", ()))  # a registry has none


def _model(solver: Solver, name: str, users: int | None) -> str:
    load = solver.loads[name]
    service = solver.service[name]
    spread = f" x {load.queues} replicas" if load.queues > 1 else ""
    if load.queues == 1 and solver.net.components[name].replicas > 1:
        spread = " pooled over replicas"
    if users is not None:
        if load.servers >= users:
            return "delay (never queues: workers >= users)"
        if labels.never_waits(load):
            return f"delay (never queues: at most {load.bound} in flight)"
        kind = "MVA" if load.servers == 1 else f"MVA, Seidmann c={load.servers}"
        return kind + spread
    if labels.never_waits(load):
        return f"no wait (at most {load.bound} in flight <= {load.servers} workers)"
    gaps = {"deterministic": "D", "erlang": f"E{load.queues}"}.get(
        load.arrivals or "", "M" if load.ca2 == 1.0 else "G")
    work = "M" if service.exponential else ("D" if service.var == 0.0 else "G")
    blocking = solver.blocking.get(name, 0.0)
    room = ""
    if load.capacity is not None and (blocking > 0 or load.capacity == 0):
        room = f"/{load.servers + load.capacity}"
    shape = f"{gaps}/{work}/{load.servers}{room}{spread}"
    if room:
        shape += f", {blocking:.2%} rejected"
    return shape


def _bottleneck(components: dict[str, ComponentEstimate],
                subscribers: dict[str, SubscriberEstimate]) -> tuple[str | None, float | None]:
    ranked = [(c.utilization, n) for n, c in components.items() if c.utilization]
    ranked += [(s.utilization_max, k) for k, s in subscribers.items() if s.utilization_max]
    if not ranked:
        return None, None
    utilization, name = max(ranked, key=lambda pair: pair[0])
    return name, utilization


def _request(network: Network, solver: Solver, workload: Any, rates: dict[str, float],
             tree: labels.Tree, verdict: labels.Verdict, users: int | None,
             sat: Saturation | None, peak: float | None,
             assessments: dict[str, labels.Assessment]) -> RequestEstimate:
    response = solver.request(workload.to)
    unstable = tuple(sorted(s for s in tree.stations if solver.utilization(s) >= 1.0))
    visits: dict[str, float] = {}
    for node, count in network.visits[workload.name].items():
        component = node.split("/", 1)[0]
        visits[component] = visits.get(component, 0.0) + count
    exact = verdict.label == "exact"
    if users is not None:
        method = "exact MVA" if exact else "MVA over bottom-up responses (approximate)"
        saturation_rate = rates[workload.name] / peak if peak else None
    elif not workload.is_open:
        method = "fixed point X = N / (Z + R(X)) over the open estimate"
        saturation_rate = None
    else:
        special = labels.methods(tree, assessments)
        if not exact:
            method = "open network, bottom-up (approximate)"
        elif special:
            method = " + ".join(special)
        else:
            method = "M/M/c (Erlang C)" if len(tree.stations) == 1 else "open Jackson network"
        saturation_rate = sat.rates_per_s.get(workload.name) if sat else None
    return RequestEstimate(
        name=workload.name, kind="open" if workload.is_open else "closed",
        rate_per_s=rates[workload.name],
        mean_response_s=response.mean if response.finite else None, label=verdict.label,
        method=method, assumptions=verdict.assumptions, visits=visits, unstable=unstable,
        users=workload.users, think_s=workload.think, saturation_rate_per_s=saturation_rate,
        loss_probability=solver.failure(workload.to))


def _warnings(components: dict[str, ComponentEstimate],
              subscribers: dict[str, SubscriberEstimate]) -> list[str]:
    out = []
    for name, component in components.items():
        if not component.stable:
            out.append(f"{name}: utilization {component.utilization:.3f} >= 1: unstable (its "
                       "waiting line grows without bound, or its waiting room rejects)")
        elif (component.blocking_probability or 0.0) >= REJECTION_WARNING:
            out.append(f"{name}: its waiting room is full for {component.blocking_probability:.2%}"
                       f" of arrivals (offered utilization {component.offered_utilization:.3f}):"
                       " they are rejected")
    for key, subscriber in subscribers.items():
        if not subscriber.stable:
            out.append(f"{key}: consumer utilization {subscriber.utilization_max:.3f} >= 1: "
                       "the backlog grows without bound")
    return out
