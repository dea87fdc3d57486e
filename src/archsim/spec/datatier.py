"""Data-tier keys: cache hit ratios and key populations, database replication, zones.

Kept apart from :mod:`archsim.spec.components` so the service specs stay small; the cache and
database specs there add these fields.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from archsim.spec.dists import ZERO, Work
from archsim.spec.limits import CacheEntries, Keys
from archsim.spec.types import Count, Name, Spec


class CacheKeys(Spec):
    """A key population: ``count`` keys requested with Zipf(``skew``) popularity, an LRU of
    ``capacity`` entries; the hit ratio follows from them."""

    count: Keys
    skew: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    capacity: CacheEntries

    @model_validator(mode="after")
    def _capacity_below_count(self) -> CacheKeys:
        if self.capacity > self.count:
            raise ValueError(f"expected a capacity <= count ({self.count} keys), "
                             f"got capacity {self.capacity}")
        return self


class Replication(Spec):
    """How a write reaches the read replicas.

    ``async``: the write returns at once. ``sync``: it waits for every replica's
    acknowledgement. ``quorum``: it waits for the ``acks``-th fastest one. ``latency`` is the
    time a replica takes to receive and apply a write (network hops come on top).
    """

    mode: Literal["async", "sync", "quorum"] = "async"
    acks: Count | None = None
    latency: Work = ZERO

    @model_validator(mode="after")
    def _acks_for_quorum(self) -> Replication:
        if self.mode == "quorum" and self.acks is None:
            raise ValueError("expected 'acks' (replica acknowledgements to wait for) with "
                             "mode 'quorum', got none")
        if self.mode != "quorum" and self.acks is not None:
            raise ValueError(f"expected 'acks' only with mode 'quorum', got mode '{self.mode}'")
        return self


class ZoneSpec(Spec):
    """One zone of ``network.zones``: client latency and one-way latency to other zones."""

    client: Work | None = None
    links: dict[Name, Work] = Field(default_factory=dict)


ReadFrom = Literal["replicas", "primary", "any"]
Zone = Name | None

__all__ = ["ZERO", "CacheKeys", "ReadFrom", "Replication", "Zone", "ZoneSpec"]
