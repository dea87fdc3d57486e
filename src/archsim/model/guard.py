"""The serving path of a service with failure handling: rate limit, faults, deadlines.

Installed only on services that need it (see :mod:`archsim.model.failures`), by replacing
that service's two serve functions, so other services keep their plain path. A guarded
request:

1. takes a token from the service's ``rate_limit`` bucket or fails with ``rate_limited``;
2. fails with ``down`` at once on a failed replica (``replicas_down`` fault);
3. with ``deadline: propagate``, is dropped (``dropped``, no work) when its caller has given
   up by the time it arrives or a worker is handed to it;
4. runs the endpoint; when its caller gave up before it ended, its worker time counts as
   wasted work; when the replica failed meanwhile, its response is lost (``down``);
   during an ``error_rate`` fault it fails with that probability after its work.

A replica that fails fails its waiting requests at once (:meth:`ServeGuard.crash`), and its
requests in service fail for their callers at the same moment (:meth:`ServeGuard._raced`); the
failed replica's copy of such a request runs on with its deadline passed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from archsim.model.errors import Crash, Dropped, FaultError, RateLimited, ReplicaDown
from archsim.model.ops import catching
from archsim.model.resilience import Ticket, tracked
from archsim.model.task import Task, start

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Context
    from archsim.model.ratelimit import ReplicaBuckets, TokenBucket
    from archsim.model.service import CompiledEndpoint, Counted, ServiceRuntime
    from archsim.model.station import Station

Serve = Callable[["Station", "CompiledEndpoint", "Counted | None"], Any]


class ServeGuard:
    """Failure handling around one service's serve functions."""

    def __init__(self, runtime: ServiceRuntime, ctx: Context,
                 limiter: TokenBucket | ReplicaBuckets | None,
                 propagate: bool) -> None:
        self.runtime = runtime
        self.name = runtime.name
        self.ctx = ctx
        self.env = ctx.env
        self.limiter = limiter
        self.propagate = propagate
        self.down: set[int] = set()
        self.epoch: dict[int, int] = {id(s): 0 for s in runtime.replicas}
        self.error_rate = 0.0
        self.error_rates: list[float] = []  # of the active error_rate faults
        self.crashable = False
        self.crash_events: dict[int, simpy.Event] = {}  # per replica, succeeded at a crash
        self.failure = ctx.rng(f"fault:{runtime.name}")
        self.blocking = runtime.blocking
        self.reset()

    def install(self) -> None:
        """Replace the service's serve functions by guarded ones."""
        runtime = self.runtime
        blocking, nonblocking = runtime._serve_blocking, runtime._serve_nonblocking
        runtime._serve_blocking = (  # type: ignore[method-assign]
            lambda station, endpoint, via: self.serve(station, endpoint, via, blocking))
        runtime._serve_nonblocking = (  # type: ignore[method-assign]
            lambda station, endpoint, via: self.serve(station, endpoint, via, nonblocking))

    def reset(self) -> None:
        self.wasted_s = 0.0
        self.abandoned = self.dropped = self.refused_down = self.lost = self.faulted = 0
        self.last_down_error_s: float | None = None

    def serve(self, station: Station, endpoint: CompiledEndpoint, via: Counted | None,
              inner: Serve) -> Generator[Any, Any, None]:
        env = self.env
        if self.limiter is not None and not self.limiter.take(station):
            raise RateLimited(self.name)
        key = id(station)
        if key in self.down:
            self.refused_down += 1
            self.last_down_error_s = env._now
            raise ReplicaDown(self.name)
        ticket = self.ctx.ticket
        if ticket is not None and self.propagate and ticket.expired(env._now):
            self.dropped += 1
            raise Dropped(self.name)
        if self.crashable:
            yield from self._raced(station, endpoint, via, inner, ticket)
        else:
            yield from self._body(station, endpoint, via, inner, ticket, True)

    def _body(self, station: Station, endpoint: CompiledEndpoint, via: Counted | None,
              inner: Serve, ticket: Any, counted: bool) -> Generator[Any, Any, None]:
        """Run the endpoint; wasted work, a response lost to a crash, ``error_rate``.

        ``counted``: count a crash's lost response here (False when :meth:`_raced` did).
        """
        env = self.env
        key = id(station)
        epoch = self.epoch.get(key, 0)
        steps = inner(station, endpoint, via)
        held_s = 0.0
        if ticket is None and not self.propagate and not self.crashable:
            yield from steps
        else:
            held_s = yield from self._watched(steps, station, ticket, endpoint)
        if ticket is not None and ticket.expired(env._now):
            self.abandoned += 1
            self.wasted_s += held_s
        if self.epoch.get(key, 0) != epoch:
            if counted:
                self.lost += 1
                self.last_down_error_s = env._now
            raise ReplicaDown(self.name)
        if self.error_rate and self.failure.random() < self.error_rate:
            self.faulted += 1
            raise FaultError(self.name)

    def _raced(self, station: Station, endpoint: CompiledEndpoint, via: Counted | None,
               inner: Serve, ticket: Any) -> Generator[Any, Any, None]:
        """Serve on a replica that may fail: the caller's request fails the moment it does.

        The request runs as its own task, raced against the replica's crash event. When
        the crash comes first, the caller gets ``down`` at once (as a reset connection
        tells it), while the crashed replica's copy runs on to its end with a deadline
        that has passed: its worker time counts as wasted work here, and services downstream
        see an abandoned request (``deadline: propagate`` drops it).
        """
        env = self.env
        own = Ticket(math.inf, ticket)
        body = tracked(self.ctx, own, self._body(station, endpoint, via, inner, own, False))
        done = start(env, catching(body))
        crashed = self.crash_events.get(id(station))
        if crashed is None:
            crashed = self.crash_events[id(station)] = env.event()
        yield done | crashed
        if not done.triggered:
            own.deadline_s = env._now
            self.lost += 1
            self.last_down_error_s = env._now
            raise ReplicaDown(self.name)
        error = done.value
        if error is not None:  # the crash event always comes first, so this is not ours
            raise error

    def _watched(self, steps: Any, station: Station, ticket: Any,
                 endpoint: CompiledEndpoint) -> Generator[Any, Any, float]:
        """Forward ``steps``; drop at hand-over when the caller gave up; return worker time.

        Worker time is from the hand-over to the end with blocking io, the endpoint's first
        ``work`` without.
        """
        env = self.env
        send, throw = steps.send, steps.throw
        granted = env._now
        work_s = 0.0
        count = 0
        method: Any = send
        argument: Any = None
        while True:
            try:
                target = method(argument)
            except StopIteration:
                break
            except Dropped as dropped:
                if dropped.component == self.name:  # dropped here: no work was held
                    raise
                self._count_wasted(ticket, env._now - granted if self.blocking else work_s)
                raise
            except BaseException:
                self._count_wasted(ticket, env._now - granted if self.blocking else work_s)
                raise
            count += 1
            at_door = count == 1 and target is station.waiting
            if (not self.blocking and not work_s and count <= 2
                    and target.__class__ is float and endpoint.work is not None):
                work_s = target
            try:
                argument = yield target
                method = send
            except Crash as crash:
                if at_door and self.blocking:  # out of the waiting room: the finally of the
                    station.advance()  # blocking path releases a worker, so hand it one
                    station.busy += 1
                method, argument = throw, crash
            except BaseException as error:
                method, argument = throw, error
            else:
                if at_door:
                    granted = env._now
                    if self.propagate and ticket is not None and ticket.expired(granted):
                        self.dropped += 1
                        method, argument = throw, Dropped(self.name)
        return env._now - granted if self.blocking else work_s

    def _count_wasted(self, ticket: Any, held_s: float) -> None:
        if ticket is not None and ticket.expired(self.env._now):
            self.abandoned += 1
            self.wasted_s += held_s

    def crash(self, station: Station) -> None:
        """The replica fails now: refuse new requests, fail the waiting ones."""
        key = id(station)
        self.down.add(key)
        self.epoch[key] = self.epoch.get(key, 0) + 1
        crashed = self.crash_events.pop(key, None)
        if crashed is not None:  # first, so the callers learn before the waiters fail
            crashed.succeed()
        station.advance()
        waiting = list(station.waiting)
        station.waiting.clear()
        for waiter in waiting:
            error = Crash(self.name)
            if isinstance(waiter, Task):
                event = self.env.event()
                event.callbacks.append(waiter.wake)  # type: ignore[union-attr]
                event.fail(error)
            else:
                waiter.fail(error)

    def recover(self, station: Station) -> None:
        """The replica is back."""
        self.down.discard(id(station))

    def is_down(self, station: Station) -> bool:
        """Whether ``station`` is failed now (read-only)."""
        return id(station) in self.down
