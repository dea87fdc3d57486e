"""Time-varying open workloads: thinning for rate shapes, exact replay for traces.

A constant rate keeps the client's own arrival stream (:class:`~archsim.model.client.Arrivals`);
this module drives the other two cases with one light task per workload:

- a rate shape (schedule, ramp, burst, profile) is a non-homogeneous Poisson process, made by
  thinning (Lewis and Shedler, "Simulation of nonhomogeneous Poisson processes by thinning",
  Naval Research Logistics Quarterly 26(3), 1979): candidates come at the peak rate
  lambda*, and a candidate at time t is kept with probability lambda(t) / lambda*. An interval
  whose rate is zero therefore gets no arrival at all. Candidates are drawn in a loop without
  events, so only kept arrivals touch the event queue;
- a trace replays its times exactly: N rows give N requests at those instants.

Times are seconds since the start of the run, warm-up included. The rate scale multiplies a
shape's rate; a trace is replayed as recorded.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from archsim.model.task import Task
from archsim.spec.rates import is_varying

if TYPE_CHECKING:
    import numpy as np

    from archsim.model.client import Client
    from archsim.spec.schema import Workload

BATCH = 4096


class DynamicLoad:
    """The arrival times of one time-varying or replayed workload."""

    def __init__(self, spec: Workload, rate_scale: float) -> None:
        self.shape: Any = spec.rate if is_varying(spec.rate) else None
        self.times: tuple[float, ...] = spec.trace_times_s if spec.trace is not None else ()
        self.scale = rate_scale
        self.horizon_s = math.inf

    def start(self, client: Client) -> None:
        """Start the arrivals of ``client`` (each a :meth:`Client.one` task)."""
        env = client.env
        times = (self._thinned(client.ctx.rng(f"arrivals:{client.spec.name}"), env.now)
                 if self.shape is not None else iter(self.times))
        Task(env, self._drive(client, times), at_once=False)

    def _drive(self, client: Client, times: Iterator[float]) -> Iterator[Any]:
        env = client.env
        one = client.one
        for at in times:
            if at > self.horizon_s:
                return
            if at > env._now:  # type: ignore[attr-defined]
                yield at - env._now  # type: ignore[attr-defined]
            Task(env, one())

    def _thinned(self, rng: np.random.Generator, start: float) -> Iterator[float]:
        peak = self.shape.peak * self.scale
        if peak <= 0:
            return
        end = min(self.horizon_s, self.shape.ends_s)
        rate_at: Callable[[float], float] = self.shape.rate_at
        threshold = self.shape.peak
        t = start
        while True:
            gaps = (rng.standard_exponential(BATCH) / peak).tolist()
            marks = (rng.random(BATCH) * threshold).tolist()
            for gap, mark in zip(gaps, marks, strict=True):
                t += gap
                if t >= end:
                    return
                if mark < rate_at(t):
                    yield t

    def expected(self, a: float, b: float) -> float:
        """Mean number of arrivals in ``[a, b)`` (seconds): the offered load times the span."""
        if self.shape is not None:
            return float(self.shape.expected(a, b)) * self.scale
        return float(bisect_left(self.times, b) - bisect_left(self.times, a))


def dynamic_load(spec: Workload, rate_scale: float) -> DynamicLoad | None:
    """A :class:`DynamicLoad` for a rate shape or a trace; None for a constant rate."""
    if spec.trace is not None or is_varying(spec.rate):
        return DynamicLoad(spec, rate_scale)
    return None
