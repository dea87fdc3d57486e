"""Wire failure handling into a built model, and collect its figures per replication.

Everything here is decided once at build time: services get a
:class:`~archsim.model.guard.ServeGuard` only when they need one (a rate limit, deadline
propagation, a fault, or any timeout in the topology, for wasted work); call steps become
:class:`~archsim.model.resilience.ResilientCallOp` only when they configure a timeout, retries,
a breaker or discovery. A topology without any of it builds exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.model.balancer import BalancerRuntime
from archsim.model.breaker import Breaker
from archsim.model.broker import Broker
from archsim.model.discovery import DiscoveryCache, RegistryRuntime
from archsim.model.errors import RateLimited, RequestError
from archsim.model.faults import FaultState, HealthChecker, Slowdown, schedule, slow_down
from archsim.model.guard import ServeGuard
from archsim.model.ratelimit import ReplicaBuckets, TokenBucket
from archsim.model.resilience import EdgeStats, ResilientCallOp, RetryBudget, Ticket, tracked
from archsim.model.service import ServiceRuntime

if TYPE_CHECKING:
    from archsim.model.client import Client
    from archsim.model.context import Context
    from archsim.spec.schema import Topology
    from archsim.spec.steps import CallStep


@dataclass(frozen=True, slots=True)
class FailureStats:
    """Failure-handling figures of one replication's measured window (picklable)."""

    services: dict[str, dict[str, Any]]
    rate_limited: dict[str, dict[str, int]]
    breakers: dict[str, dict[str, Any]]
    calls: dict[str, dict[str, Any]]
    discovery: dict[str, dict[str, Any]]


class FailureState:
    """The failure-handling parts of one replication (``ctx.failures``)."""

    def __init__(self) -> None:
        self.guards: dict[str, ServeGuard] = {}
        self.limiters: dict[str, TokenBucket | ReplicaBuckets] = {}
        self.breakers: dict[str, Breaker] = {}
        self.edges: dict[str, EdgeStats] = {}
        self.caches: dict[str, DiscoveryCache] = {}
        self.faults: dict[str, FaultState] = {}  # balancers, topics and queues with faults

    def reset(self) -> None:
        """Start the measured window."""
        for part in (*self.guards.values(), *self.limiters.values(), *self.breakers.values(),
                     *self.edges.values(), *self.caches.values(), *self.faults.values()):
            part.reset()

    def stats(self) -> FailureStats:
        """Figures of the measured window."""
        services = {name: {"wasted_work_s": g.wasted_s, "abandoned": g.abandoned,
                           "dropped": g.dropped, "down_refused": g.refused_down,
                           "down_lost": g.lost, "fault_errors": g.faulted,
                           "last_down_error_s": g.last_down_error_s}
                    for name, g in self.guards.items()}
        services.update({name: f.stats() for name, f in self.faults.items()})
        limited = {name: {"admitted": b.admitted, "rejected": b.rejected}
                   for name, b in self.limiters.items()}
        return FailureStats(services, limited,
                            {name: b.stats() for name, b in self.breakers.items()},
                            {name: e.stats() for name, e in self.edges.items()},
                            {name: c.stats() for name, c in self.caches.items()})


def state_of(ctx: Context) -> FailureState:
    """``ctx.failures``, created on first use."""
    if ctx.failures is None:
        ctx.failures = FailureState()
    return ctx.failures  # type: ignore[no-any-return]


def needs_resilience(step: CallStep, caller: ServiceRuntime, callee: Any) -> bool:
    """Whether a call step needs :class:`ResilientCallOp` rather than a plain call."""
    callee_spec = getattr(callee, "spec", None)
    return bool(step.timeout is not None or step.retries is not None
                or step.circuit_breaker is not None
                or getattr(callee_spec, "circuit_breaker", None) is not None
                or getattr(caller.spec, "discovery", None) is not None)


def prefix_of(stream: str) -> str:
    """The endpoint name in a compiled step's stream name (``service/endpoint/index...``)."""
    parts = stream.split("/")
    return parts[1] if len(parts) > 1 else stream


def configure_call(op: ResilientCallOp, step: CallStep, caller: ServiceRuntime,
                   endpoint: str, ctx: Context) -> None:
    """Give a resilient call its counters, breaker, retry budget and discovery cache."""
    state = state_of(ctx)
    key = f"{caller.name}/{endpoint} -> {step.to}"
    suffix = 2
    while key in state.edges:
        key = f"{caller.name}/{endpoint} -> {step.to} #{suffix}"
        suffix += 1
    edge = state.edges[key] = EdgeStats(f"{caller.name}/{endpoint}", step.to)
    breaker = None
    if step.circuit_breaker is not None:
        breaker = state.breakers[key] = Breaker(ctx.env, key, step.circuit_breaker)
    else:
        callee = ctx.components[step.component]
        shared = getattr(getattr(callee, "spec", None), "circuit_breaker", None)
        if shared is not None:
            name = f"{caller.name} -> {step.component}"
            breaker = state.breakers.get(name)
            if breaker is None:
                breaker = state.breakers[name] = Breaker(ctx.env, name, shared)
    retries = step.retries
    budget = RetryBudget(retries.budget) if retries and retries.budget is not None else None
    discovery = None
    registry_name = getattr(caller.spec, "discovery", None)
    if registry_name is not None:
        discovery = state.caches.get(caller.name)
        if discovery is None:
            registry = ctx.components[registry_name]
            assert isinstance(registry, RegistryRuntime)
            discovery = state.caches[caller.name] = DiscoveryCache(caller.name, registry)
    propagate = getattr(caller.spec, "deadline", "ignore") == "propagate"
    op.configure(edge, breaker, budget, discovery, step.component, propagate)


def install_failures(topology: Topology, ctx: Context, clients: list[Client]) -> None:
    """Guards, faults, health checks, rate limits and client deadlines (after compile)."""
    timed = any(w.timeout is not None for w in topology.workload) or any(
        e.timeout_s is not None for e in _resilient_ops(ctx))
    targets = {f.component for f in topology.faults}
    guards: dict[str, ServeGuard] = {}
    slowdowns: dict[str, Slowdown] = {}
    for name, runtime in ctx.components.items():
        if not isinstance(runtime, ServiceRuntime):
            continue
        spec: Any = runtime.spec
        limit = getattr(spec, "rate_limit", None)
        propagate = getattr(spec, "deadline", "ignore") == "propagate"
        if not (timed or limit or propagate or name in targets):
            continue
        bucket = None
        if limit is not None:
            kind = ReplicaBuckets if limit.per == "replica" else TokenBucket
            bucket = state_of(ctx).limiters[name] = kind(ctx.env, limit.rate, limit.burst)
        guard = guards[name] = state_of(ctx).guards[name] = ServeGuard(runtime, ctx, bucket,
                                                                       propagate)
        guard.install()
    for fault in topology.faults:
        target = ctx.components[fault.component]
        guard = guards.get(fault.component)
        if guard is not None and fault.replicas_down is not None:
            guard.crashable = True
        state = _fault_state(target, ctx)
        slowdown = None
        if fault.latency_factor is not None and fault.component not in slowdowns:
            if isinstance(target, ServiceRuntime):
                slowdowns[fault.component] = slow_down(target)
            elif state is not None:  # a balancer's or broker's latency
                slowdowns[fault.component] = _slow_latency(target)
        slowdown = slowdowns.get(fault.component)
        schedule(ctx.env, fault, target, guard, slowdown, state)
    for name, runtime in ctx.components.items():
        spec = getattr(runtime, "spec", None)
        check = getattr(spec, "health_check", None)
        if isinstance(runtime, BalancerRuntime):
            if check is not None and runtime.target is not None:
                checker = HealthChecker(ctx.env, check.interval, runtime.target.replicas,
                                        guards.get(runtime.target.name), spec.policy,
                                        ctx.rng(f"health:{name}"))
                runtime.pick = checker.wrap(runtime.pick)
            if spec.rate_limit is not None:  # type: ignore[union-attr]
                _limit_balancer(runtime, ctx)
            state = state_of(ctx).faults.get(name) if ctx.failures is not None else None
            if state is not None:  # outermost: a balancer that is down takes no token
                _fault_balancer(runtime, state)
        elif isinstance(runtime, ServiceRuntime) and check is not None:
            checker = HealthChecker(ctx.env, check.interval, runtime.replicas, guards.get(name),
                                    spec.policy, ctx.rng(f"health:{name}"))
            runtime.pick = checker.wrap(runtime.pick)
    for client in clients:
        if client.timeout_s is not None and (timed or guards):
            _track_client(client, ctx)


def _resilient_ops(ctx: Context) -> list[ResilientCallOp]:
    found: list[ResilientCallOp] = []

    def visit(ops: list[Any]) -> None:
        for op in ops:
            if isinstance(op, ResilientCallOp):
                found.append(op)
            visit(getattr(op, "branches", []))

    for runtime in ctx.components.values():
        if isinstance(runtime, ServiceRuntime):
            for endpoint in runtime.endpoints.values():
                visit(endpoint.ops)
    return found


def _limit_balancer(balancer: BalancerRuntime, ctx: Context) -> None:
    limit: Any = balancer.spec.rate_limit
    bucket = state_of(ctx).limiters[balancer.name] = TokenBucket(ctx.env, limit.rate,
                                                                 limit.burst)
    name = balancer.name
    entry = balancer.entry

    def limited_entry(endpoint: str) -> Callable[[], Any]:
        forward = entry(endpoint)
        return lambda: forward() if bucket.take() else _raising(RateLimited(name))

    balancer.entry = limited_entry  # type: ignore[method-assign]  # steps() goes through it


def _fault_state(target: Any, ctx: Context) -> FaultState | None:
    """The :class:`FaultState` of a faulted balancer, topic or queue (None for others)."""
    if not isinstance(target, (BalancerRuntime, Broker)):
        return None
    faults = state_of(ctx).faults
    state = faults.get(target.name)
    if state is None:
        state = faults[target.name] = FaultState(target.name, ctx.rng(f"fault:{target.name}"))
        if isinstance(target, Broker):
            target.attach_fault(state)
    return state


def _slow_latency(target: BalancerRuntime | Broker) -> Slowdown:
    """Make a balancer's or broker's ``latency`` follow a :class:`Slowdown` factor."""
    slowdown = Slowdown()
    if target.latency is not None:  # the spec checks refuse a factor on no latency
        target.latency = slowdown.wrap(target.latency)
    return slowdown


def _fault_balancer(balancer: BalancerRuntime, state: FaultState) -> None:
    """Fail requests at the balancer while it is down or an ``error_rate`` fault draws them
    (before forwarding: the target sees none of them)."""
    entry = balancer.entry
    env = balancer.env

    def admitted() -> RequestError | None:
        if state.down:
            return state.refuse(env._now)
        if state.error_rate and state.fails():
            return state.error()
        return None

    def faulty_entry(endpoint: str) -> Callable[[], Any]:
        forward = entry(endpoint)

        def run() -> Any:
            error = admitted()
            return forward() if error is None else _raising(error)

        return run

    balancer.entry = faulty_entry  # type: ignore[method-assign]  # steps() goes through it


def _raising(error: RequestError) -> Generator[Any, Any, None]:
    raise error
    yield  # pragma: no cover - makes this a generator


def _track_client(client: Client, ctx: Context) -> None:
    """Run the client's timed requests with a deadline ticket (wasted work, propagation)."""
    path = client.path
    timeout_s = client.timeout_s
    assert timeout_s is not None

    def deadline_path() -> Any:
        return tracked(ctx, Ticket(ctx.env._now + timeout_s, None), path())

    client.path = deadline_path  # type: ignore[method-assign]
