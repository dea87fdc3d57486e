"""Fault injection (the ``faults`` section) and health checks.

A fault runs from ``at`` (simulated time from the start, warm-up included) for ``for``:

- ``replicas_down: n``: the first n replicas fail (see :class:`~archsim.model.guard.ServeGuard`);
  a registry with all its replicas down fails lookups;
- ``latency_factor: f``: every work sample of the component is f times longer;
- ``error_rate: q``: each request fails with probability q after its work.

On a load balancer, a topic or a queue (one :class:`FaultState` each):

- ``replicas_down: 1`` on a balancer: it is down, and every request sent through it fails at
  once (``down``); on a queue: the broker is down, publishes fail at once and consumers stop
  taking messages (the stored ones wait and are delivered after the window); on a topic,
  ``replicas_down: n`` takes partitions ``0 .. n-1`` offline (their leader failed): a keyed
  publish to an offline partition fails at once, a publish without a key goes to an online
  partition (as Kafka's default partitioner does for records without a key), and consumers
  skip the offline partitions; with every partition offline, every publish fails;
- ``latency_factor: f``: the balancer's or broker's ``latency`` is f times longer;
- ``error_rate: q``: a balancer fails each request with probability q before forwarding it (an
  abort, as Envoy's fault injection does: no load on the target); a broker fails each publish
  with probability q when it answers (after its ``latency``), and the message is not stored.

A balancer (or a caller balancing client-side) with ``health_check: {interval}`` probes the
replicas every ``interval`` (first probe at time 0) and skips the replicas its last probe saw
down; between probes it does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import TYPE_CHECKING, Any

from archsim.model.discovery import RegistryRuntime
from archsim.model.errors import FaultError, ReplicaDown
from archsim.model.ops import ParallelOp, WorkOp

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Sampler
    from archsim.model.guard import ServeGuard
    from archsim.model.service import ServiceRuntime
    from archsim.model.station import Station
    from archsim.spec.schema import Fault


class Slowdown:
    """A mutable factor applied to a component's work samples (1 outside faults)."""

    def __init__(self) -> None:
        self.factor = 1.0

    def wrap(self, sample: Sampler) -> Sampler:
        return lambda: sample() * self.factor


def slow_down(runtime: ServiceRuntime) -> Slowdown:
    """Make every work sampler of ``runtime`` follow a :class:`Slowdown` factor.

    A cache's miss version of an endpoint (``missed``) shares the hit version's steps and
    adds the ``miss`` steps; each step is wrapped once.
    """
    slowdown = Slowdown()
    seen: set[int] = set()

    def visit(ops: list[Any]) -> None:
        for op in ops:
            if id(op) in seen:
                continue
            seen.add(id(op))
            if isinstance(op, WorkOp):
                op.sample = slowdown.wrap(op.sample)
            elif isinstance(op, ParallelOp):
                visit(op.branches)

    extra = getattr(runtime, "missed", {})
    for endpoint in (*runtime.endpoints.values(), *extra.values()):
        if endpoint.work is not None:
            endpoint.work = slowdown.wrap(endpoint.work)
        visit(endpoint.ops)
    return slowdown


class FaultState:
    """Fault state and counters of one balancer, topic or queue.

    ``down``: the whole component is down; ``offline``: a topic's offline partitions (the
    set object is shared with its consumer groups, which skip them); ``error_rate``: the
    current failure probability. ``on_recover`` callbacks run when the component or a
    partition comes back (consumers waiting for it resume).
    """

    def __init__(self, name: str, rng: Any) -> None:
        self.name = name
        self.down = False
        self.instances_down = 0  # balancers and queues: overlapping replicas_down faults
        self.offline: set[int] = set()
        self.error_rate = 0.0
        self.error_rates: list[float] = []
        self.failure = rng
        self.on_recover: list[Callable[[], None]] = []
        self.reset()

    def reset(self) -> None:
        """Start the measured window."""
        self.refused_down = self.faulted = 0
        self.last_down_error_s: float | None = None

    def refresh(self, partitions: int | None) -> None:
        """Recompute ``down``: an instance fault, or every partition of a topic offline."""
        self.down = self.instances_down > 0 or (partitions is not None
                                                 and len(self.offline) >= partitions)

    def refuse(self, now: float) -> ReplicaDown:
        """Count a request refused because the component (or its partition) is down."""
        self.refused_down += 1
        self.last_down_error_s = now
        return ReplicaDown(self.name)

    def fails(self) -> bool:
        """Draw whether an ``error_rate`` fault fails this request (counted when it does)."""
        if self.error_rate and self.failure.random() < self.error_rate:
            self.faulted += 1
            return True
        return False

    def error(self) -> FaultError:
        """The error of a request :meth:`fails` failed."""
        return FaultError(self.name)

    def stats(self) -> dict[str, Any]:
        """The same figures a service's guard gives (no workers, so no wasted work)."""
        return {"wasted_work_s": 0.0, "abandoned": 0, "dropped": 0,
                "down_refused": self.refused_down, "down_lost": 0,
                "fault_errors": self.faulted, "last_down_error_s": self.last_down_error_s}


def schedule(env: simpy.Environment, fault: Fault, target: Any, guard: ServeGuard | None,
             slowdown: Slowdown | None, state: FaultState | None = None) -> None:
    """Start the process that applies ``fault`` to ``target`` during its window.

    ``guard`` is a service's, ``state`` a balancer's or broker's (see :class:`FaultState`).
    Faults on one component may overlap: ``replicas_down`` takes the first n replicas (or
    partitions) that are still up, factors multiply, and error rates combine as independent
    failures, 1 - (1 - q1)(1 - q2); each fault undoes only its own effect when it ends.
    """
    if isinstance(target, RegistryRuntime):
        begin = partial(_registry_begin, fault, target)
    elif state is not None:
        begin = partial(_component_begin, fault, target, state, slowdown)
    else:
        assert guard is not None, f"no fault handling built for {fault.component!r}"
        begin = partial(_service_begin, fault, target, guard, slowdown)
    env.process(_window(env, fault, begin))


def _window(env: simpy.Environment, fault: Fault,
            begin: Callable[[], Callable[[], None]]) -> Generator[Any, Any, None]:
    """Wait for ``fault.at``, apply the fault, wait ``fault.for_``, undo it."""
    yield env.timeout(fault.at)
    undo = begin()
    yield env.timeout(fault.for_)
    undo()


def combined(rates: list[float]) -> float:
    """Failure probability under independent ``error_rate`` faults active together."""
    kept = 1.0
    for rate in rates:
        kept *= 1.0 - rate
    return 1.0 - kept


def _rate_and_factor(fault: Fault, owner: Any, rates: list[float],
                     slowdown: Slowdown | None) -> Callable[[], None]:
    """Apply a ``latency_factor`` (to ``slowdown``) or an ``error_rate`` (to
    ``owner.error_rate``, combined over ``rates``); return the undo."""
    if fault.latency_factor is not None:
        factor = fault.latency_factor
        assert slowdown is not None
        slowdown.factor *= factor

        def slower_undo() -> None:
            slowdown.factor /= factor

        return slower_undo
    assert fault.error_rate is not None
    rates.append(fault.error_rate)
    owner.error_rate = combined(rates)

    def failing_undo() -> None:
        rates.remove(fault.error_rate)  # type: ignore[arg-type]
        owner.error_rate = combined(rates)

    return failing_undo


def _service_begin(fault: Fault, runtime: ServiceRuntime, guard: ServeGuard,
                   slowdown: Slowdown | None) -> Callable[[], None]:
    if fault.replicas_down is None:
        return _rate_and_factor(fault, guard, guard.error_rates, slowdown)
    failed = [s for s in runtime.replicas if id(s) not in guard.down][:fault.replicas_down]
    for station in failed:
        guard.crash(station)

    def undo() -> None:
        for station in failed:
            guard.recover(station)

    return undo


def _component_begin(fault: Fault, target: Any, state: FaultState,
                     slowdown: Slowdown | None) -> Callable[[], None]:
    if fault.replicas_down is None:
        return _rate_and_factor(fault, state, state.error_rates, slowdown)
    partitions = getattr(target, "partitions", None)
    if partitions is None:  # a balancer or a queue: one instance
        taken = [0]
        state.instances_down += 1
    else:  # a topic: partitions
        online = [p for p in range(partitions) if p not in state.offline]
        taken = online[:fault.replicas_down]
        state.offline.update(taken)
    state.refresh(partitions)

    def undo() -> None:
        if partitions is None:
            state.instances_down -= 1
        else:
            state.offline.difference_update(taken)
        state.refresh(partitions)
        for resume in state.on_recover:
            resume()

    return undo


def _registry_begin(fault: Fault, registry: RegistryRuntime) -> Callable[[], None]:
    if fault.replicas_down is not None:
        down = fault.replicas_down
        registry.replicas_down += down

        def back() -> None:
            registry.replicas_down -= down

        return back
    if fault.latency_factor is not None:
        factor = fault.latency_factor
        registry.latency_factor *= factor

        def faster() -> None:
            registry.latency_factor /= factor

        return faster
    return _rate_and_factor(fault, registry, registry.error_rates, None)


class HealthChecker:
    """What one balancer knows of its replicas' health, probed every ``interval_s``.

    While its last probe saw some replicas down (and some up), requests go to the replicas it
    saw up, chosen by the balancer's own policy over those: a stateful policy such as
    least connections would otherwise keep choosing a failed replica, which answers at once
    and so always looks least loaded.
    """

    def __init__(self, env: simpy.Environment, interval_s: float, replicas: list[Station],
                 guard: ServeGuard | None, policy: str, rng: Any) -> None:
        self.env = env
        self.interval_s = interval_s
        self.replicas = replicas
        self.guard = guard
        self.policy = policy
        self.rng = rng
        self.known_down: set[int] = set()
        self.healthy: Callable[[], Station] | None = None  # a picker over the replicas up
        if guard is not None:  # a target that never fails needs no probing
            env.process(self._probe())

    def _probe(self) -> Generator[Any, Any, None]:
        from archsim.model.balancing import make_picker

        assert self.guard is not None
        while True:
            seen = set(self.guard.down)
            if seen != self.known_down:
                self.known_down = seen
                up = [s for s in self.replicas if id(s) not in seen]
                self.healthy = (make_picker(self.policy, up, self.rng)
                                if seen and up else None)  # all down: nothing to avoid
            yield self.env.timeout(self.interval_s)

    def wrap(self, pick: Callable[[], Station]) -> Callable[[], Station]:
        """A replica choice that avoids the replicas known to be down (when some are up)."""

        def checked() -> Station:
            healthy = self.healthy
            return pick() if healthy is None else healthy()

        return checked
