"""Cross-reference checks over the plain data of a topology.

These run on the raw YAML data (defensively: a part that is malformed is skipped, since the
schema already reports it), so that reference errors are reported in the same run as type
errors. They check that every ``to`` names an existing component and endpoint (a load balancer
forwards the endpoint name to its target), that ``publish`` names a topic or queue, that there
is no cycle of synchronous calls (networkx), and the numeric relations between sections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

from archsim.errors import Issue, Loc
from archsim.spec.pydantic_errors import suggest, tidy
from archsim.spec.units import parse_duration
from archsim.spec.yamlload import Positions

SERVICE_TYPES = ("service", "database", "cache")
MAX_CALL_DEPTH = 64
"""Deepest synchronous call chain accepted (Python nests one generator frame per hop)."""
BROKER_TYPES = ("topic", "queue")
KNOWN_TYPES = (*SERVICE_TYPES, "load_balancer", *BROKER_TYPES, "registry")


class _Checker:
    def __init__(self, data: dict[str, Any], positions: Positions, filename: str) -> None:
        self.data = data
        self.positions = positions
        self.filename = filename
        self.issues: list[Issue] = []
        raw = data.get("components")
        self.has_components = isinstance(raw, dict)
        self.components: dict[str, dict[str, Any]] = {
            k: v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}
        # Components present but malformed (no mapping, unknown type): the schema reports
        # them, and references to them are not reported again.
        self.broken: set[str] = {
            str(k) for k, v in raw.items()
            if not isinstance(v, dict) or v.get("type") not in KNOWN_TYPES
        } if isinstance(raw, dict) else set()
        import networkx as nx

        self.graph: nx.DiGraph = nx.DiGraph()

    def add(self, loc: Loc, message: str, kind: str = "reference") -> None:
        line, col = self.positions.of_value(loc)
        self.issues.append(Issue(tidy(message), loc, self.filename, line, col, kind))

    def kind_of(self, name: str) -> str | None:
        comp = self.components.get(name)
        kind = comp.get("type") if comp else None
        return kind if isinstance(kind, str) else None

    def endpoints_of(self, name: str) -> list[str]:
        """Endpoint names reachable at ``name`` (through a load balancer to its target)."""
        comp = self.components.get(name, {})
        if comp.get("type") == "load_balancer":
            target = comp.get("target")
            if isinstance(target, str) and target != name:
                target_comp = self.components.get(target, {})
                if target_comp.get("type") in SERVICE_TYPES:
                    return self.endpoints_of(target)
            return []
        endpoints = comp.get("endpoints")
        return [str(e) for e in endpoints] if isinstance(endpoints, dict) else []

    def all_targets(self) -> list[str]:
        return [f"{c}/{e}" for c in self.components for e in self.endpoints_of(c)]

    def resolve(self, target: str) -> str:
        """Graph node for a call target: load balancers are resolved to their target."""
        comp, _, endpoint = target.partition("/")
        if self.kind_of(comp) == "load_balancer":
            inner = self.components[comp].get("target")
            if isinstance(inner, str):
                return f"{inner}/{endpoint}"
        return target

    def is_broken(self, name: str) -> bool:
        """Whether ``name`` is malformed (reported by the schema or another check)."""
        if name in self.broken:
            return True
        comp = self.components.get(name, {})
        if comp.get("type") == "load_balancer":
            target = comp.get("target")
            return not isinstance(target, str) or self.kind_of(target) not in SERVICE_TYPES \
                or self.is_broken(target)
        if comp.get("type") in SERVICE_TYPES:
            endpoints = comp.get("endpoints")
            return not isinstance(endpoints, dict) or not endpoints
        return False

    def check_target(self, loc: Loc, target: Any, what: str) -> bool:
        """Check a ``component/endpoint`` reference to a service or load balancer."""
        if not isinstance(target, str) or target.count("/") != 1 or not self.has_components:
            return False  # the schema reports the shape
        comp, endpoint = target.split("/")
        kind = self.kind_of(comp)
        if self.is_broken(comp):
            return False
        if comp not in self.components:
            hint = suggest(target, self.all_targets())
            self.add(loc, f"{what} '{target}' names no component '{comp}'; components are: "
                     f"{', '.join(self.components) or '(none)'}.{hint}")
            return False
        if kind in BROKER_TYPES:
            self.add(loc, f"'{comp}' is a {kind}; send messages to it with 'publish: {comp}'")
            return False
        if kind == "registry":
            self.add(loc, f"'{comp}' is a registry; callers use it with 'discovery: {comp}'")
            return False
        if kind not in SERVICE_TYPES and kind != "load_balancer":
            return False
        endpoints = self.endpoints_of(comp)
        if endpoint not in endpoints:
            hint = suggest(target, self.all_targets())
            known = ", ".join(endpoints) or "(none)"
            self.add(loc, f"unknown endpoint '{target}': '{comp}' has {known}.{hint}")
            return False
        return True

    def run(self) -> list[Issue]:
        for name, comp in self.components.items():
            kind = comp.get("type")
            loc: Loc = ("components", name)
            if kind in SERVICE_TYPES:
                self.check_service(name, comp, loc)
            elif kind == "load_balancer":
                self.check_balancer(name, comp, loc)
            elif kind in BROKER_TYPES:
                self.check_broker(comp, loc)
        self.check_workload()
        self.check_faults()
        self.check_slos()
        self.check_cycles()
        return self.issues

    def check_service(self, name: str, comp: dict[str, Any], loc: Loc) -> None:
        endpoints = comp.get("endpoints")
        if not isinstance(endpoints, dict):
            return
        for ep_name, endpoint in endpoints.items():
            node = f"{name}/{ep_name}"
            self.graph.add_node(node)
            if isinstance(endpoint, dict) and isinstance(endpoint.get("calls"), list):
                ep_loc = (*loc, "endpoints", ep_name, "calls")
                for step, step_loc in _walk_steps(endpoint["calls"], ep_loc):
                    self.check_step(node, step, step_loc)
        self.check_miss(name, comp, loc)
        self.check_discovery(comp, loc)
        self.check_zones(comp, loc)

    def check_miss(self, name: str, comp: dict[str, Any], loc: Loc) -> None:
        """A cache's ``miss`` steps: their targets, and call-graph edges from every endpoint."""
        miss, endpoints = comp.get("miss"), comp.get("endpoints")
        if not isinstance(miss, list) or not isinstance(endpoints, dict) or not endpoints:
            return
        nodes = [f"{name}/{e}" for e in endpoints]
        before = set(self.graph.successors(nodes[0]))
        for step, step_loc in _walk_steps(miss, (*loc, "miss")):
            self.check_step(nodes[0], step, step_loc)
        for target in set(self.graph.successors(nodes[0])) - before:
            edge_loc = self.graph.edges[nodes[0], target]["loc"]
            for node in nodes[1:]:
                self.graph.add_edge(node, target, loc=edge_loc)

    def check_discovery(self, comp: dict[str, Any], loc: Loc) -> None:
        """``discovery`` names a registry component."""
        name = comp.get("discovery")
        if not isinstance(name, str) or not self.has_components or name in self.broken:
            return
        registries = [c for c in self.components if self.kind_of(c) == "registry"]
        if name not in self.components:
            self.add((*loc, "discovery"), f"expected a registry component, got '{name}', "
                     f"which is not a component; registries are: "
                     f"{', '.join(registries) or '(none)'}.{suggest(name, registries)}")
        elif self.kind_of(name) != "registry":
            self.add((*loc, "discovery"), f"expected a registry component, got '{name}', a "
                     f"{self.kind_of(name)}")

    def check_zones(self, comp: dict[str, Any], loc: Loc) -> None:
        """``zone`` and ``replica_zones`` name zones of ``network.zones``."""
        network = self.data.get("network")
        zones = network.get("zones") if isinstance(network, dict) else None
        known = [str(z) for z in zones] if isinstance(zones, dict) else []
        named: list[tuple[Loc, Any]] = [((*loc, "zone"), comp.get("zone"))]
        replica_zones = comp.get("replica_zones")
        if isinstance(replica_zones, list):
            named += [((*loc, "replica_zones", i), z) for i, z in enumerate(replica_zones)]
        for zone_loc, zone in named:
            if isinstance(zone, str) and zone not in known:
                self.add(zone_loc, f"expected a zone of network.zones "
                         f"({', '.join(known) or 'none declared'}), got '{zone}'."
                         f"{suggest(zone, known)}")

    def check_step(self, node: str, step: dict[str, Any], loc: Loc) -> None:
        if "to" in step:
            if self.check_target((*loc, "to"), step["to"], "call to"):
                self.graph.add_edge(node, self.resolve(step["to"]), loc=(*loc, "to"))
        elif "publish" in step:
            target = step["publish"]
            if not isinstance(target, str):
                return
            brokers = [c for c in self.components if self.kind_of(c) in BROKER_TYPES]
            if not self.has_components or target in self.broken:
                return
            if target not in self.components:
                self.add((*loc, "publish"), f"publish to '{target}', which is not a component; "
                         f"topics and queues are: {', '.join(brokers) or '(none)'}."
                         f"{suggest(target, brokers)}")
            elif self.kind_of(target) not in BROKER_TYPES:
                self.add((*loc, "publish"), f"publish needs a topic or queue, but '{target}' is "
                         f"a {self.kind_of(target)}; call it with 'to: {target}/ENDPOINT'")

    def check_balancer(self, name: str, comp: dict[str, Any], loc: Loc) -> None:
        limit = comp.get("rate_limit")
        if isinstance(limit, dict) and limit.get("per") == "replica":
            self.add((*loc, "rate_limit", "per"), "a load balancer is one instance, so its "
                     "rate limit is one bucket; 'per: replica' applies to services (put it on "
                     "the service it forwards to)", "value")
        target = comp.get("target")
        if not isinstance(target, str) or target in self.broken:
            return
        services = [c for c in self.components if self.kind_of(c) in SERVICE_TYPES]
        if target not in self.components:
            self.add((*loc, "target"), f"load balancer target '{target}' is not a component; "
                     f"services are: {', '.join(services) or '(none)'}.{suggest(target, services)}")
        elif self.kind_of(target) not in SERVICE_TYPES:
            self.add((*loc, "target"), f"a load balancer forwards to a service, database or "
                     f"cache, but '{target}' is a {self.kind_of(target)}")

    def check_broker(self, comp: dict[str, Any], loc: Loc) -> None:
        self.check_dead_letter(comp, loc)
        subscribers = comp.get("subscribers")
        if not isinstance(subscribers, list):
            return
        groups: dict[str, int] = {}
        for index, sub in enumerate(subscribers):
            if not isinstance(sub, dict):
                continue
            self.check_target((*loc, "subscribers", index, "to"), sub.get("to"), "subscriber")
            group = sub.get("group")
            if isinstance(group, str):
                if group in groups:
                    first = groups[group]
                    self.add((*loc, "subscribers", index, "group"),
                             f"duplicate consumer group '{group}' (also subscribers[{first}])",
                             "duplicate")
                groups.setdefault(group, index)

    def check_dead_letter(self, comp: dict[str, Any], loc: Loc) -> None:
        target = comp.get("dead_letter")
        if not isinstance(target, str):
            return
        brokers = [c for c in self.components if self.kind_of(c) in BROKER_TYPES]
        if target == loc[-1]:
            self.add((*loc, "dead_letter"), f"a {comp.get('type')} cannot be its own dead-letter "
                     "destination")
        elif target not in self.components:
            self.add((*loc, "dead_letter"), f"dead_letter '{target}' is not a component; topics "
                     f"and queues are: {', '.join(brokers)}.{suggest(target, brokers)}")
        elif self.kind_of(target) not in BROKER_TYPES:
            self.add((*loc, "dead_letter"), f"dead_letter needs a topic or queue, but "
                     f"'{target}' is a {self.kind_of(target)}")

    def check_workload(self) -> None:
        workload = self.data.get("workload")
        if not isinstance(workload, list):
            return
        seen: dict[str, int] = {}
        for index, entry in enumerate(workload):
            if not isinstance(entry, dict):
                continue
            name = entry.get("name")
            if isinstance(name, str):
                if name in seen:
                    self.add(("workload", index, "name"), f"duplicate request class '{name}' "
                             f"(also workload[{seen[name]}])", "duplicate")
                seen.setdefault(name, index)
            self.check_target(("workload", index, "to"), entry.get("to"), "workload target")

    def check_faults(self) -> None:
        faults = self.data.get("faults")
        if not isinstance(faults, list):
            return
        for index, fault in enumerate(faults):
            if not isinstance(fault, dict) or not isinstance(fault.get("component"), str):
                continue
            name = fault["component"]
            if not self.has_components or name in self.broken:
                continue
            if name not in self.components:
                self.add(("faults", index, "component"), f"fault on '{name}', which is not a "
                         f"component.{suggest(name, self.components)}")
                continue
            component = self.components[name]
            kind = component.get("type") if isinstance(component, dict) else None
            down = fault.get("replicas_down")
            if kind == "topic":  # replicas_down takes partitions offline
                replicas, what = component.get("partitions", 1), "partition(s)"
            else:
                replicas, what = component.get("replicas", 1), "replica(s)"
            if isinstance(down, int) and isinstance(replicas, int) and down > replicas:
                self.add(("faults", index, "replicas_down"), f"'{name}' has {replicas} "
                         f"{what}, got replicas_down={down}", "value")
            if "latency_factor" in fault:
                self.check_slowdown(index, name, kind, component)

    def check_slowdown(self, index: int, name: str, kind: object,
                       component: dict[str, Any]) -> None:
        """A ``latency_factor`` needs something to slow: a ``latency``, or some ``work``."""
        loc: Loc = ("faults", index, "latency_factor")
        if kind in ("load_balancer", "topic", "queue", "registry"):
            if _zero_duration(component.get("latency")):
                where = "the services that use it" if kind == "registry" else "a service behind it"
                self.add(loc, f"'{name}' is a {kind} with no 'latency' to slow down; give it "
                         f"a 'latency' or put the fault on {where}", "value")
        elif kind in SERVICE_TYPES and not _has_work(component):
            self.add(loc, f"'{name}' is a {kind} with no 'work' in any endpoint to slow down "
                     "(a latency_factor multiplies work); give an endpoint some 'work' or put "
                     "the fault on a component it calls", "value")

    def check_slos(self) -> None:
        slos = self.data.get("slos")
        workload = self.data.get("workload")
        if not isinstance(slos, list) or not isinstance(workload, list):
            return
        names = [w.get("name") for w in workload if isinstance(w, dict)]
        for index, slo in enumerate(slos):
            request = slo.get("request") if isinstance(slo, dict) else None
            if isinstance(request, str) and request != "*" and request not in names:
                known = [str(n) for n in names]
                self.add(("slos", index, "request"), f"no request class '{request}'; classes "
                         f"are: {', '.join(known)} or '*'.{suggest(request, known)}")

    def check_cycles(self) -> None:
        import networkx as nx

        for component in nx.strongly_connected_components(self.graph):
            nodes = sorted(component)
            if len(nodes) == 1 and not self.graph.has_edge(nodes[0], nodes[0]):
                continue
            cycle = nx.find_cycle(self.graph.subgraph(nodes), source=nodes[0])
            loc = self.graph.edges[cycle[0][0], cycle[0][1]]["loc"]
            path = " -> ".join([cycle[0][0], *(edge[1] for edge in cycle)])
            self.add(loc, f"cycle of synchronous calls: {path}", "cycle")
        if nx.is_directed_acyclic_graph(self.graph):
            self.check_depth(nx.dag_longest_path(self.graph))

    def check_depth(self, chain: list[str]) -> None:
        """Refuse synchronous call chains deeper than MAX_CALL_DEPTH (each hop nests a call)."""
        if len(chain) - 1 <= MAX_CALL_DEPTH:
            return
        first, second = chain[MAX_CALL_DEPTH], chain[MAX_CALL_DEPTH + 1]
        loc = self.graph.edges[first, second]["loc"]
        self.add(loc, f"expected synchronous call chains of at most {MAX_CALL_DEPTH} hops, got "
                 f"{len(chain) - 1} ({chain[0]} -> ... -> {chain[-1]}); this call is hop "
                 f"{MAX_CALL_DEPTH + 1}", "depth")


def _walk_steps(steps: list[Any], loc: Loc) -> Iterator[tuple[dict[str, Any], Loc]]:
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("parallel"), list):
            yield from _walk_steps(step["parallel"], (*loc, index, "parallel"))
        else:
            yield step, (*loc, index)


def _has_work(component: dict[str, Any]) -> bool:
    """Whether an endpoint of a service-like component has work (its own or in a step), or
    a cache's ``miss`` steps have."""
    endpoints = component.get("endpoints")
    if not isinstance(endpoints, dict):
        return True  # malformed: the schema reports it
    miss = component.get("miss")
    if isinstance(miss, list) and any("work" in step and not _zero_duration(step["work"])
                                      for step, _ in _walk_steps(miss, ())):
        return True
    for endpoint in endpoints.values():
        if not isinstance(endpoint, dict):
            return True
        if not _zero_duration(endpoint.get("work")):
            return True
        calls = endpoint.get("calls")
        steps = _walk_steps(calls, ()) if isinstance(calls, list) else ()
        if any("work" in step and not _zero_duration(step["work"]) for step, _ in steps):
            return True
    return False


def check_references(data: Any, positions: Positions, filename: str) -> list[Issue]:
    """Every cross-reference problem in the plain data of a topology, located.

    Returns an empty list when ``data`` is not a mapping (the schema reports that).
    """
    if not isinstance(data, dict):
        return []
    return _Checker(data, positions, filename).run()


def _zero_duration(value: object) -> bool:
    """Whether a ``latency`` value is a duration of zero (not a distribution)."""
    if value is None or (isinstance(value, (int, float)) and value == 0):  # absent, or 0
        return True
    try:
        return parse_duration(value) == 0
    except (TypeError, ValueError):
        return False
