"""Load balancers at run time: a processing delay, then one replica of the target."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from archsim.model.balancing import make_picker
from archsim.model.errors import RequestError
from archsim.model.service import ComponentStats, ServiceRuntime
from archsim.model.task import simpy_steps

if TYPE_CHECKING:
    from archsim.model.context import Context, Sampler
    from archsim.model.ops import Steps
    from archsim.model.station import Station
    from archsim.spec.components import LoadBalancerSpec


class BalancerRuntime:
    """Forwards each request to one replica of ``target``, keeping the endpoint name.

    The balancer itself is a pure delay (``latency``, no queue); the forward to the replica is
    a network hop in each direction, like any other call.
    """

    kind = "load_balancer"

    def __init__(self, name: str, spec: LoadBalancerSpec, ctx: Context) -> None:
        self.name = name
        self.spec = spec
        self.ctx = ctx
        self.env = ctx.env
        self.latency: Sampler | None = ctx.sampler(spec.latency, f"latency:{name}")
        self.target: ServiceRuntime | None = None
        self.hop: Sampler | None = None
        self.completed = self.departed = 0
        self.residence_sum = 0.0
        self.chosen: Station | None = None  # the replica of the request being forwarded

    def link(self, target: ServiceRuntime, hop: Sampler | None) -> None:
        """Connect to the target service once every component exists."""
        self.target = target
        self.hop = hop
        rng = self.ctx.rng(f"policy:{self.name}")
        self.pick = make_picker(self.spec.policy, target.replicas, rng)

    def handle(self, endpoint: str) -> Steps:
        """:meth:`steps` for a plain SimPy process (yields SimPy events only)."""
        return simpy_steps(self.env, self.steps(endpoint))

    def entry(self, endpoint: str) -> Callable[[], Steps]:
        """``steps(endpoint)`` resolved once: a zero-argument function per request.

        The target's own ``entry`` decides what a request runs (a cache's hit or miss, a
        database's primary or read replica), with this balancer's replica choice.
        """
        target = self.target
        assert target is not None
        if self.latency is None and self.hop is None:  # the target keeps our counters
            return target.entry(endpoint, via=self, pick=self.pick)
        return partial(self._forward, target.entry(endpoint, pick=self._picked))

    def _picked(self) -> Station:
        """The replica :meth:`_forward` chose before its hop (the target asks at once)."""
        assert self.chosen is not None
        return self.chosen

    def steps(self, endpoint: str) -> Steps:
        """Delay, pick a replica, forward (hop out and back); Task protocol."""
        return self.entry(endpoint)()

    def _forward(self, inner: Callable[[], Steps]) -> Steps:
        env = self.env
        start = env._now
        try:
            if self.latency is not None:
                yield self.latency()
            station = self.pick()  # chosen here, then sent over the hop
            if self.hop is None:
                self.chosen = station
                yield from inner()
            else:
                yield self.hop()
                self.chosen = station
                try:
                    yield from inner()
                except RequestError:
                    yield self.hop()
                    raise
                yield self.hop()
        finally:
            self.departed += 1
            self.residence_sum += env._now - start
        self.completed += 1

    def reset(self) -> None:
        """Start the measured window."""
        self.completed = self.departed = 0
        self.residence_sum = 0.0

    def stats(self) -> ComponentStats:
        """Forwarded requests; a balancer has no workers, so no utilization."""
        return ComponentStats(self.name, self.kind, 1, None, 0.0, 0.0, 0.0, 0, self.completed,
                              self.departed, self.residence_sum, 0)

    def busiest(self) -> int:
        """A balancer never queues."""
        return 0
