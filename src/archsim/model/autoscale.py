"""Autoscaling at run time: a service's replica list grows and shrinks while callers use it.

The service's ``replicas`` becomes a :class:`ReplicaList` (a list marked ``dynamic``), and every
picker made over it, the service's own client-side one and any load balancer's, chooses among
the replicas present at the moment of the call (:func:`dynamic_picker`). The
:class:`Autoscaler` appends a provisioned replica to that list, and takes a draining one out
of it: that replica takes no new requests, finishes those it holds and is retired when empty
(checked at every decision), its statistics kept.

The decision rule, Kubernetes HPA's, is in :mod:`archsim.model.autoscale_rule`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archsim.model.autoscale_rule import SCALE_IN_WINDOW, wanted_replicas
from archsim.model.station import Station
from archsim.model.task import Task

if TYPE_CHECKING:
    import numpy as np

    from archsim.model.context import Context
    from archsim.model.guard import ServeGuard
    from archsim.model.service import ComponentStats, ServiceRuntime
    from archsim.spec.autoscale import Autoscale


class ReplicaList(list):  # type: ignore[type-arg]
    """The replicas of an autoscaled service; pickers re-read its length at every call."""

    dynamic = True


def dynamic_picker(policy: str, replicas: Sequence[Station],
                   rng: np.random.Generator) -> Callable[[], Station]:
    """A picker over a list whose length changes (same policies as ``make_picker``)."""
    draw = _uniforms(rng)
    if policy == "round_robin":
        cursor = [0]

        def round_robin() -> Station:
            index = cursor[0] % len(replicas)
            cursor[0] = index + 1
            return replicas[index]

        return round_robin
    if policy == "random":
        return lambda: replicas[int(draw() * len(replicas))]
    if policy == "least_connections":
        return lambda: min(replicas, key=lambda s: s.present / s.workers)
    if policy == "power_of_two":
        def power_of_two() -> Station:
            count = len(replicas)
            if count == 1:
                return replicas[0]
            i = int(draw() * count)
            j = (i + 1 + int(draw() * (count - 1))) % count
            a, b = replicas[i], replicas[j]
            return a if a.present * b.workers <= b.present * a.workers else b

        return power_of_two
    raise ValueError(f"unknown balancing policy {policy!r}")


def _uniforms(rng: np.random.Generator, size: int = 4096) -> Callable[[], float]:
    buffer: list[float] = []

    def draw() -> float:
        if not buffer:
            buffer.extend(rng.random(size).tolist())
        return buffer.pop()

    return draw


class Autoscaler:
    """Adds and drains replicas of ``service`` (see the module docstring and the rule's).

    ``history`` records ``(time_s, serving replicas)`` at every change, from the start.
    """

    def __init__(self, service: ServiceRuntime, spec: Autoscale, ctx: Context) -> None:
        from archsim.model.balancing import make_picker

        self.service = service
        self.spec = spec
        self.ctx = ctx
        self.env = ctx.env
        self.guard: ServeGuard | None = None  # found at start(), built after the autoscalers
        self._failed: set[int] = set()  # replicas failed now or since the last decision
        self.workers = service.spec.workers
        self.replicas = ReplicaList(service.replicas)
        service.replicas = self.replicas
        service.pick = make_picker(service.spec.policy, self.replicas,
                                   ctx.rng(f"policy:{service.name}"))
        self.draining: list[Station] = []
        self.pending: list[list[bool]] = []  # one [cancelled] flag per replica provisioning
        self.wanted: deque[int] = deque(maxlen=SCALE_IN_WINDOW)
        self.history: list[tuple[float, int]] = [(0.0, len(self.replicas))]
        self._retired = [0.0, 0.0, 0.0, 0, 0]  # busy, wait, present areas, rejected, max
        self._areas = [0.0, 0.0]  # capacity (worker-seconds), serving replica-seconds
        self._last = 0.0
        self._busy_base = 0.0  # busy worker-seconds before the last reset (for decisions)
        self.replicas_min = self.replicas_max = len(self.replicas)

    def start(self) -> None:
        """Start deciding every ``interval``."""
        failures = getattr(self.ctx, "failures", None)
        if failures is not None and failures.guards.get(self.service.name) is not None:
            self._follow(failures.guards[self.service.name])
        Task(self.env, self._loop(), at_once=False)

    def _loop(self) -> Iterator[Any]:
        last_busy, last_capacity = self.busy_total(), self._capacity_total()
        while True:
            yield self.spec.interval
            self._retire_empty()
            busy, capacity = self.busy_total(), self._capacity_total()
            unready = self._unready()
            if capacity > last_capacity:
                self.decide((busy - last_busy) / (capacity - last_capacity), unready)
            last_busy, last_capacity = busy, capacity

    def _follow(self, guard: ServeGuard) -> None:
        """Wrap the guard's crash and recover, so serving counts leave failed replicas out."""
        self.guard = guard
        crash, recover = guard.crash, guard.recover

        def crashed(station: Station) -> None:
            self._advance()
            crash(station)
            self._failed.add(id(station))
            self._changed()

        def recovered(station: Station) -> None:
            self._advance()
            recover(station)
            self._changed()

        guard.crash = crashed  # type: ignore[method-assign]
        guard.recover = recovered  # type: ignore[method-assign]

    def _unready(self) -> int:
        """Replicas failed now or at some time since the last call."""
        guard = self.guard
        if guard is None:
            return 0
        unready = len(self._failed)
        self._failed = {id(s) for s in self.replicas if guard.is_down(s)}
        return unready

    def serving(self) -> int:
        """Replicas taking requests: present, not draining, not failed."""
        guard = self.guard
        if guard is None:
            return len(self.replicas)
        return sum(1 for s in self.replicas if not guard.is_down(s))

    def decide(self, utilization: float, unready: int = 0) -> None:
        """Scale toward the count that brings ``utilization`` (0..1) to the target.

        ``unready``: replicas failed during the interval; with any, the count is not reduced.
        """
        spec = self.spec
        present = len(self.replicas)
        planned = present + len(self.pending)
        wanted = wanted_replicas(spec, utilization, present, planned, unready)
        self.wanted.append(wanted)
        if wanted > planned:
            for _ in range(wanted - planned):
                flag = [False]
                self.pending.append(flag)
                Task(self.env, self._provision(flag), at_once=False)
            return
        target = max(self.wanted)  # scale in to the highest recent wish only
        while planned > target and self.pending:
            self.pending.pop()[0] = True
            planned -= 1
        while len(self.replicas) > max(target, spec.min):
            self._drain(self.replicas[-1])

    def _provision(self, cancelled: list[bool]) -> Iterator[Any]:
        if self.spec.delay > 0:
            yield self.spec.delay
        if cancelled[0]:
            return
        self.pending.remove(cancelled)
        self._advance()
        spec = self.service.spec
        self.replicas.append(Station(self.env, self.service.name, spec.workers, spec.queue))
        self._changed()

    def _drain(self, station: Station) -> None:
        self._advance()
        self.replicas.remove(station)
        self.draining.append(station)
        self._changed()
        self._retire_empty()

    def _retire_empty(self) -> None:
        for station in [s for s in self.draining if s.present == 0 and s.busy == 0]:
            self._advance()
            station.advance()
            retired = self._retired
            retired[0] += station.busy_area
            retired[1] += station.wait_area
            retired[2] += station.present_area
            retired[3] += station.rejected
            retired[4] = max(retired[4], station.queue_max)
            self.draining.remove(station)

    def _changed(self) -> None:
        count = self.serving()
        self.history.append((self.env.now, count))
        self.replicas_min = min(self.replicas_min, count)
        self.replicas_max = max(self.replicas_max, count)

    def _advance(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt:
            self._areas[0] += dt * self.workers * (len(self.replicas) + len(self.draining))
            self._areas[1] += dt * self.serving()
            self._last = now

    def _stations(self) -> list[Station]:
        return [*self.replicas, *self.draining]

    def _capacity_total(self) -> float:
        self._advance()
        return self._areas[0]

    def busy_total(self) -> float:
        """Busy worker-seconds since the start of the run (warm-up included)."""
        return self._busy_base + self.window_busy()

    def window_busy(self) -> float:
        """Busy worker-seconds since the last reset, retired replicas included."""
        stations = self._stations()
        for station in stations:
            station.advance()
        return self._retired[0] + sum(s.busy_area for s in stations)

    def window_areas(self) -> tuple[float, float, float]:
        """Since the last reset: busy worker-seconds, waiting request-seconds, capacity."""
        busy = self.window_busy()
        wait = self._retired[1] + sum(s.wait_area for s in self._stations())
        return busy, wait, self._capacity_total()

    def reset(self) -> None:
        """Start the measured window; call before the service's own reset."""
        self._busy_base += self.window_busy()
        for station in self.draining:
            station.reset()
        self._advance()
        self._retired = [0.0, 0.0, 0.0, 0, 0]
        self._areas = [0.0, 0.0]
        count = self.serving()
        self.replicas_min = self.replicas_max = count

    def adjust(self, stats: ComponentStats) -> ComponentStats:
        """The service's statistics with draining and retired replicas and the capacity."""
        for station in self.draining:
            station.advance()
        retired, draining = self._retired, self.draining
        self._advance()
        return replace(
            stats,
            busy_area=stats.busy_area + retired[0] + sum(s.busy_area for s in draining),
            wait_area=stats.wait_area + retired[1] + sum(s.wait_area for s in draining),
            present_area=stats.present_area + retired[2]
            + sum(s.present_area for s in draining),
            rejected=stats.rejected + retired[3] + sum(s.rejected for s in draining),
            queue_max=max([stats.queue_max, retired[4], *(s.queue_max for s in draining)]),
            capacity_area=self._areas[0],
            replica_area=self._areas[1],
            replicas_range=(self.replicas_min, self.replicas_max),
        )


def attach_autoscalers(ctx: Context) -> list[Autoscaler]:
    """An :class:`Autoscaler` for every service with ``autoscale`` (before links are made)."""
    from archsim.model.service import ServiceRuntime

    out = []
    for runtime in ctx.components.values():
        spec = getattr(runtime, "spec", None)
        if isinstance(runtime, ServiceRuntime) and getattr(spec, "autoscale", None) is not None:
            out.append(Autoscaler(runtime, spec.autoscale, ctx))  # type: ignore[union-attr]
    return out
