"""Calls with failure handling: deadlines, retries with a budget, breakers, discovery.

:class:`ResilientCallOp` replaces :class:`~archsim.model.ops.CallOp` only for call steps that
configure one of these (decided once, at compile time), so plain calls pay nothing.

Deadlines travel with the request as :class:`Ticket` objects: a timed attempt (or a client
request with a ``timeout``) runs inside :func:`tracked`, which sets ``ctx.ticket`` while its
steps run, so a service reached by that request can tell whether its caller has given up
(wasted work, ``deadline: propagate``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

from archsim.model.breaker import PROBE, REFUSED
from archsim.model.errors import CircuitOpen, RequestError, TimedOut
from archsim.model.ops import CallOp, catching
from archsim.model.task import start

if TYPE_CHECKING:
    from archsim.model.breaker import Breaker
    from archsim.model.context import Context
    from archsim.model.discovery import DiscoveryCache
    from archsim.model.station import Station

BUDGET_WINDOW_S = 10.0
BUDGET_BUCKETS = 10


class Ticket:
    """The deadline of one attempt (or client request), inside its parent's."""

    __slots__ = ("deadline_s", "parent")

    def __init__(self, deadline_s: float, parent: Ticket | None) -> None:
        self.deadline_s = deadline_s
        self.parent = parent

    def expired(self, now: float) -> bool:
        """Whether this caller, or one above it, has given up by ``now``."""
        ticket: Ticket | None = self
        while ticket is not None:
            if now >= ticket.deadline_s:
                return True
            ticket = ticket.parent
        return False


def tracked(ctx: Context, ticket: Ticket, steps: Iterable[Any]) -> Generator[Any, Any, Any]:
    """Run ``steps`` with ``ctx.ticket`` set to ``ticket`` whenever they run."""
    iterator: Any = iter(steps)
    send = getattr(iterator, "send", None)
    if send is None:  # a tuple of delays: nothing runs inside
        yield from iterator
        return None
    throw = iterator.throw
    method: Any = send
    argument: Any = None
    while True:
        previous = ctx.ticket
        ctx.ticket = ticket
        try:
            target = method(argument)
        except StopIteration as stop:
            return stop.value
        finally:
            ctx.ticket = previous
        try:
            argument = yield target
            method = send
        except BaseException as error:
            method, argument = throw, error


class RetryBudget:
    """Retries allowed while they stay within ``share`` of the calls of the last 10 s."""

    def __init__(self, share: float) -> None:
        self.share = share
        self.width = BUDGET_WINDOW_S / BUDGET_BUCKETS
        self.buckets: deque[list[float]] = deque()  # [index, calls, retries]
        self.calls = 0.0
        self.retries = 0.0

    def _bucket(self, now: float) -> list[float]:
        index = int(now / self.width)
        buckets = self.buckets
        while buckets and buckets[0][0] <= index - BUDGET_BUCKETS:
            _, calls, retries = buckets.popleft()
            self.calls -= calls
            self.retries -= retries
        if not buckets or buckets[-1][0] != index:
            buckets.append([index, 0.0, 0.0])
        return buckets[-1]

    def called(self, now: float) -> None:
        """An original call (not a retry) started."""
        self._bucket(now)[1] += 1
        self.calls += 1

    def allow(self, now: float) -> bool:
        """Take a retry from the budget if there is room."""
        bucket = self._bucket(now)
        if self.retries + 1 > self.share * self.calls:
            return False
        bucket[2] += 1
        self.retries += 1
        return True


class EdgeStats:
    """Counters of one call step (a caller -> callee edge)."""

    def __init__(self, caller: str, target: str) -> None:
        self.caller = caller
        self.target = target
        self.per_second: dict[int, list[int]] = {}  # second -> [attempts, failed calls]
        self.reset()

    def reset(self) -> None:
        self.calls = self.attempts = self.failed = self.timeouts = 0
        self.short_circuited = self.budget_denied = self.deadline_stopped = 0
        self.per_second = {}

    def stats(self) -> dict[str, Any]:
        return {"caller": self.caller, "to": self.target, "calls": self.calls,
                "attempts": self.attempts, "failed": self.failed, "timeouts": self.timeouts,
                "short_circuited": self.short_circuited, "budget_denied": self.budget_denied,
                "deadline_stopped": self.deadline_stopped,
                "per_second": {k: tuple(v) for k, v in sorted(self.per_second.items())}}


class ResilientCallOp(CallOp):
    """A call with any of: timeout, retries (and budget), circuit breaker, discovery."""

    __slots__ = ("breaker", "budget", "callee_name", "discovery", "edge", "propagate")

    def configure(self, edge: EdgeStats, breaker: Breaker | None, budget: RetryBudget | None,
                  discovery: DiscoveryCache | None, callee_name: str,
                  propagate: bool = False) -> None:
        """Attach the failure-handling parts (once, at build time).

        ``propagate``: the calling service has ``deadline: propagate``, so it stops retrying
        once the request's own deadline has passed (as gRPC bounds retries by the deadline).
        """
        self.callee_name = callee_name
        self.edge = edge
        self.breaker = breaker
        self.budget = budget
        self.discovery = discovery
        self.propagate = propagate

    def run(self, station: Station) -> Iterable[Any]:
        if self.p < 1.0 and self.route() >= self.p:
            return ()
        return self.guarded()

    def guarded(self) -> Generator[Any, Any, None]:
        env = self.env
        edge = self.edge
        edge.calls += 1
        budget = self.budget
        if budget is not None:
            budget.called(env._now)
        error: RequestError | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                yield self.backoff(attempt)
                deadline = self.ctx.ticket
                if self.propagate and deadline is not None and deadline.expired(env._now):
                    edge.deadline_stopped += 1  # the request's caller has given up
                    break
            ticket = 1
            if self.breaker is not None:
                ticket = self.breaker.allow()
                if ticket == REFUSED:
                    edge.short_circuited += 1
                    error = CircuitOpen(self.callee_name)
                    continue
            if attempt and budget is not None and not budget.allow(env._now):
                edge.budget_denied += 1
                if ticket == PROBE:
                    self.breaker.probing = False  # type: ignore[union-attr]
                break
            edge.attempts += 1
            self._second(0)
            error = yield from self.one_attempt()
            if self.breaker is not None:
                self.breaker.record(ticket, error is None)
            if error is None:
                return
        edge.failed += 1
        self._second(1)
        assert error is not None
        raise error

    def _second(self, column: int) -> None:
        second = int(self.env._now)
        row = self.edge.per_second.get(second)
        if row is None:
            row = self.edge.per_second[second] = [0, 0]
        row[column] += 1

    def one_attempt(self) -> Generator[Any, Any, RequestError | None]:
        """One try; returns its error (None on success)."""
        if self.timeout_s is None:
            try:
                yield from self.attempt_steps()
            except RequestError as failure:
                return failure
            return None
        env = self.env
        ctx = self.ctx
        ticket = Ticket(env._now + self.timeout_s, ctx.ticket)
        timer = env.timeout(self.timeout_s)
        done = start(env, catching(tracked(ctx, ticket, self.attempt_steps())))
        yield done | timer
        if not done.triggered:
            self.edge.timeouts += 1
            return TimedOut(self.caller)
        return done.value  # type: ignore[no-any-return]

    def attempt_steps(self) -> Iterable[Any]:
        """Discovery lookup (when configured), then the attempt itself."""
        if self.discovery is None:
            return self.attempt()
        return self._discovered()

    def _discovered(self) -> Generator[Any, Any, None]:
        assert self.discovery is not None
        yield from self.discovery.resolve(self.callee_name)
        yield from self.attempt()
