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
    """Make every work sampler of ``runtime`` follow a :class:`Slowdown` factor."""
    slowdown = Slowdown()

    def visit(ops: list[Any]) -> None:
        for op in ops:
            if isinstance(op, WorkOp):
                op.sample = slowdown.wrap(op.sample)
            elif isinstance(op, ParallelOp):
                visit(op.branches)

    for endpoint in runtime.endpoints.values():
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
        self.offline: set[int] = set()
        self.error_rate = 0.0
        self.failure = rng
        self.on_recover: list[Callable[[], None]] = []
        self.reset()

    def reset(self) -> None:
        """Start the measured window."""
        self.refused_down = self.faulted = 0
        self.last_down_error_s: float | None = None

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
    """
    if isinstance(target, RegistryRuntime):
        env.process(_registry_fault(env, fault, target))
    elif state is not None:
        env.process(_component_fault(env, fault, target, state, slowdown))
    else:
        assert guard is not None, f"no fault handling built for {fault.component!r}"
        env.process(_service_fault(env, fault, target, guard, slowdown))


def _service_fault(env: simpy.Environment, fault: Fault, runtime: ServiceRuntime,
                   guard: ServeGuard, slowdown: Slowdown | None) -> Generator[Any, Any, None]:
    yield env.timeout(fault.at)
    failed: list[Station] = []
    if fault.replicas_down is not None:
        failed = runtime.replicas[:fault.replicas_down]
        for station in failed:
            guard.crash(station)
    elif fault.latency_factor is not None:
        assert slowdown is not None
        slowdown.factor *= fault.latency_factor
    elif fault.error_rate is not None:
        guard.error_rate = fault.error_rate
    yield env.timeout(fault.for_)
    for station in failed:
        guard.recover(station)
    if fault.latency_factor is not None:
        assert slowdown is not None
        slowdown.factor /= fault.latency_factor
    if fault.error_rate is not None:
        guard.error_rate = 0.0


def _component_fault(env: simpy.Environment, fault: Fault, target: Any, state: FaultState,
                     slowdown: Slowdown | None) -> Generator[Any, Any, None]:
    yield env.timeout(fault.at)
    taken: list[int] = []
    if fault.replicas_down is not None:
        partitions = getattr(target, "partitions", None)
        if partitions is None:  # a balancer or a queue: one instance
            state.down = True
        else:
            taken = [p for p in range(fault.replicas_down) if p not in state.offline]
            state.offline.update(taken)
            state.down = len(state.offline) >= partitions
    elif fault.latency_factor is not None:
        assert slowdown is not None
        slowdown.factor *= fault.latency_factor
    elif fault.error_rate is not None:
        state.error_rate = fault.error_rate
    yield env.timeout(fault.for_)
    if fault.replicas_down is not None:
        state.offline.difference_update(taken)
        partitions = getattr(target, "partitions", None)
        state.down = partitions is not None and len(state.offline) >= partitions
        for resume in state.on_recover:
            resume()
    elif fault.latency_factor is not None:
        assert slowdown is not None
        slowdown.factor /= fault.latency_factor
    elif fault.error_rate is not None:
        state.error_rate = 0.0


def _registry_fault(env: simpy.Environment, fault: Fault,
                    registry: RegistryRuntime) -> Generator[Any, Any, None]:
    yield env.timeout(fault.at)
    if fault.replicas_down is not None:
        registry.replicas_down += fault.replicas_down
    elif fault.latency_factor is not None:
        registry.latency_factor *= fault.latency_factor
    elif fault.error_rate is not None:
        registry.error_rate = fault.error_rate
    yield env.timeout(fault.for_)
    if fault.replicas_down is not None:
        registry.replicas_down -= fault.replicas_down
    elif fault.latency_factor is not None:
        registry.latency_factor /= fault.latency_factor
    elif fault.error_rate is not None:
        registry.error_rate = 0.0


class HealthChecker:
    """What one balancer knows of its replicas' health, probed every ``interval_s``."""

    def __init__(self, env: simpy.Environment, interval_s: float, replicas: list[Station],
                 guard: ServeGuard | None) -> None:
        self.env = env
        self.interval_s = interval_s
        self.replicas = replicas
        self.guard = guard
        self.known_down: set[int] = set()
        if guard is not None:  # a target that never fails needs no probing
            env.process(self._probe())

    def _probe(self) -> Generator[Any, Any, None]:
        assert self.guard is not None
        while True:
            self.known_down = set(self.guard.down)
            yield self.env.timeout(self.interval_s)

    def wrap(self, pick: Callable[[], Station]) -> Callable[[], Station]:
        """A replica choice that skips the replicas known to be down (when some are up)."""
        tries = 4 * len(self.replicas)

        def healthy() -> Station:
            station = pick()
            known = self.known_down
            if not known:
                return station
            for _ in range(tries):
                if id(station) not in known:
                    return station
                station = pick()
            return station

        return healthy
