"""Fault injection (the ``faults`` section) and health checks.

A fault runs from ``at`` (simulated time from the start, warm-up included) for ``for``:

- ``replicas_down: n``: the first n replicas fail (see :class:`~archsim.model.guard.ServeGuard`);
  a registry with all its replicas down fails lookups;
- ``latency_factor: f``: every work sample of the component is f times longer;
- ``error_rate: q``: each request fails with probability q after its work.

A balancer (or a caller balancing client-side) with ``health_check: {interval}`` probes the
replicas every ``interval`` (first probe at time 0) and skips the replicas its last probe saw
down; between probes it does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from archsim.errors import ModelError
from archsim.model.discovery import RegistryRuntime
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


def schedule(env: simpy.Environment, fault: Fault, target: Any, guard: ServeGuard | None,
             slowdown: Slowdown | None) -> None:
    """Start the process that applies ``fault`` to ``target`` during its window."""
    if isinstance(target, RegistryRuntime):
        env.process(_registry_fault(env, fault, target))
        return
    if guard is None:
        raise ModelError(f"fault on '{fault.component}': faults are simulated on services, "
                         f"databases, caches and registries, not on a {target.kind}")
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
