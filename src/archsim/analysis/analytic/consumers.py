"""Subscribers of topics and queues: consumers as queues of messages, end-to-end latency.

A consumer takes the next message when the handler request for the previous one has come
back, so its service time is the round trip: a hop out, the handler endpoint's response, a hop
back. A topic group's consumer owns partitions p with p mod min(consumers, partitions) == i;
with random partitioning each partition receives a Poisson share lambda / P, so a consumer is
an M/G/1 queue (Pollaczek-Khinchine; M/M/1 for an exponential round trip) whatever order it
serves its partitions in (Kleinrock's conservation law). Keyed messages load partitions by
their Zipf key weights, hashed as the engine hashes them. A queue's competing consumers are
one M/G/c line (Erlang C scaled by Allen-Cunneen). The end-to-end latency is the broker's
acknowledgement latency plus the wait in the partition or queue plus the round trip.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from archsim.analysis import theory
from archsim.analysis.analytic.flow import endpoint_node
from archsim.analysis.analytic.moments import aggregate, of_dist
from archsim.spec.steps import ParallelStep, PublishStep

if TYPE_CHECKING:
    from archsim.analysis.analytic.moments import Moments
    from archsim.analysis.analytic.network import Network, Solver


@dataclass(frozen=True, slots=True)
class SubscriberEstimate:
    """Analytic estimate for one subscriber (``topic/group`` or ``queue/component``).

    Attributes
    ----------
    message_rate_per_s : float
        Messages per second this subscriber handles.
    utilization : float
        Mean fraction of time the active consumers are busy.
    utilization_max : float
        The busiest consumer's utilization (>= 1: its backlog grows without bound).
    mean_latency_s : float or None
        Mean end-to-end latency (publish to handler completion), None when unstable.
    label : str
        ``"exact"`` or ``"approximate"``.
    assumptions : tuple of str
        What the estimate rests on.
    """

    key: str
    broker: str
    handler: str
    message_rate_per_s: float
    consumers: int
    active_consumers: int
    round_trip_s: float | None
    utilization: float
    utilization_max: float
    mean_latency_s: float | None
    label: str
    assumptions: tuple[str, ...]

    @property
    def stable(self) -> bool:
        """Whether every consumer keeps up (utilization < 1)."""
        return self.utilization_max < 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (milliseconds), for JSON."""
        return {
            "broker": self.broker, "handler": self.handler,
            "message_rps": _r(self.message_rate_per_s), "consumers": self.consumers,
            "active_consumers": self.active_consumers,
            "round_trip_ms": _ms(self.round_trip_s), "utilization": _r(self.utilization),
            "utilization_max": _r(self.utilization_max),
            "mean_ms": _ms(self.mean_latency_s),
            "status": "ok" if self.stable and self.mean_latency_s is not None else "unstable",
            "label": self.label, "assumptions": list(self.assumptions),
        }


def _r(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def _ms(value_s: float | None) -> float | None:
    return None if value_s is None else round(value_s * 1000.0, 4)


def subscriber_estimates(network: Network, solver: Solver,
                         exact_publishers: dict[str, bool]) -> list[SubscriberEstimate]:
    """One estimate per subscriber; ``exact_publishers[broker]`` says whether every request
    publishing to the broker is exactly a product-form (Poisson) stream."""
    out = []
    for name, spec in network.components.items():
        if spec.type not in ("topic", "queue"):
            continue
        rate = solver.rates.get(name, 0.0)
        exact = exact_publishers.get(name, False)
        trips = [network.hop() + solver.response(sub.to) for sub in spec.subscribers]
        if spec.type == "queue":
            if spec.subscribers:
                out.extend(_queue(name, spec, rate, trips, exact))
            continue
        for sub, trip in zip(spec.subscribers, trips, strict=True):
            out.append(_topic(network, solver, name, f"{name}/{sub.group}", sub, rate, trip,
                              exact))
    return out


def _topic(network: Network, solver: Solver, broker: str, key: str, sub: Any, rate: float,
           round_trip: Moments, exact_stream: bool) -> SubscriberEstimate:
    spec = network.components[broker]
    partitions = spec.partitions
    active = min(sub.consumers, partitions)
    weights, modes = partition_weights(network, solver, broker, partitions)
    shares = [float(sum(weights[p] for p in range(partitions) if p % active == consumer))
              for consumer in range(active)]
    notes = []
    if "key" in modes:
        notes.append("keyed messages: partitions loaded by their Zipf key weights")
    if "round_robin" in modes:
        notes.append("round-robin partitioning: per-partition arrivals taken as Poisson "
                     "(they are smoother)")
    ack = of_dist(spec.latency).mean
    mean_s, rhos = _per_consumer_mean(rate, shares, round_trip)
    exact = exact_stream and round_trip.exponential and modes <= {"random"}
    if not exact:
        notes.extend(_round_trip_notes(round_trip))
        notes.append("each consumer an M/G/1 queue of its partitions' messages "
                     "(Pollaczek-Khinchine)")
    else:
        notes = ["Poisson messages split at random over partitions", "exponential handler "
                 "round trip, no wait at the handler: each consumer an M/M/1 queue"]
    notes.append("handlers never fail (no redeliveries or dead letters)")
    latency = None if mean_s is None else ack + mean_s
    return SubscriberEstimate(
        key=key, broker=broker, handler=sub.to, message_rate_per_s=rate,
        consumers=sub.consumers, active_consumers=active,
        round_trip_s=round_trip.mean if round_trip.finite else None,
        utilization=sum(rhos) / active if rhos else 0.0,
        utilization_max=max(rhos, default=0.0), mean_latency_s=latency,
        label="exact" if exact else "approximate", assumptions=tuple(notes))


def _per_consumer_mean(rate: float, shares: list[float],
                       round_trip: Moments) -> tuple[float | None, list[float]]:
    """Mean wait + round trip over messages, and each consumer's utilization."""
    if not round_trip.finite:
        return None, [math.inf for _ in shares]
    service = round_trip.mean
    rhos = [rate * share * service for share in shares]
    if any(rho >= 1.0 for rho in rhos):
        return None, rhos
    total = 0.0
    cv = math.sqrt(round_trip.scv)
    for share, rho in zip(shares, rhos, strict=True):
        if share <= 0 or rate <= 0 or service <= 0:
            continue
        # Pollaczek-Khinchine, as theory.mg1 writes it (inline: this runs at every load point)
        total += share * (rho * (1.0 + cv * cv) / 2.0 * service / (1.0 - rho))
    return total + service, rhos


def _queue(broker: str, spec: Any, rate: float, trips: list[Moments],
           exact_stream: bool) -> list[SubscriberEstimate]:
    """All consumers of a queue share one line: an M/G/c station whose service is the mix of
    the subscribers' round trips (messages shared in proportion to consumers)."""
    subs = spec.subscribers
    consumers = sum(sub.consumers for sub in subs)
    shares = [sub.consumers / consumers for sub in subs]
    service = aggregate(list(zip(shares, trips, strict=True)))
    wait: float | None = None
    rho = math.inf
    if service.finite:
        rho = rate * service.mean / consumers
        if rho < 1.0:
            wait = 0.0
            if rate > 0 and service.mean > 0:
                base = theory.mmc(rate, 1.0 / service.mean, consumers)
                factor = 1.0 if service.exponential else (1.0 + service.scv) / 2
                wait = base.mean_wait_s * factor
    exact = (exact_stream and service.exponential and spec.capacity is None
             and spec.visibility_timeout is None)
    if exact:
        notes = ["Poisson messages", "exponential handler round trip, no wait at the handler: "
                 "the consumers an M/M/c queue"]
    else:
        notes = [*_round_trip_notes(service), "competing consumers one M/G/c line "
                 "(Allen-Cunneen)"]
        if len(subs) > 1:
            notes.append("messages shared among subscriber entries in proportion to their "
                         "consumers")
        if spec.capacity is not None:
            notes.append(f"queue capacity {spec.capacity} taken as unbounded")
        if spec.visibility_timeout is not None:
            notes.append("visibility timeout never expires (no duplicate deliveries)")
    notes.append("handlers never fail (no redeliveries or dead letters)")
    ack = of_dist(spec.latency).mean
    return [SubscriberEstimate(
        key=f"{broker}/{sub.group or sub.to.split('/')[0]}", broker=broker, handler=sub.to,
        message_rate_per_s=rate * share, consumers=sub.consumers,
        active_consumers=sub.consumers, round_trip_s=trip.mean if trip.finite else None,
        utilization=rho, utilization_max=rho,
        mean_latency_s=None if wait is None or not trip.finite else ack + wait + trip.mean,
        label="exact" if exact else "approximate", assumptions=tuple(notes))
        for sub, share, trip in zip(subs, shares, trips, strict=True)]


def _round_trip_notes(round_trip: Moments) -> list[str]:
    if round_trip.exponential:
        return []
    return ["handler round trip (hops + handler response, its wait at the total load) taken "
            "as independent service times"]


def partition_weights(network: Network, solver: Solver, broker: str,
                      partitions: int) -> tuple[np.ndarray, set[str]]:
    """Share of a topic's messages per partition, and the partitioning modes used
    (``random``, ``round_robin``, ``key``).

    Random and round-robin publishes spread evenly; keyed publishes follow the Zipf key
    weights hashed to partitions exactly as :func:`archsim.model.broker.zipf_partitions`.
    """
    weights = np.zeros(partitions)
    modes: set[str] = set()
    source = solver.rates if solver.rates.get(broker) else solver.weights
    for name, spec in network.components.items():
        for endpoint, body in getattr(spec, "endpoints", {}).items():
            rate = source.get(endpoint_node(name, endpoint), 0.0)
            for step in _publishes(body.calls):
                if step.publish != broker:
                    continue
                amount = rate * step.p
                if step.key is None:
                    modes.add(step.partition)
                    weights += amount / partitions
                else:
                    modes.add("key")
                    weights += amount * zipf_partition_weights(step.key.distinct,
                                                               step.key.skew, partitions)
    total = weights.sum()
    return (weights / total if total > 0 else np.full(partitions, 1.0 / partitions)), modes


@functools.lru_cache(maxsize=256)
def zipf_partition_weights(distinct: int, skew: float, partitions: int) -> np.ndarray:
    """Probability of each partition when keys 1..distinct ~ Zipf(skew) are hashed
    (remembered, so read-only)."""
    weights = 1.0 / np.arange(1, distinct + 1, dtype=float) ** skew
    weights /= weights.sum()
    keys = np.arange(1, distinct + 1, dtype=np.uint64)
    mapped = ((keys * np.uint64(2654435761)) % np.uint64(2**32)) % np.uint64(partitions)
    shares = np.bincount(mapped.astype(int), weights=weights, minlength=partitions)
    shares.flags.writeable = False
    return shares


def _publishes(steps: tuple[Any, ...]) -> list[Any]:
    found = []
    for step in steps:
        if isinstance(step, PublishStep):
            found.append(step)
        elif isinstance(step, ParallelStep):
            found.extend(_publishes(step.parallel))
    return found
