"""Time-varying arrival rates: schedules of steps, ramps, periodic bursts, profiles.

A workload's ``rate`` is a plain rate (a constant) or one of these shapes. Each shape gives
``rate_at(t)`` (per second at simulated time ``t`` seconds, warm-up included), its ``peak``
(the thinning bound), ``expected(a, b)`` (the integral of the rate over ``[a, b)``, the mean
number of arrivals) and ``ends_s`` (after which the rate stays 0; ``inf`` if it never does).
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated, Any, Union

from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator, model_validator

from archsim.spec.types import Duration, Rate, Spec


class RatePoint(Spec):
    """A rate from time ``at`` (a schedule step, or a profile point)."""

    at: Duration
    rate: Rate


def _ordered(points: tuple[RatePoint, ...]) -> tuple[RatePoint, ...]:
    for before, after in pairwise(points):
        if after.at <= before.at:
            raise ValueError(f"expected times in increasing order, got {after.at:g}s after "
                             f"{before.at:g}s")
    return points


class _Shape(Spec):
    """Shared behaviour of the time-varying shapes."""

    def rate_at(self, t: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def peak(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def ends_s(self) -> float:
        """Time after which the rate stays 0 (``inf`` when it does not)."""
        return math.inf

    def breaks(self, a: float, b: float) -> list[float]:
        """Times in ``(a, b)`` where the rate function changes its formula."""
        return []

    def expected(self, a: float, b: float) -> float:
        """Integral of the rate over ``[a, b)`` (exact: the pieces are linear)."""
        edges = [a, *self.breaks(a, b), b]
        total = 0.0
        for left, right in pairwise(edges):
            if right > left:  # trapezoid rule is exact on a linear piece
                eps = (right - left) * 1e-12
                total += (right - left) * (self.rate_at(left + eps) + self.rate_at(right - eps)) / 2
        return total

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class Schedule(_Shape):
    """Steps: ``rate`` from each ``at`` until the next (0 before the first step)."""

    steps: Annotated[tuple[RatePoint, ...], Field(min_length=1)]

    _check = field_validator("steps")(classmethod(lambda cls, v: _ordered(v)))

    def rate_at(self, t: float) -> float:
        rate = 0.0
        for step in self.steps:
            if step.at > t:
                break
            rate = step.rate
        return rate

    @property
    def peak(self) -> float:
        return max(step.rate for step in self.steps)

    @property
    def ends_s(self) -> float:
        return self.steps[-1].at if self.steps[-1].rate == 0 else math.inf

    def breaks(self, a: float, b: float) -> list[float]:
        return [s.at for s in self.steps if a < s.at < b]

    def describe(self) -> str:
        return "steps " + ", ".join(f"{s.rate:g}/s@{s.at:g}s" for s in self.steps)


class Ramp(Spec):
    """A linear change from ``from`` to ``to`` over ``over``, starting at ``at``."""

    from_: Rate = Field(alias="from")
    to: Rate
    over: Duration
    at: Duration = 0.0

    @field_validator("over")
    @classmethod
    def _positive(cls, over: float) -> float:
        if over <= 0:
            raise ValueError(f"expected a duration > 0, got {over:g}s")
        return over


class RampRate(_Shape):
    """``{ramp: {from, to, over, at}}``: ``from`` before ``at``, ``to`` after ``at + over``."""

    ramp: Ramp

    def rate_at(self, t: float) -> float:
        ramp = self.ramp
        share = min(max((t - ramp.at) / ramp.over, 0.0), 1.0)
        return ramp.from_ + (ramp.to - ramp.from_) * share

    @property
    def peak(self) -> float:
        return max(self.ramp.from_, self.ramp.to)

    @property
    def ends_s(self) -> float:
        return self.ramp.at + self.ramp.over if self.ramp.to == 0 else math.inf

    def breaks(self, a: float, b: float) -> list[float]:
        return [x for x in (self.ramp.at, self.ramp.at + self.ramp.over) if a < x < b]

    def describe(self) -> str:
        r = self.ramp
        return f"ramp {r.from_:g}->{r.to:g}/s over {r.over:g}s"


class Burst(Spec):
    """``rate`` during ``for`` every ``every`` (first at ``at``), ``base`` in between."""

    rate: Rate
    every: Duration
    for_: Duration = Field(alias="for")
    base: Rate = 0.0
    at: Duration = 0.0

    @model_validator(mode="after")
    def _fits(self) -> Burst:
        if not 0 < self.for_ <= self.every:
            raise ValueError(f"expected 0 < 'for' <= 'every', got for {self.for_:g}s and every "
                             f"{self.every:g}s")
        return self


class BurstRate(_Shape):
    """``{burst: {rate, every, for, base, at}}``: a periodic burst over a base rate."""

    burst: Burst

    def rate_at(self, t: float) -> float:
        b = self.burst
        if t < b.at:
            return b.base
        return b.rate if (t - b.at) % b.every < b.for_ else b.base

    @property
    def peak(self) -> float:
        return max(self.burst.rate, self.burst.base)

    def expected(self, a: float, b: float) -> float:
        """Integral of the rate over ``[a, b)``, in closed form: a burst every nanosecond over
        a year-long run is no more work than one burst (walking them would never end)."""
        return self._cumulative(b) - self._cumulative(a) if b > a else 0.0

    def _cumulative(self, t: float) -> float:
        """Integral of the rate over ``[0, t)``."""
        b = self.burst
        if t <= b.at:
            return b.base * t
        periods, into = divmod(t - b.at, b.every)
        per_period = b.rate * b.for_ + b.base * (b.every - b.for_)
        partial = b.rate * min(into, b.for_) + b.base * max(into - b.for_, 0.0)
        return b.base * b.at + periods * per_period + partial

    def describe(self) -> str:
        b = self.burst
        return f"burst {b.rate:g}/s for {b.for_:g}s every {b.every:g}s (base {b.base:g}/s)"


class ProfileRate(_Shape):
    """``{profile: [{at, rate}, ...], period}``: points joined by straight lines.

    Before the first point the rate is the first point's, after the last point the last's;
    with ``period`` the profile repeats (a daily curve: ``period: 24h``), and the segment
    from the last point wraps round to the first.
    """

    profile: Annotated[tuple[RatePoint, ...], Field(min_length=2)]
    period: Duration | None = None

    _check = field_validator("profile")(classmethod(lambda cls, v: _ordered(v)))

    @model_validator(mode="after")
    def _period_covers(self) -> ProfileRate:
        last = self.profile[-1].at
        if self.period is not None and self.period <= last:
            raise ValueError(f"expected a 'period' longer than the last point's time "
                             f"({last:g}s), got {self.period:g}s")
        return self

    def _points(self) -> list[tuple[float, float]]:
        points = [(p.at, p.rate) for p in self.profile]
        if self.period is not None:
            first = self.profile[0]
            points.append((first.at + self.period, first.rate))
        return points

    def rate_at(self, t: float) -> float:
        points = self._points()
        if self.period is not None:
            t = points[0][0] + (t - points[0][0]) % self.period
        if t <= points[0][0]:
            return points[0][1]
        for (t0, r0), (t1, r1) in pairwise(points):
            if t <= t1:
                return r0 + (r1 - r0) * (t - t0) / (t1 - t0)
        return points[-1][1]

    @property
    def peak(self) -> float:
        return max(p.rate for p in self.profile)

    @property
    def ends_s(self) -> float:
        if self.period is None and self.profile[-1].rate == 0:
            return self.profile[-1].at
        return math.inf

    def expected(self, a: float, b: float) -> float:
        """Integral of the rate over ``[a, b)``: whole periods at once, then the rest piece by
        piece (a short ``period`` over a long run would otherwise be walked period by period)."""
        if self.period is None or b <= a:
            return super().expected(a, b)
        whole, rest = divmod(b - a, self.period)
        first = self.profile[0].at
        start = first + (a - first) % self.period  # the same phase within [first, first + P)
        one = super().expected(start, start + self.period) if whole else 0.0
        return whole * one + super().expected(start, start + rest)

    def breaks(self, a: float, b: float) -> list[float]:
        times = [p.at for p in self.profile]
        if self.period is None:
            return [x for x in times if a < x < b]
        out: list[float] = []
        k = math.floor((a - times[0]) / self.period)
        while True:
            shifted = [x + k * self.period for x in (*times, times[0] + self.period)]
            if shifted[0] >= b:
                return sorted(set(out))
            out.extend(x for x in shifted if a < x < b)
            k += 1

    def describe(self) -> str:
        return f"profile of {len(self.profile)} points, peak {self.peak:g}/s"


def _schedule(steps: tuple[RatePoint, ...]) -> Schedule:
    """A YAML list of steps becomes a :class:`Schedule`."""
    return Schedule(steps=_ordered(steps))


SHAPE_KEYS = {"ramp": "<ramp>", "burst": "<burst>", "profile": "<profile>"}


def _rate_tag(value: Any) -> str | None:
    if isinstance(value, (list, tuple)) or isinstance(value, Schedule):
        return "<schedule>"
    if isinstance(value, dict):
        for key, tag in SHAPE_KEYS.items():
            if key in value:
                return tag
        return None
    if isinstance(value, _Shape):
        return {RampRate: "<ramp>", BurstRate: "<burst>", ProfileRate: "<profile>"}.get(
            type(value), "<schedule>")
    return "<constant>"


RateShape = Union[Schedule, RampRate, BurstRate, ProfileRate]  # noqa: UP007

RateValue = Annotated[
    Union[  # noqa: UP007 - tagged members need the Union form
        Annotated[Rate, Tag("<constant>")],
        Annotated[tuple[RatePoint, ...], Field(min_length=1), AfterValidator(_schedule),
                  Tag("<schedule>")],
        Annotated[RampRate, Tag("<ramp>")],
        Annotated[BurstRate, Tag("<burst>")],
        Annotated[ProfileRate, Tag("<profile>")],
    ],
    Discriminator(
        _rate_tag,
        custom_error_type="rate_shape",
        custom_error_message="expected a rate (400, '400/s'), a list of steps "
        "[{at, rate}, ...], or a mapping with 'ramp', 'burst' or 'profile'",
    ),
]
"""A constant rate (float, per second) or a time-varying shape."""


def is_varying(rate: Any) -> bool:
    """Whether ``rate`` is a time-varying shape (not a plain number)."""
    return isinstance(rate, _Shape)
