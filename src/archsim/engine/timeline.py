"""Timelines of one replication: per-interval counts, latencies and time averages.

Bins are ``interval`` long and aligned on the end of the warm-up, so no bin straddles it:
edges at ``warmup + k * interval`` (k of either sign) clipped to [0, warmup + duration]. The
first bin (inside the warm-up) and the last may be shorter. Bins before the warm-up's end are
recorded too (``warmup_bins`` of them); the bins after it add up exactly to the run's own
measured-window counts, because both read the same counters.

A light task closes the bins at their edges; the engine closes the one ending at the warm-up
(before the reset) and the last one. Sampling draws no random number and changes no state of
the model, so a run gives the same results with or without a timeline.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from heapq import heappush
from typing import TYPE_CHECKING, Any

from archsim.errors import UsageError
from archsim.model.task import URGENT

if TYPE_CHECKING:
    from archsim.engine.build import Model

MAX_BINS = 100_000
"""Most bins per replication: each closes with a simulated event and keeps a value per series,
so 1 us over 60 s (6e7 bins) would run for hours and fill the memory."""


class TimelineError(UsageError, ValueError):
    """A timeline interval too short for the run (more than :data:`MAX_BINS` bins)."""


@dataclass(frozen=True, slots=True)
class ClassSeries:
    """One request class, per bin: arrivals, completions, failures, response times (s)."""

    arrived: list[int]
    completed: list[int]
    failed: list[int]
    latencies_s: list[array]


@dataclass(frozen=True, slots=True)
class ComponentSeries:
    """One service, per bin: busy worker-seconds, waiting request-seconds, worker-seconds
    provisioned, and serving replicas at the bin's end."""

    busy: list[float]
    wait: list[float]
    capacity: list[float]
    replicas: list[int]


@dataclass(frozen=True, slots=True)
class Timeline:
    """A replication's timeline (picklable); bin ``i`` is ``[edges_s[i], edges_s[i + 1])``.

    ``attempts``: attempts per bin of each call step with failure handling (retries
    included), keyed like the report's ``calls`` section.
    """

    interval_s: float
    edges_s: list[float]
    warmup_bins: int
    classes: dict[str, ClassSeries] = field(default_factory=dict)
    components: dict[str, ComponentSeries] = field(default_factory=dict)
    backlog: dict[str, list[int]] = field(default_factory=dict)
    breakers: dict[str, list[str]] = field(default_factory=dict)
    attempts: dict[str, list[int]] = field(default_factory=dict)


def bin_edges(interval_s: float, warmup_s: float, duration_s: float) -> list[float]:
    """Edges of the bins: aligned on ``warmup_s``, clipped to [0, warmup + duration]."""
    end = warmup_s + duration_s
    before = math.ceil(warmup_s / interval_s - 1e-9)
    after = math.ceil(duration_s / interval_s - 1e-9)
    # rounded to the nanosecond, so 102 x 0.1 s is the 10.2 s a fault at "10.2s" starts at
    inner = [round(warmup_s + k * interval_s, 9) for k in range(-before, after + 1)]
    edges = sorted({0.0, end, *(min(max(x, 0.0), end) for x in inner)})
    return [e for i, e in enumerate(edges) if i == 0 or e - edges[i - 1] > 1e-9 * max(1, e)]


def bin_count(interval_s: float, warmup_s: float, duration_s: float) -> int:
    """Bins :func:`bin_edges` makes, counted without building them (at most, +-1 merged)."""
    return (math.ceil(warmup_s / interval_s - 1e-9) if warmup_s > 0 else 0) + math.ceil(
        duration_s / interval_s - 1e-9)


def check_bin_count(interval_s: float, warmup_s: float, duration_s: float,
                    span: str = "warm-up included") -> None:
    """Refuse an interval that makes more than :data:`MAX_BINS` bins per replication.

    ``span`` says in the message what the run length counts (``"warm-up included"``).

    Raises
    ------
    TimelineError
        A ``ValueError`` (and a ``UsageError``) saying the count and the shortest interval
        this warm-up and duration allow.
    """
    count = bin_count(interval_s, warmup_s, duration_s)
    if count <= MAX_BINS:
        return
    raise TimelineError(
        f"an interval of {_show(interval_s)} makes {count:,} bins per replication over "
        f"{_show(warmup_s + duration_s)} ({span}); at most {MAX_BINS:,} are allowed, so give "
        f"at least {_show(shortest_interval(warmup_s, duration_s))} for this run")


UNITS = (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))


def _unit(seconds: float) -> tuple[str, float]:
    return next((u, f) for u, f in UNITS if seconds >= f or u == "ns")


def _show(seconds: float) -> str:
    unit, factor = _unit(seconds)
    return f"{seconds / factor:.6g}{unit}"


def shortest_interval(warmup_s: float, duration_s: float) -> float:
    """The shortest interval within :data:`MAX_BINS`, rounded up to 3 digits in its unit."""
    target = (warmup_s + duration_s) / MAX_BINS
    while True:
        factor = _unit(target)[1]
        value = target / factor
        scale = 10.0 ** (2 - math.floor(math.log10(value)))
        value = math.ceil(value * scale - 1e-9) / scale
        if bin_count(value * factor, warmup_s, duration_s) <= MAX_BINS:
            return value * factor
        target = value * factor * (1 + 1e-4)


class TimelineRecorder:
    """Closes bins of ``model`` at the edges of :func:`bin_edges` (see the module docstring)."""

    def __init__(self, model: Model, interval_s: float, warmup_s: float,
                 duration_s: float) -> None:
        from archsim.model.broker import Broker
        from archsim.model.service import ServiceRuntime

        self.model = model
        self.env = model.ctx.env
        check_bin_count(interval_s, warmup_s, duration_s)
        self.edges = bin_edges(interval_s, warmup_s, duration_s)
        self.warmup_s = warmup_s
        self.interval_s = interval_s
        self.services = {n: c for n, c in model.components.items()
                         if isinstance(c, ServiceRuntime)}
        self.scalers = {a.service.name: a for a in model.autoscalers}
        self.brokers = [c for c in model.components.values() if isinstance(c, Broker)]
        self.classes = {c.spec.name: ClassSeries([], [], [], []) for c in model.clients}
        self.components = {n: ComponentSeries([], [], [], []) for n in self.services}
        self.backlog: dict[str, list[int]] = {}
        self.breakers: dict[str, list[str]] = {}
        failures = getattr(model.ctx, "failures", None)
        self.edges_stats = dict(getattr(failures, "edges", None) or {})  # call edges
        self.guards = dict(getattr(failures, "guards", None) or {})  # to skip failed replicas
        self.attempts: dict[str, list[int]] = {name: [] for name in self.edges_stats}
        self._last_time = 0.0
        self._base: dict[str, Any] = {}
        self.rebase()
        for client in model.clients:  # count during the warm-up too; reset() zeroes it
            client.measuring = True

    def start(self) -> None:
        """Close bins at every edge strictly inside the warm-up and the measured window.

        Each close is an urgent event at the edge's exact time, so it runs before anything
        else due then: an event at an edge counts in the bin that starts there, as events at
        the end of the warm-up count in the measured window.
        """
        self._pending = iter([e for e in self.edges[1:-1] if abs(e - self.warmup_s) >= 1e-12])
        self._next_tick()

    def _next_tick(self) -> None:
        edge = next(self._pending, None)
        if edge is None:
            return
        env = self.env
        tick = env.event()
        tick._ok, tick._value = True, None  # triggered; scheduled below at the exact edge
        tick.callbacks.append(self._tick)  # type: ignore[union-attr]
        heappush(env._queue, (edge, URGENT, next(env._eid), tick))  # type: ignore[attr-defined]

    def _tick(self, _event: Any) -> None:
        self.close()
        self._next_tick()

    def rebase(self) -> None:
        """Take the current counters as the next bin's start (after a reset, all zero)."""
        for client in self.model.clients:
            self._base[client.spec.name] = (client.arrived, client.completed, client.failed,
                                            len(client.latencies))
        for name in self.services:
            self._base[name] = self._areas(name)
        for name, edge in self.edges_stats.items():
            self._base[f"edge:{name}"] = edge.attempts

    def _serving(self, name: str, replicas: list[Any]) -> int:
        """Replicas of ``name`` not failed now (a ``replicas_down`` fault holds the others)."""
        guard = self.guards.get(name)
        if guard is None:
            return len(replicas)
        return sum(1 for station in replicas if not guard.is_down(station))

    def _areas(self, name: str) -> tuple[float, float, float]:
        scaler = self.scalers.get(name)
        if scaler is not None:
            return scaler.window_areas()
        service = self.services[name]
        for station in service.replicas:
            station.advance()
        busy = sum(s.busy_area for s in service.replicas)
        wait = sum(s.wait_area for s in service.replicas)
        return busy, wait, 0.0

    def close(self) -> None:
        """Close the bin ending now (each counter read once: its value is the next base)."""
        now = self.env.now
        span = now - self._last_time
        if span <= 0:
            return
        self._last_time = now
        base = self._base
        for client in self.model.clients:
            name = client.spec.name
            arrived, completed, failed, count = base[name]
            series = self.classes[name]
            current = (client.arrived, client.completed, client.failed, len(client.latencies))
            series.arrived.append(current[0] - arrived)
            series.completed.append(current[1] - completed)
            series.failed.append(current[2] - failed)
            series.latencies_s.append(client.latencies[count:])
            base[name] = current
        for name, service in self.services.items():
            areas = self._areas(name)
            old = base[name]
            series = self.components[name]
            series.busy.append(areas[0] - old[0])
            series.wait.append(areas[1] - old[1])
            scaler = self.scalers.get(name)
            series.capacity.append(areas[2] - old[2] if scaler is not None
                                   else span * service.spec.workers * len(service.replicas))
            series.replicas.append(self._serving(name, service.replicas))
            base[name] = areas
        for broker in self.brokers:
            for subscriber in broker.subscribers:
                self.backlog.setdefault(subscriber.key, []).append(_backlog(broker, subscriber))
        for name, edge in self.edges_stats.items():
            key = f"edge:{name}"
            self.attempts[name].append(edge.attempts - base[key])
            base[key] = edge.attempts
        for name, state in _breaker_states(self.model):
            self.breakers.setdefault(name, []).append(state)

    def result(self) -> Timeline:
        """The recorded series (call after the last :meth:`close`)."""
        return Timeline(self.interval_s, self.edges, sum(
            1 for e in self.edges[1:] if e <= self.warmup_s + 1e-12), self.classes,
            self.components, self.backlog, self.breakers, self.attempts)


def _backlog(broker: Any, subscriber: Any) -> int:
    """Messages waiting for ``subscriber`` now (its group's line, or the queue's)."""
    line = getattr(subscriber, "line", None) or getattr(broker, "line", None)
    return int(getattr(line, "length", 0))


def _breaker_states(model: Model) -> list[tuple[str, str]]:
    """``(name, state)`` of every circuit breaker the model exposes, if any."""
    breakers = getattr(model.ctx, "breakers", None)
    if not breakers:  # failure handling keeps them in ctx.failures.breakers (name -> Breaker)
        breakers = getattr(getattr(model.ctx, "failures", None), "breakers", None)
    if not breakers:
        return []
    items = breakers.values() if isinstance(breakers, dict) else breakers
    out = []
    for breaker in items:
        now = breaker.env._now
        state = str(breaker.state)
        if state == "open" and now >= breaker.opened_at + breaker.open_for:
            state = "half_open"  # due on schedule, switched lazily on the next call
        out.append((str(breaker.name), state))
    return out
