"""Service discovery: a registry component and the callers' caches of its answers.

A caller with ``discovery: NAME`` resolves the callee's address before each call attempt:
from its cache while the entry is younger than the registry's ``ttl`` (a hit, no delay),
otherwise by a lookup that takes the registry's ``latency``. While every replica of the
registry is down, a lookup fails; the call fails with ``discovery`` unless the cached entry is
still valid. Entries are refreshed by the first call that finds them expired.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from archsim.model.errors import DiscoveryFailed
from archsim.model.service import ComponentStats
from archsim.model.task import simpy_steps

if TYPE_CHECKING:
    from archsim.model.context import Context, Sampler
    from archsim.spec.failures import RegistrySpec


class RegistryRuntime:
    """A registry (Eureka/ZooKeeper-like): answers lookups after ``latency``."""

    kind = "registry"

    def __init__(self, name: str, spec: RegistrySpec, ctx: Context) -> None:
        self.name = name
        self.spec = spec
        self.env = ctx.env
        self.ttl_s = spec.ttl
        self.latency: Sampler | None = ctx.sampler(spec.latency, f"latency:{name}")
        self.failure = ctx.rng(f"registry:{name}")
        self.replicas_down = 0
        self.error_rate = 0.0
        self.error_rates: list[float] = []  # of the active error_rate faults
        self.latency_factor = 1.0
        self.lookups = self.failed = 0

    @property
    def down(self) -> bool:
        """Whether every replica is down."""
        return self.replicas_down >= self.spec.replicas

    def lookup(self) -> Generator[Any, Any, bool]:
        """One lookup (Task protocol): True when it answered."""
        self.lookups += 1
        if self.latency is not None:
            yield self.latency() * self.latency_factor
        if self.down or (self.error_rate and self.failure.random() < self.error_rate):
            self.failed += 1
            return False
        return True

    def steps(self, endpoint: str) -> Any:  # pragma: no cover - the checks refuse calls
        raise DiscoveryFailed(self.name)

    def handle(self, endpoint: str) -> Any:  # pragma: no cover - the checks refuse calls
        return simpy_steps(self.env, self.steps(endpoint))

    def reset(self) -> None:
        self.lookups = self.failed = 0

    def stats(self) -> ComponentStats:
        """Lookups answered as throughput; a registry has no workers."""
        answered = self.lookups - self.failed
        return ComponentStats(self.name, self.kind, self.spec.replicas, None, 0.0, 0.0, 0.0, 0,
                              answered, answered, 0.0, 0)

    def busiest(self) -> int:
        return 0


class DiscoveryCache:
    """One caller's cache of registry answers, one entry per callee component."""

    def __init__(self, owner: str, registry: RegistryRuntime) -> None:
        self.owner = owner
        self.registry = registry
        self.env = registry.env
        self.expires: dict[str, float] = {}
        self.first_failure_s: float | None = None
        self.reset()

    def reset(self) -> None:
        self.lookups = self.hits = self.failures = 0
        self.first_failure_s = None

    def resolve(self, callee: str) -> Generator[Any, Any, None]:
        """Hit the cache or look up (Task protocol); raises DiscoveryFailed."""
        now = self.env._now
        if now < self.expires.get(callee, -1.0):
            self.hits += 1
            return
        self.lookups += 1
        answered = yield from self.registry.lookup()
        if answered:
            self.expires[callee] = self.env._now + self.registry.ttl_s
            return
        if self.env._now < self.expires.get(callee, -1.0):  # refreshed meanwhile
            return
        self.failures += 1
        if self.first_failure_s is None:
            self.first_failure_s = self.env._now
        raise DiscoveryFailed(self.registry.name)

    def stats(self) -> dict[str, Any]:
        return {"registry": self.registry.name, "lookups": self.lookups, "hits": self.hits,
                "failures": self.failures, "first_failure_s": self.first_failure_s}
