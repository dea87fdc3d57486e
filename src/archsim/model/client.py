"""Workloads at run time: open sources (Poisson or constant arrivals, time-varying rates,
replayed traces) and closed users."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from heapq import heappush
from typing import TYPE_CHECKING, Any

from archsim.model.arrivals import dynamic_load
from archsim.model.errors import RequestError, Saturated, TimedOut
from archsim.model.ops import catching, entry_of
from archsim.model.task import NORMAL, URGENT, Task, start

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Context, Sampler
    from archsim.model.ops import Callee, Steps
    from archsim.spec.schema import Workload


@dataclass(frozen=True, slots=True)
class ClassStats:
    """Measured-window results of one request class (picklable).

    ``latencies_s`` holds the response time of every request that completed without error in
    the window, as a compact ``array('d')``; ``errors`` counts failures by reason.
    """

    name: str
    offered_rps: float | None
    arrived: int
    completed: int
    failed: int
    errors: dict[str, int]
    error_components: dict[str, int]
    latencies_s: array
    arrived_total: int
    finished_total: int
    in_flight_end: int


class Client:
    """One request class: generates requests and records their fate."""

    def __init__(self, spec: Workload, ctx: Context, entry: Callee, hop: Sampler | None,
                 rate_scale: float) -> None:
        self.spec = spec
        self.ctx = ctx
        self.env = ctx.env
        self.entry = entry
        self.enter: Callable[[], Iterable[Any]] | None = None  # resolved by start()
        self.endpoint = spec.endpoint
        self.hop = hop
        # a rate shape or a trace (model/arrivals.py); None for a constant rate or users
        self.dynamic = dynamic_load(spec, rate_scale) if spec.is_open else None
        self.rate_per_s = (float(spec.rate or 0.0) * rate_scale
                           if spec.is_open and self.dynamic is None else None)
        self.timeout_s = spec.timeout
        self.latencies: array = array("d")
        self.arrived = self.completed = self.failed = 0
        self.arrived_total = self.finished_total = 0
        self.errors: dict[str, int] = {}
        self.error_components: dict[str, int] = {}
        self.measuring = False

    def start(self) -> None:
        """Start the arrival process(es)."""
        from archsim.model.dists import make_sampler
        from archsim.spec.dists import Dist

        env = self.env
        name = self.spec.name
        self.enter = entry_of(self.entry, self.endpoint)
        if self.dynamic is not None:
            self.dynamic.start(self)
            return
        if self.rate_per_s is not None:
            if self.rate_per_s <= 0:
                return
            if self.spec.arrivals != "poisson":
                ConstantArrivals(env, 1.0 / self.rate_per_s, self.one)
                return
            spec = Dist.model_construct(dist="exponential", mean=1.0 / self.rate_per_s, cv=1.0)
            gap = make_sampler(spec, self.ctx.rng(f"arrivals:{name}"))
            Arrivals(env, gap, self.one)
            return
        think_mean = self.spec.think or 0.0
        think = None
        if think_mean > 0:
            spec = Dist.model_construct(dist="exponential", mean=think_mean, cv=1.0)
            think = make_sampler(spec, self.ctx.rng(f"think:{name}"))
        for _ in range(self.spec.users or 0):
            Task(env, self._user(think), at_once=False)

    def _user(self, think: Sampler | None) -> Generator[Any, Any, None]:
        if think is not None:  # users start thinking, so they do not all fire at t = 0
            yield think()
        while True:
            yield from self.one()
            if think is not None:
                yield think()

    def one(self) -> Generator[Any, Any, None]:
        """One request from arrival to reply (or failure)."""
        ctx = self.ctx
        env = self.env
        ctx.in_flight += 1
        if ctx.in_flight > ctx.max_in_flight:
            raise Saturated(self.spec.name)
        self.arrived_total += 1
        if self.measuring:
            self.arrived += 1
        began = env._now
        try:
            if self.timeout_s is None:
                yield from (self.enter() if self.hop is None else self.hopped())  # type: ignore[misc]
            else:
                timer = env.timeout(self.timeout_s)  # before the request starts, as with a
                done = start(env, catching(self.path()))  # process it would be
                yield done | timer
                if not done.triggered:
                    raise TimedOut("client")
                if done.value is not None:
                    raise done.value
        except RequestError as error:
            self._failed(error)
        else:
            if self.measuring:
                self.completed += 1
                self.latencies.append(env._now - began)
        ctx.in_flight -= 1
        self.finished_total += 1

    def path(self) -> Iterable[Any]:
        """Client hop out, the entry component, hop back."""
        if self.hop is None:
            return self.enter()  # type: ignore[misc]
        return self.hopped()

    def hopped(self) -> Steps:
        hop = self.hop
        assert hop is not None
        yield hop()
        try:
            yield from self.enter()  # type: ignore[misc]
        except RequestError:
            yield hop()
            raise
        yield hop()

    def _failed(self, error: RequestError) -> None:
        if not self.measuring:
            return
        self.failed += 1
        self.errors[error.reason] = self.errors.get(error.reason, 0) + 1
        where = error.component
        self.error_components[where] = self.error_components.get(where, 0) + 1

    def reset(self) -> None:
        """Start the measured window."""
        self.measuring = True
        self.arrived = self.completed = self.failed = 0
        self.errors = {}
        self.error_components = {}
        self.latencies = array("d")

    def stats(self, duration_s: float) -> ClassStats:
        """Results of the measured window."""
        if self.dynamic is not None:  # the mean arrivals of the window, over its length
            end = self.dynamic.horizon_s
            offered = (self.dynamic.expected(end - duration_s, end) / duration_s
                       if end < float("inf") else self.arrived / duration_s)
        elif self.rate_per_s is not None:
            offered = self.rate_per_s
        else:
            offered = self.arrived / duration_s
        return ClassStats(
            name=self.spec.name, offered_rps=offered, arrived=self.arrived,
            completed=self.completed, failed=self.failed, errors=dict(self.errors),
            error_components=dict(self.error_components), latencies_s=self.latencies,
            arrived_total=self.arrived_total, finished_total=self.finished_total,
            in_flight_end=self.arrived_total - self.finished_total,
        )


class Arrivals:
    """An open workload's arrival stream, driven straight from SimPy's event queue.

    It is its own event (see :class:`~archsim.model.task.Task`; SimPy's ``step`` calls
    ``Arrivals.arrive(self)`` from its ``callbacks``): each wake-up schedules the next
    arrival, then starts one request task, the order of the loop ``yield timeout(gap());
    env.process(one())``. The first arrival is scheduled where that loop's process would have
    started.
    """

    __slots__ = ("_eid", "_env", "_queue", "callbacks", "gap", "one")

    _ok = True
    _value = None

    def __init__(self, env: simpy.Environment, gap: Sampler,
                 one: Callable[[], Steps]) -> None:
        self._env = env
        self._queue = env._queue  # type: ignore[attr-defined]
        self._eid = env._eid  # type: ignore[attr-defined]
        self.gap = gap
        self.one = one
        self.callbacks: Any = _BEGIN
        heappush(self._queue, (env._now, URGENT, next(self._eid), self))

    def begin(self) -> None:
        """Schedule the first arrival."""
        self.callbacks = _ARRIVE
        heappush(self._queue, (self._env._now + self.gap(), NORMAL, next(self._eid), self))

    def arrive(self) -> None:
        """Schedule the next arrival, then start this one's request."""
        self.callbacks = _ARRIVE
        heappush(self._queue, (self._env._now + self.gap(), NORMAL, next(self._eid), self))
        Task(self._env, self.one())


_BEGIN = (Arrivals.begin,)
_ARRIVE = (Arrivals.arrive,)


class ConstantArrivals(Arrivals):
    """Arrivals every ``gap_s`` exactly: the k-th at start + k x gap, computed, not summed,
    so they do not drift (0.1 s added thirty times is not 3.0 s)."""

    __slots__ = ("count", "origin")

    def __init__(self, env: simpy.Environment, gap_s: float,
                 one: Callable[[], Steps]) -> None:
        super().__init__(env, lambda: gap_s, one)
        self.callbacks = _CONSTANT_BEGIN  # read when the queued start is processed
        self.count = 0
        self.origin = 0.0

    def begin(self) -> None:
        self.origin = self._env._now
        self._next()

    def arrive(self) -> None:
        self._next()
        Task(self._env, self.one())

    def _next(self) -> None:
        self.count += 1
        self.callbacks = _CONSTANT_ARRIVE
        heappush(self._queue, (self.origin + self.count * self.gap(), NORMAL, next(self._eid),
                               self))


_CONSTANT_BEGIN = (ConstantArrivals.begin,)
_CONSTANT_ARRIVE = (ConstantArrivals.arrive,)
