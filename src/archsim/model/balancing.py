"""Replica selection policies, shared by load balancers and client-side balancing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import cycle
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from archsim.model.station import Station

Picker = Callable[[], "Station"]


def make_picker(policy: str, replicas: Sequence[Station], rng: np.random.Generator) -> Picker:
    """A zero-argument function choosing one replica per call.

    Parameters
    ----------
    policy:
        ``round_robin`` (one cursor per balancer), ``random`` (uniform), ``least_connections``
        (fewest requests present per worker; first such replica on ties), ``power_of_two``
        (two distinct replicas sampled uniformly, the less loaded one taken; Mitzenmacher,
        "The Power of Two Choices in Randomized Load Balancing", IEEE TPDS 2001).
    replicas:
        The stations to choose from.
    rng:
        The balancer's own random stream.
    """
    if getattr(replicas, "dynamic", False):  # an autoscaled service: the list changes
        from archsim.model.autoscale import dynamic_picker

        return dynamic_picker(policy, replicas, rng)
    count = len(replicas)
    if count == 1:
        only = replicas[0]
        return lambda: only
    if policy == "round_robin":
        return _round_robin(replicas)
    if policy == "random":
        return _random(replicas, rng)
    if policy == "least_connections":
        return lambda: min(replicas, key=_load)
    if policy == "power_of_two":
        return _power_of_two(replicas, rng)
    raise ValueError(f"unknown balancing policy {policy!r}")


def _load(station: Station) -> float:
    return station.present / station.workers


def _round_robin(replicas: Sequence[Station]) -> Picker:
    return cycle(replicas).__next__  # replicas 0, 1, ..., n-1, 0, ... in C, without a frame


def _batched_integers(rng: np.random.Generator, high: int, size: int = 4096) -> Callable[[], int]:
    buffer: list[int] = []

    def draw() -> int:
        if not buffer:
            buffer.extend(rng.integers(0, high, size=size).tolist()[::-1])
        return buffer.pop()

    return draw


def _random(replicas: Sequence[Station], rng: np.random.Generator) -> Picker:
    draw = _batched_integers(rng, len(replicas))
    return lambda: replicas[draw()]


def _power_of_two(replicas: Sequence[Station], rng: np.random.Generator) -> Picker:
    count = len(replicas)
    first = _batched_integers(rng, count)
    offset = _batched_integers(rng, count - 1)

    def pick() -> Station:
        i = first()
        j = (i + 1 + offset()) % count  # a second, distinct replica, uniformly
        a, b = replicas[i], replicas[j]
        return a if a.present * b.workers <= b.present * a.workers else b

    return pick
