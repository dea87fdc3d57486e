"""Failure-handling vocabulary: circuit breakers, rate limits, health checks, registries.

Timeouts and retries live on the call step (:mod:`archsim.spec.steps`); faults on the
topology (:mod:`archsim.spec.schema`). Values are in SI units (seconds, per second).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from archsim.spec.dists import ZERO, Work
from archsim.spec.limits import MIN_TICK_S, MinCalls, Replicas, Tokens
from archsim.spec.types import Duration, Probability, Rate, Spec


class CircuitBreaker(Spec):
    """Closed -> open when, over the last ``window`` seconds, at least ``min_calls`` calls were
    made and at least ``failure_ratio`` of them failed. Open for ``open_for`` seconds from the
    trip (calls fail fast), then half-open: one probe call goes through; its success closes
    the breaker, its failure opens it again.
    """

    failure_ratio: Probability = 0.5
    window: Duration = 10.0
    min_calls: MinCalls = 20
    open_for: Duration = 5.0

    @model_validator(mode="after")
    def _positive(self) -> CircuitBreaker:
        if self.window <= 0 or self.open_for <= 0:
            raise ValueError("'window' and 'open_for' must be > 0")
        return self


class RateLimit(Spec):
    """A token bucket: ``rate`` tokens per second, at most ``burst`` stored (full at start);
    a request takes one token or is rejected (``rate_limited``).

    ``per``: one bucket for the whole component (a global limit, as Envoy's global rate
    limit service keeps), or one per replica (each instance limits itself, as a local
    limiter does); load balancers have one instance, so one bucket.
    """

    rate: Rate
    burst: Tokens = 1
    per: Literal["component", "replica"] = "component"


class HealthCheck(Spec):
    """Probe every replica every ``interval``; requests skip replicas last seen down."""

    interval: Duration

    @model_validator(mode="after")
    def _positive(self) -> HealthCheck:
        if self.interval < MIN_TICK_S:  # every probe is a simulated event
            raise ValueError(f"expected an 'interval' of at least {MIN_TICK_S * 1000:g}ms, got "
                             f"{self.interval:g}s")
        return self


Deadline = Literal["ignore", "propagate"]
"""``propagate``: a request whose caller gave up is dropped when a worker would take it."""


class RegistrySpec(Spec):
    """A service registry (Eureka/ZooKeeper-like) that callers with ``discovery`` ask.

    A lookup takes ``latency`` (the round trip); the answer is cached by the caller for
    ``ttl``. While every replica of the registry is down, lookups fail.
    """

    kind: ClassVar[str] = "registry"
    type: Literal["registry"] = "registry"
    description: str = ""
    replicas: Replicas = 1
    latency: Work = ZERO
    ttl: Duration = 30.0

    @model_validator(mode="after")
    def _positive(self) -> RegistrySpec:
        if self.ttl <= 0:
            raise ValueError("'ttl' must be > 0")
        return self


__all__ = ["CircuitBreaker", "Deadline", "HealthCheck", "RateLimit", "RegistrySpec"]
