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
from archsim.analysis.analytic.network import FLATTO_HAHN, NELSON_TANTAWI, plain
from archsim.spec.components import SERVICE_KINDS
from archsim.spec.steps import CallStep, ParallelStep, PublishStep, WorkStep

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


PURE_DELAYS = "network and balancer latency are pure delays"


@dataclass
class Tree:
    """What one request (or one consumed message) visits synchronously.

    ``notes`` say what is approximate on the way; ``exact`` names the exact models of steps
    beyond product form (a Flatto-Hahn fork-join).
    """

    stations: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    exact: list[str] = field(default_factory=list)
    open_model: bool = True


def request_tree(network: Network, entry: str, open_model: bool = True) -> Tree:
    """Stations and non-product-form steps reached from ``entry`` by synchronous calls
    (``open_model``: the fork-join queue formulas apply, which need Poisson arrivals)."""
    tree = Tree(open_model=open_model)
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
            count = len(step.parallel)
            kind = network.fork_kind(node, step) if count > 1 and tree.open_model else None
            if kind == FLATTO_HAHN:
                tree.exact.append(f"{node}: a two-way fork-join queue (Poisson forks, two "
                                  "identical exponential single-worker services fed only by "
                                  "the fork): Flatto-Hahn mean (12 - rho) / 8 / (mu - lambda)")
            elif kind == NELSON_TANTAWI:
                tree.notes.append(f"{node}: a {count}-way fork-join queue of identical "
                                  "exponential single-worker services: Nelson-Tantawi "
                                  "approximation (a few percent)")
            elif count > 1:
                tree.notes.append(f"{node}: parallel branches taken as independent "
                                  "gamma-shaped times (fork-join mean by integration)")
            _walk_steps(network, node, step.parallel, tree, seen)


@dataclass(frozen=True, slots=True)
class Assessment:
    """Whether one station's mean wait is exact, and why or why not.

    ``kind`` is ``"product-form"`` (no notes; exact inside a product-form network),
    ``"special"`` (exact by a model beyond product form, described by ``model`` and named by
    ``method``), ``"delay"`` (never waits), ``"idle"`` (no traffic or no work) or
    ``"approximate"`` (``notes`` say why).
    """

    kind: str
    notes: tuple[str, ...] = ()
    model: str = ""
    method: str = ""


def station_notes(network: Network, solver: Solver, name: str,
                  users: int | None = None) -> list[str]:
    """Why station ``name`` has no exact mean wait (empty when it has one)."""
    return list(assess(network, solver, name, users).notes)


def assess(network: Network, solver: Solver, name: str,
           users: int | None = None) -> Assessment:
    """The :class:`Assessment` of station ``name`` (``users``: a closed population)."""
    load = solver.loads[name]
    service = solver.service.get(name)
    if never_waits(load) and load.rate > 0:
        return Assessment("delay", model=(
            f"{name}: never waits (at most {load.bound} in flight for {load.servers} "
            f"worker{'s' if load.servers > 1 else ''})"))
    notes = _notes(network, solver, name, users)
    if service is None or service.is_zero or load.rate <= 0:
        return Assessment("idle", tuple(notes))
    smooth = load.arrivals in ("deterministic", "erlang")  # clients' gaps, not Poisson
    if not notes and not smooth:
        return Assessment("product-form")
    if users is None:
        special = _special(network, solver, name)
        if special is not None:
            return special
    if not notes:
        notes = [f"{name}: arrivals smoother than Poisson (c_a^2 = {load.ca2:.2f}): "
                 "Allen-Cunneen GI/G/c wait"]
    return Assessment("approximate", tuple(notes))


def _notes(network: Network, solver: Solver, name: str, users: int | None) -> list[str]:
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
        if users is None and solver.blocking.get(name, 0.0) > 0:
            notes.append(f"{name}: waiting room of {spec.queue} per replica: blocking and wait "
                         "of M/M/c/K shaped by M/G/1/K (mean and cv of the service time)")
        else:
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


def _special(network: Network, solver: Solver, name: str) -> Assessment | None:
    """An exact model beyond product form for a station fed straight by clients whose
    departures meet no queue (module docstring), or None."""
    spec = network.components[name]
    load = solver.loads[name]
    service = solver.service[name]
    arrivals = load.arrivals
    if (arrivals is None or not service.finite or not plain(spec)
            or getattr(spec, "read_replicas", 0) or getattr(spec, "has_misses", False)):
        return None
    visited = [(endpoint_node(name, e), body) for e, body in spec.endpoints.items()
               if solver.weights.get(endpoint_node(name, e))]
    if spec.io == "nonblocking" and any(_work_in(body.calls) for _, body in visited):
        return None  # a second pass through the line: not one service time per visit
    if not all(_meets_no_queue(network, solver, body.calls) for _, body in visited):
        return None
    servers, room = load.servers, load.capacity
    blocked = solver.blocking.get(name, 0.0)
    workers = f"{servers} worker{'s' if servers > 1 else ''}"
    calls = any(body.calls for _, body in visited)
    if room == 0:
        if arrivals == "poisson":
            rejected = (f"Erlang's loss system M/G/{servers}/{servers}: {blocked:.4g} of "
                        "arrivals rejected, B(c, a), whatever the work distribution")
        elif servers == 1 and service.exponential:
            rejected = f"{blocked:.4g} of arrivals rejected (GI/M/1/1)"
        else:
            rejected = f"about {blocked:.4g} of arrivals rejected (Erlang B, approximate)"
        return Assessment("special", model=(
            f"{name}: no waiting room: accepted requests never wait, so their mean is that of "
            f"the work ({rejected})"), method="loss system (no wait)")
    if room is not None:
        shape = f"{servers + room}"
        if arrivals == "poisson" and service.exponential:
            return Assessment("special", model=(
                f"{name}: Poisson arrivals, exponential work, {workers} and {room} waiting "
                f"places per line: M/M/{servers}/{shape} (mean of the accepted requests; "
                f"{blocked:.4g} of arrivals rejected)"), method="M/M/c/K")
        if servers != 1:
            return None
        if arrivals == "poisson" and not calls and _gamma_work(visited):
            return Assessment("special", model=(
                f"{name}: Poisson arrivals, one worker, {room} waiting places per line and "
                "work of the gamma family (constant, Erlang, gamma): M/G/1/K by the Markov "
                f"chain embedded at departures (mean of the accepted requests; {blocked:.4g} "
                "of arrivals rejected)"), method="M/G/1/K (embedded Markov chain)")
        if arrivals in ("erlang", "deterministic") and service.exponential:
            gaps, kind = _gaps(arrivals, load.queues)
            return Assessment("special", model=(
                f"{name}: {gaps} at one worker with exponential work and {room} waiting "
                f"places: {kind}/M/1/{shape} by the Markov chain embedded at arrivals (mean "
                f"of the accepted requests; {blocked:.4g} of arrivals rejected)"),
                method=f"{kind}/M/1/K (embedded Markov chain)")
        return None
    if servers != 1:
        return None
    if arrivals == "poisson":
        held = (" Its worker is held through calls to services that never wait, so its "
                "service time is its work plus hops plus their work (independent draws)."
                if calls and spec.io == "blocking" else "")
        return Assessment("special", model=(
            f"{name}: Poisson arrivals at one worker with an unbounded waiting room: M/G/1, "
            "Pollaczek-Khinchine mean wait (exact for any service time distribution)." + held),
            method="M/G/1 (Pollaczek-Khinchine)")
    if not service.exponential:
        return None
    gaps, kind = _gaps(arrivals, load.queues)
    return Assessment("special", model=(
        f"{name}: {gaps} at one worker with exponential work and an unbounded waiting room: "
        f"{kind}/M/1, the GI/M/1 mean wait"), method=f"{kind}/M/1 (GI/M/1)")


def _gaps(arrivals: str, lines: int) -> tuple[str, str]:
    if arrivals == "deterministic":
        return "constant gaps between arrivals", "D"
    return (f"a Poisson stream dealt round robin over {lines} replicas (Erlang-{lines} gaps)",
            f"E{lines}")


GAMMA_FAMILY = ("exponential", "constant", "erlang", "gamma")


def _gamma_work(visited: list[tuple[str, Any]]) -> bool:
    """Whether every visited endpoint's work is one and the same gamma-family law."""
    laws = {(body.work.mean_s, body.work.cv) for _, body in visited}  # a gamma law's pair
    return len(laws) == 1 and all(body.work.dist in GAMMA_FAMILY for _, body in visited)


def _work_in(steps: tuple[Any, ...]) -> bool:
    for step in steps:
        if isinstance(step, WorkStep):
            return True
        if isinstance(step, ParallelStep) and _work_in(step.parallel):
            return True
    return False


def _meets_no_queue(network: Network, solver: Solver, steps: tuple[Any, ...]) -> bool:
    """Whether every call of ``steps`` (and theirs, down) reaches services that never wait,
    without publishes, fork-joins, timeouts or retries: the time taken is a sum of independent
    draws, and no queue sees the caller's departures."""
    for step in steps:
        if isinstance(step, PublishStep) and step.p > 0:
            return False
        if isinstance(step, ParallelStep):
            if len(step.parallel) > 1 or not _meets_no_queue(network, solver, step.parallel):
                return False
        if not isinstance(step, CallStep) or step.p <= 0:
            continue
        if (step.timeout is not None or (step.retries is not None and step.retries.max)
                or getattr(step, "circuit_breaker", None) is not None):
            return False
        component, endpoint = step.component, step.endpoint
        spec = network.components[component]
        if spec.type == "load_balancer":
            component = spec.target
            spec = network.components[component]
        if (spec.type not in SERVICE_KINDS or not never_waits(solver.loads[component])
                or not plain(spec)):
            return False
        if not _meets_no_queue(network, solver, spec.endpoints[endpoint].calls):
            return False
    return True


def never_waits(load: StationLoad) -> bool:
    """Whether the station can never have more requests in flight than workers per line
    (its callers, consumers or users are too few)."""
    return load.bound is not None and load.bound <= load.servers


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
             global_notes: list[str],
             assessments: dict[str, Assessment] | None = None) -> dict[str, Verdict]:
    """Label every root (request class or subscriber) by its connected component.

    ``roots`` maps a root to its tree, ``root_notes`` adds root-level breaks (constant
    arrivals, client timeouts, consumer-driven handlers), ``stations`` maps a station to its
    breaks; ``global_notes`` (faults, fixed-point solution) make everything approximate.
    ``assessments`` (per station) name the exact models beyond product form: an exact root
    that meets one rests on those models rather than on ``exact_text`` alone.
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
                verdicts[root] = Verdict("exact", _exact_basis(tree, exact_text,
                                                               assessments or {}))
                continue
            if broken and not own:
                shared = sorted(s for _, s in (n for n in part if n[0] == "station")
                                if s in tree.stations)
                cause = bad[broken[0]][0]
                own = [f"shares {', '.join(shared)} with traffic that is not product-form "
                       f"({cause})"]
            verdicts[root] = Verdict("approximate", tuple(dict.fromkeys([*own, *global_notes])))
    return verdicts


def _exact_basis(tree: Tree, exact_text: tuple[str, ...],
                 assessments: dict[str, Assessment]) -> tuple[str, ...]:
    """What an exact root rests on: the product-form conditions, the exact models beyond
    product form it meets, or both."""
    met = [assessments[s] for s in sorted(tree.stations) if s in assessments]
    if not tree.exact and not any(a.kind == "special" for a in met):
        return exact_text
    models = [a.model for a in met if a.kind in ("special", "delay")] + tree.exact
    if any(a.kind == "product-form" for a in met):
        return tuple(dict.fromkeys([*models, *exact_text]))
    return (*models, PURE_DELAYS)


def methods(tree: Tree, assessments: dict[str, Assessment]) -> list[str]:
    """Short names of the exact models beyond product form that ``tree`` meets."""
    found = [assessments[s].method for s in sorted(tree.stations)
             if s in assessments and assessments[s].kind == "special"]
    if tree.exact:
        found.append("fork-join queue (Flatto-Hahn)")
    return list(dict.fromkeys(found))
