"""Services, databases and caches at run time: replicas of a :class:`Station` each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from archsim.model.balancing import Picker, make_picker
from archsim.model.errors import Rejected
from archsim.model.station import Station
from archsim.model.task import simpy_steps

if TYPE_CHECKING:
    from archsim.model.context import Context, Sampler
    from archsim.model.ops import Op, Steps
    from archsim.spec.components import ServiceSpec


@dataclass(frozen=True, slots=True)
class ComponentStats:
    """Measured-window statistics of one component (summed over its replicas).

    Areas are integrals over the window: ``busy_area`` in worker-seconds, ``wait_area`` and
    ``present_area`` in request-seconds. ``residence_sum`` is the total time departed requests
    spent at the component, rejected ones (time 0) and failed ones included (for the Little's
    law check, where they count in L too); ``completed_residence_sum`` that of the
    ``completed`` requests alone, whose mean is the residence a report shows
    (:attr:`residence_mean_s`).
    """

    name: str
    kind: str
    replicas: int
    workers: int | None
    busy_area: float
    wait_area: float
    present_area: float
    queue_max: int
    completed: int
    departed: int
    residence_sum: float
    rejected: int
    capacity_area: float | None = None  # worker-seconds provisioned (autoscaled services)
    replica_area: float | None = None  # serving replica-seconds (autoscaled services)
    replicas_range: tuple[int, int] | None = None  # fewest and most serving (autoscaled)
    completed_residence_sum: float | None = None  # None: not kept (components without workers)

    @property
    def residence_mean_s(self) -> float:
        """Mean residence of the requests completed here (seconds; 0 when none completed).

        A rejected request departs at once and a failed one early; averaging them in would
        understate the time a served request spends here (an M/M/1/K queue's admitted
        requests spend W = L / (lambda (1 - P_K)), Gross & Harris, *Fundamentals of Queueing
        Theory*, 4th ed., section 2.5). Components that keep no separate sum fall back to the
        mean over all departures.
        """
        if self.completed_residence_sum is None:
            return self.residence_sum / self.departed if self.departed else 0.0
        return self.completed_residence_sum / self.completed if self.completed else 0.0


class Counted(Protocol):
    """Departure counters of a component (see :meth:`ServiceRuntime.serve`)."""

    completed: int
    departed: int
    residence_sum: float


class CompiledEndpoint:
    """An endpoint ready to run: its first work sampler and its compiled steps."""

    __slots__ = ("name", "ops", "work")

    def __init__(self, name: str, work: Sampler | None, ops: list[Op]) -> None:
        self.name = name
        self.work = work
        self.ops = ops


class ServiceRuntime:
    """A service (or database, cache): ``replicas`` stations and compiled endpoints."""

    def __init__(self, name: str, spec: ServiceSpec, ctx: Context) -> None:
        self.name = name
        self.kind = spec.type
        self.spec = spec
        self.ctx = ctx
        self.env = ctx.env
        self.blocking = spec.io == "blocking"
        self.replicas = [Station(ctx.env, name, spec.workers, spec.queue)
                         for _ in range(spec.replicas)]
        self.pick = make_picker(spec.policy, self.replicas, ctx.rng(f"policy:{name}"))
        self.endpoints: dict[str, CompiledEndpoint] = {}
        self.completed = 0
        self.departed = 0
        self.residence_sum = 0.0
        self.completed_residence_sum = 0.0

    def steps(self, endpoint: str) -> Steps:
        """Serve ``endpoint`` on a replica chosen by the client-side policy (Task protocol)."""
        return self.serve(self.pick(), self.endpoints[endpoint])

    def entry(self, endpoint: str, via: Counted | None = None,
              pick: Picker | None = None) -> Callable[[], Steps]:
        """``steps(endpoint)`` resolved once: a zero-argument function per request.

        ``via`` and ``pick`` are a forwarding balancer's counters and replica choice (see
        :meth:`serve`); by default the service's own client-side policy picks.
        """
        compiled = self.endpoints[endpoint]
        serve = self._serve_blocking if self.blocking else self._serve_nonblocking
        if len(self.replicas) == 1 and not getattr(self.replicas, "dynamic", False):
            # every policy picks the only replica, drawing nothing (autoscaling may add more)
            return partial(serve, self.replicas[0], compiled, via)
        choose = pick if pick is not None else self.pick
        return lambda: serve(choose(), compiled, via)

    def handle(self, endpoint: str) -> Steps:
        """:meth:`steps` for a plain SimPy process (yields SimPy events only)."""
        return simpy_steps(self.env, self.steps(endpoint))

    def serve(self, station: Station, endpoint: CompiledEndpoint,
              via: Counted | None = None) -> Steps:
        """Serve one request at ``station`` (Task protocol); raises RequestError on failure.

        ``via`` is a component forwarding with no delay of its own (a load balancer without
        latency or hops): its departure and residence counters are kept here, which saves it
        a generator layer per request.
        """
        if self.blocking:
            return self._serve_blocking(station, endpoint, via)
        return self._serve_nonblocking(station, endpoint, via)

    def _serve_blocking(self, station: Station, endpoint: CompiledEndpoint,
                        via: Counted | None) -> Steps:
        """A worker is held from the start of ``work`` to the end of the last step."""
        env = self.env
        start = env._now
        try:
            wait = station.admit()
        except Rejected:
            self._departed(via, 0.0)
            raise
        try:
            if wait is not None:
                yield wait
            work = endpoint.work
            if work is not None:
                yield work()
            ops = endpoint.ops
            if ops:
                for op in ops:
                    yield from op.run(station)
        finally:
            station.finish()
            residence = env._now - start
            self.departed += 1
            self.residence_sum += residence
            if via is not None:
                via.departed += 1
                via.residence_sum += residence
        self.completed += 1
        self.completed_residence_sum += residence
        if via is not None:
            via.completed += 1

    def _serve_nonblocking(self, station: Station, endpoint: CompiledEndpoint,
                           via: Counted | None) -> Steps:
        """Only ``work`` steps hold a worker; calls run without one."""
        env = self.env
        start = env._now
        station.enter()
        try:
            work = endpoint.work
            if work is not None:
                wait = station.request()
                if wait is not None:
                    yield wait
                try:
                    yield work()
                finally:
                    station.release()
            for op in endpoint.ops:
                yield from op.run(station)
        finally:
            station.leave()
            self._departed(via, env._now - start)
        self.completed += 1
        self.completed_residence_sum += env._now - start
        if via is not None:
            via.completed += 1

    def _departed(self, via: Counted | None, residence_s: float) -> None:
        self.departed += 1
        self.residence_sum += residence_s
        if via is not None:
            via.departed += 1
            via.residence_sum += residence_s

    def reset(self) -> None:
        """Start the measured window (end of warm-up)."""
        for station in self.replicas:
            station.reset()
        self.completed = self.departed = 0
        self.residence_sum = self.completed_residence_sum = 0.0

    def stats(self) -> ComponentStats:
        """Statistics of the measured window so far."""
        for station in self.replicas:
            station.advance()
        return ComponentStats(
            name=self.name, kind=self.kind, replicas=len(self.replicas),
            workers=self.spec.workers * len(self.replicas),
            busy_area=sum(s.busy_area for s in self.replicas),
            wait_area=sum(s.wait_area for s in self.replicas),
            present_area=sum(s.present_area for s in self.replicas),
            queue_max=max(s.queue_max for s in self.replicas),
            completed=self.completed, departed=self.departed,
            residence_sum=self.residence_sum,
            rejected=sum(s.rejected for s in self.replicas),
            completed_residence_sum=self.completed_residence_sum,
        )

    def busiest(self) -> int:
        """Requests waiting across replicas (to name a saturated component)."""
        return sum(len(s.waiting) for s in self.replicas)
