"""One replication: a pure function of (topology, seed, settings) to a picklable result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archsim.engine.timeline import Timeline
from archsim.errors import ModelError
from archsim.model.broker import Broker, SubscriberStats
from archsim.model.client import ClassStats
from archsim.model.errors import Saturated
from archsim.model.failures import FailureStats
from archsim.model.service import ComponentStats
from archsim.spec.schema import Topology

PROGRESS_SLICES = 20


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a replication needs besides the topology and the seed (seconds, factors)."""

    duration_s: float
    warmup_s: float
    rate_scale: float = 1.0
    max_in_flight: int = 200_000
    timeline_s: float | None = None  # bin width of the timeline; None records none


@dataclass(frozen=True, slots=True)
class ReplicationResult:
    """Everything measured in one replication's window (picklable)."""

    seed: int
    duration_s: float
    warmup_s: float
    classes: tuple[ClassStats, ...]
    components: tuple[ComponentStats, ...]
    in_flight_end: int
    subscribers: tuple[SubscriberStats, ...] = ()
    timeline: Timeline | None = None
    failures: FailureStats | None = None


def run_replication(topology: Topology, seed: int, settings: RunSettings,
                    progress: Callable[[float], None] | None = None) -> ReplicationResult:
    """Simulate ``topology`` with ``seed`` for warm-up plus duration.

    Parameters
    ----------
    topology:
        A validated topology.
    seed:
        The replication's seed; all random streams derive from it.
    settings:
        Duration and warm-up (seconds), rate scale, in-flight bound.
    progress:
        Called with the fraction of simulated time done (0..1), about 20 times.

    Returns
    -------
    ReplicationResult

    Raises
    ------
    ModelError
        When requests in flight pass ``settings.max_in_flight`` (an unstable model); the
        message names the component with the longest waiting room.
    """
    import simpy

    from archsim.engine.build import build_model

    env = simpy.Environment()
    model = build_model(topology, env, seed, settings.rate_scale, settings.max_in_flight)
    for client in model.clients:
        if client.dynamic is not None:  # time-varying arrivals stop at the end of the run
            client.dynamic.horizon_s = settings.warmup_s + settings.duration_s
        client.start()
    for scaler in model.autoscalers:
        scaler.start()
    recorder = None
    if settings.timeline_s is not None:
        from archsim.engine.timeline import TimelineRecorder

        recorder = TimelineRecorder(model, settings.timeline_s, settings.warmup_s,
                                    settings.duration_s)
        recorder.start()
    brokers = [c for c in model.components.values() if isinstance(c, Broker)]
    try:
        if settings.warmup_s > 0:
            env.run(until=settings.warmup_s)
        if recorder is not None:
            recorder.close()
        for scaler in model.autoscalers:  # before the services reset their replicas
            scaler.reset()
        for component in model.components.values():
            component.reset()
        for client in model.clients:
            client.reset()
        if model.ctx.failures is not None:
            model.ctx.failures.reset()
        if recorder is not None:
            recorder.rebase()
        for broker in brokers:
            broker.sample_backlog()
        for index in range(1, PROGRESS_SLICES + 1):
            env.run(until=settings.warmup_s + settings.duration_s * index / PROGRESS_SLICES)
            for broker in brokers:
                broker.sample_backlog()
            if progress is not None:
                progress(index / PROGRESS_SLICES)
        if recorder is not None:
            recorder.close()
    except Saturated:
        worst, why = saturated_component(topology, model.components, settings.rate_scale)
        raise ModelError(
            f"more than {settings.max_in_flight} requests in flight at t={env.now:.3f}s: the "
            f"model is unstable (offered load above capacity) at '{worst}' ({why}). Lower the "
            "load, add capacity, bound the waiting room with 'queue:', or raise the bound "
            "with --max-in-flight."
        ) from None
    classes = tuple(client.stats(settings.duration_s) for client in model.clients)
    check_conservation(classes, model.ctx.in_flight)
    components = tuple(component.stats() for component in model.components.values())
    if model.autoscalers:
        scalers = {scaler.service.name: scaler for scaler in model.autoscalers}
        components = tuple(scalers[c.name].adjust(c) if c.name in scalers else c
                           for c in components)
    subscribers = tuple(s for b in brokers for s in b.subscriber_stats())
    problems = [p for b in brokers for p in b.conservation_problems()]  # type: ignore[attr-defined]
    if problems:
        raise ModelError("message conservation violated (please report this as a bug): "
                         + "; ".join(problems))
    return ReplicationResult(
        seed=seed, duration_s=settings.duration_s, warmup_s=settings.warmup_s,
        classes=classes, components=components,
        in_flight_end=model.ctx.in_flight, subscribers=subscribers,
        timeline=recorder.result() if recorder is not None else None,
        failures=model.ctx.failures.stats() if model.ctx.failures is not None else None,
    )


def saturated_component(topology: Topology, components: dict[str, Any],
                        rate_scale: float) -> tuple[str, str]:
    """Name the component that makes the model unstable, and why.

    The component whose offered load (service demand law, own work only) is the largest share
    of its workers is named when that share is >= 1: behind a blocking caller the caller's
    waiting room grows too, but the cause is the callee. Otherwise the longest waiting room.
    """
    from archsim.analysis.visits import capacity_workers, offered_load

    capacity = capacity_workers(topology)
    ratios = {name: load / capacity[name]
              for name, load in offered_load(topology, rate_scale).items() if capacity.get(name)}
    if ratios:
        name, ratio = max(ratios.items(), key=lambda item: item[1])
        if ratio >= 1:
            return name, f"offered load {ratio:.2f} x its {capacity[name]} workers"
    worst = max(components.values(), key=lambda c: c.busiest())
    return worst.name, f"{worst.busiest()} waiting"


def check_conservation(classes: tuple[ClassStats, ...], in_flight: int) -> None:
    """Request conservation: arrived = completed + failed + in flight, over the whole run.

    ``in_flight`` is the engine's own live counter, kept apart from the per-class arrival and
    finish counts, so a request lost or counted twice anywhere shows up here.

    Raises
    ------
    ModelError
        When the counts disagree (an engine bug, reported rather than hidden).
    """
    arrived = sum(c.arrived_total for c in classes)
    finished = sum(c.finished_total for c in classes)
    if arrived != finished + in_flight:
        raise ModelError(f"request conservation violated: {arrived} arrived, {finished} "
                         f"finished, {in_flight} in flight; please report this as a bug")


__all__ = ["ReplicationResult", "RunSettings", "Topology", "run_replication"]
