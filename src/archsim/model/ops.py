"""Compiled endpoint steps: each ``run`` returns the steps the serving task delegates to.

Steps follow the :class:`~archsim.model.task.Task` protocol: they yield delays in seconds,
waiting rooms and SimPy events. ``run`` is a plain method returning an iterable, so a step that
is one delay, or one call straight to its callee, costs no generator of its own. Failures
travel as :class:`~archsim.model.errors.RequestError` exceptions through the ``yield from``
chain, so a blocking caller releases its worker in a ``finally`` and the client counts the
error once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from archsim.model.errors import RequestError, TimedOut
from archsim.model.task import start

if TYPE_CHECKING:
    import simpy

    from archsim.model.context import Context, Sampler
    from archsim.model.station import Station

Steps = Generator[Any, Any, None]

NOTHING: tuple[()] = ()
"""The steps of a call not taken (no event, no generator)."""


class Callee(Protocol):
    """A component that can serve an endpoint (service or load balancer).

    ``steps`` follows the :class:`~archsim.model.task.Task` protocol; ``handle`` gives the same
    steps as SimPy events, for code running in plain SimPy processes. ``entry`` (optional)
    resolves an endpoint once into a zero-argument function giving ``steps(endpoint)``.
    """

    name: str

    def steps(self, endpoint: str) -> Steps: ...

    def handle(self, endpoint: str) -> Steps: ...


def entry_of(callee: Callee, endpoint: str) -> Callable[[], Iterable[Any]]:
    """A zero-argument function giving the steps of one request to ``callee``'s ``endpoint``.

    Resolved once, after every component is compiled, so the hot path skips the endpoint
    lookup and replica choice plumbing. A callee with only ``handle`` (SimPy events) works
    too: a Task runs SimPy events.
    """
    entry = getattr(callee, "entry", None)
    if entry is not None:
        return entry(endpoint)  # type: ignore[no-any-return]
    return partial(getattr(callee, "steps", callee.handle), endpoint)


class Op:
    """Base of the compiled steps."""

    __slots__ = ()

    def run(self, station: Station) -> Iterable[Any]:  # pragma: no cover - interface
        raise NotImplementedError


def catching(steps: Iterable[Any]) -> Generator[Any, Any, RequestError | None]:
    """Run ``steps`` and return its RequestError instead of raising it (for sub-tasks)."""
    try:
        yield from steps
    except RequestError as error:
        return error
    return None


class WorkOp(Op):
    """Local work; holds a worker (acquired here when the service is non-blocking)."""

    __slots__ = ("blocking", "env", "sample")

    def __init__(self, env: simpy.Environment, sample: Sampler, blocking: bool) -> None:
        self.env = env
        self.sample = sample
        self.blocking = blocking

    def run(self, station: Station) -> Iterable[Any]:
        if self.blocking:
            return (self.sample(),)
        return self.nonblocking(station)

    def nonblocking(self, station: Station) -> Steps:
        wait = station.request()
        if wait is not None:
            yield wait
        try:
            yield self.sample()
        finally:
            station.release()


class CallOp(Op):
    """A synchronous call: network hop out, the callee's endpoint, network hop back.

    Taken with probability ``p``; with a ``timeout`` the caller stops waiting (the callee
    keeps working); with ``retries`` failed attempts are retried after exponential backoff
    with full jitter (Brooker, "Exponential Backoff and Jitter", AWS Architecture Blog, 2015).
    """

    __slots__ = (
        "backoff_s",
        "callee",
        "caller",
        "ctx",
        "direct",
        "endpoint",
        "enter",
        "env",
        "jitter",
        "latency",
        "max_retries",
        "multiplier",
        "p",
        "route",
        "timeout_s",
        "uniform",
    )

    def __init__(self, ctx: Context, caller: str, callee: Callee, endpoint: str, p: float,
                 latency: Sampler | None, stream: str, timeout_s: float | None = None,
                 max_retries: int = 0, backoff_s: float = 0.0, multiplier: float = 2.0,
                 jitter: bool = True) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.caller = caller
        self.callee = callee
        self.endpoint = endpoint
        self.enter: Callable[[], Iterable[Any]] | None = None  # resolved on first use
        self.p = p
        self.latency = latency
        rng = ctx.rng(stream)
        self.route = _uniform_stream(rng)
        self.uniform = _uniform_stream(rng) if max_retries and jitter else None
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.multiplier = multiplier
        self.jitter = jitter
        self.direct = latency is None and timeout_s is None and not max_retries

    def run(self, station: Station) -> Iterable[Any]:
        if self.p < 1.0 and self.route() >= self.p:
            return NOTHING
        if self.direct:
            enter = self.enter
            if enter is None:
                enter = self.enter = entry_of(self.callee, self.endpoint)
            return enter()
        if self.timeout_s is None and not self.max_retries:
            return self.hopped()
        return self.guarded()

    def callee_steps(self) -> Iterable[Any]:
        """The callee's steps for one request."""
        enter = self.enter
        if enter is None:
            enter = self.enter = entry_of(self.callee, self.endpoint)
        return enter()

    def attempt(self) -> Iterable[Any]:
        """One try: the callee's steps, inside a hop each way when there is latency."""
        if self.latency is None:
            return self.callee_steps()
        return self.hopped()

    def hopped(self) -> Steps:
        latency = self.latency
        assert latency is not None
        yield latency()
        try:
            yield from self.callee_steps()
        except RequestError:
            yield latency()  # the error response travels back too
            raise
        yield latency()

    def guarded(self) -> Steps:
        env = self.env
        error: RequestError | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                yield self.backoff(attempt)
            if self.timeout_s is None:
                try:
                    yield from self.attempt()
                    return
                except RequestError as failure:
                    error = failure
                    continue
            timer = env.timeout(self.timeout_s)  # scheduled before the attempt starts, as
            done = start(env, catching(self.attempt()))  # with a process it would be
            yield done | timer
            if not done.triggered:
                error = TimedOut(self.caller)
            elif done.value is not None:
                error = done.value
            else:
                return
        assert error is not None
        raise error

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        # the exponent is capped so a large retry count cannot overflow a float
        ceiling = self.backoff_s * self.multiplier ** min(attempt - 1, 64)
        return ceiling * self.uniform() if self.uniform is not None else ceiling


class ParallelOp(Op):
    """Fork the branches as sub-processes and join when all have finished.

    A request with a deadline (``ctx.ticket``, see :mod:`archsim.model.resilience`) keeps it
    in every branch, for every step the branch runs, not only its first.
    """

    __slots__ = ("branches", "ctx", "env")

    def __init__(self, env: simpy.Environment, branches: list[Op],
                 ctx: Context | None = None) -> None:
        self.env = env
        self.branches = branches
        self.ctx = ctx

    def run(self, station: Station) -> Steps:
        env = self.env
        ctx = self.ctx
        ticket = ctx.ticket if ctx is not None else None
        if ticket is None:
            branches = [start(env, catching(branch.run(station))) for branch in self.branches]
        else:
            from archsim.model.resilience import tracked

            branches = [start(env, catching(tracked(ctx, ticket, branch.run(station))))
                        for branch in self.branches]
        yield env.all_of(branches)
        for done in branches:
            if done.value is not None:
                raise done.value


def _uniform_stream(rng: Any, size: int = 4096) -> Sampler:
    buffer: list[float] = []

    def draw() -> float:
        if not buffer:
            buffer.extend(rng.random(size).tolist())
        return buffer.pop()

    return draw
