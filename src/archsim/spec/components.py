"""Component specs, one class per ``type``, and the registry that maps type names to them.

A new component kind is one spec class here (or in its own module) plus one line in
``COMPONENT_SPECS``; the engine has a matching registry in :mod:`archsim.model.registry`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from archsim.spec.autoscale import Autoscale, check_replicas
from archsim.spec.datatier import CacheKeys, ReadFrom, Replication
from archsim.spec.dists import ZERO, Work
from archsim.spec.failures import CircuitBreaker, Deadline, HealthCheck, RateLimit, RegistrySpec
from archsim.spec.limits import (
    Consumers,
    Deliveries,
    Messages,
    Partitions,
    Queue,
    ReadReplicas,
    Replicas,
    Workers,
)
from archsim.spec.steps import Endpoint, Step
from archsim.spec.types import Duration, Name, Probability, Spec

Policy = Literal["round_robin", "random", "least_connections", "power_of_two"]


class ServiceSpec(Spec):
    """A service: ``replicas`` x ``workers`` servers, a waiting room of ``queue`` per replica.

    ``queue`` None means an unbounded waiting room.
    """

    kind: ClassVar[str] = "service"
    type: Literal["service"] = "service"
    description: str = ""
    replicas: Replicas = 1
    workers: Workers = 8
    queue: Queue | None = None
    io: Literal["blocking", "nonblocking"] = "blocking"
    policy: Policy = "round_robin"
    zone: Name | None = None
    endpoints: Annotated[dict[Name, Endpoint], Field(min_length=1)]
    rate_limit: RateLimit | None = None
    circuit_breaker: CircuitBreaker | None = None
    deadline: Deadline = "ignore"
    discovery: Name | None = None
    health_check: HealthCheck | None = None
    autoscale: Autoscale | None = None

    @model_validator(mode="after")
    def _replicas_in_autoscale_bounds(self) -> ServiceSpec:
        check_replicas(self.replicas, self.autoscale)
        return self


class DatabaseSpec(ServiceSpec):
    """A database: a service whose workers are its connection pool (default 20).

    With ``read_replicas`` the ``replicas`` are primaries (one) and reads go to the read
    replicas (``read_from``); writes (endpoints with ``write: true``) go to the primary and
    are copied to every read replica as ``replication`` says.
    """

    kind: ClassVar[str] = "database"
    type: Literal["database"] = "database"  # type: ignore[assignment]
    workers: Workers = 20
    read_replicas: ReadReplicas = 0
    replica_zones: tuple[Name, ...] | None = None
    read_from: ReadFrom = "replicas"
    replication: Replication | None = None

    @model_validator(mode="after")
    def _replicas_consistent(self) -> DatabaseSpec:
        if not self.read_replicas:
            for key in ("replica_zones", "replication", "read_from"):
                if key in self.model_fields_set:
                    raise ValueError(f"expected '{key}' only with 'read_replicas' >= 1, "
                                     "got no read replicas")
            return self
        if self.replicas != 1:
            raise ValueError("expected 'replicas: 1' (one primary) with 'read_replicas', "
                             f"got replicas: {self.replicas}")
        zones = self.replica_zones
        if zones is not None and len(zones) != self.read_replicas:
            raise ValueError(f"expected {self.read_replicas} 'replica_zones' (one per read "
                             f"replica), got {len(zones)}")
        acks = self.replication.acks if self.replication else None
        if acks is not None and acks > self.read_replicas:
            raise ValueError(f"expected 'acks' <= read_replicas ({self.read_replicas}), "
                             f"got acks: {acks}")
        return self

    @property
    def replication_or_default(self) -> Replication:
        """``replication``, or asynchronous with no latency when not given."""
        return self.replication if self.replication is not None else Replication()


class CacheSpec(ServiceSpec):
    """A cache: a service with many cheap workers (default 64).

    A read endpoint (not ``write: true``) hits with probability ``hit_ratio``, or as an LRU
    of ``keys.capacity`` entries over a Zipf key population says; a miss runs the ``miss``
    steps after the endpoint's own steps.
    """

    kind: ClassVar[str] = "cache"
    type: Literal["cache"] = "cache"  # type: ignore[assignment]
    workers: Workers = 64
    hit_ratio: Probability | None = None
    keys: CacheKeys | None = None
    miss: tuple[Step, ...] = ()

    @model_validator(mode="after")
    def _one_hit_model(self) -> CacheSpec:
        if self.hit_ratio is not None and self.keys is not None:
            raise ValueError("expected one of 'hit_ratio' or 'keys', got both")
        if self.miss and self.hit_ratio is None and self.keys is None:
            raise ValueError("expected 'hit_ratio' or 'keys' with 'miss' steps (every request "
                             "hits without them), got neither")
        return self

    @property
    def has_misses(self) -> bool:
        """Whether read endpoints can miss (a hit ratio or a key population is given)."""
        return self.hit_ratio is not None or self.keys is not None


class LoadBalancerSpec(Spec):
    """Forwards each request to one replica of ``target``, keeping the endpoint name."""

    kind: ClassVar[str] = "load_balancer"
    type: Literal["load_balancer"] = "load_balancer"
    description: str = ""
    target: Name
    policy: Policy = "round_robin"
    latency: Work = ZERO
    rate_limit: RateLimit | None = None
    health_check: HealthCheck | None = None


class TopicSubscriber(Spec):
    """A consumer group of a topic: every group receives every message."""

    group: Name
    to: Annotated[str, Field(strict=True, pattern=r"^[^/\s]+/[^/\s]+$")]
    consumers: Consumers = 1


class QueueSubscriber(Spec):
    """Competing consumers of a queue."""

    to: Annotated[str, Field(strict=True, pattern=r"^[^/\s]+/[^/\s]+$")]
    consumers: Consumers = 1
    group: Name | None = None


class TopicSpec(Spec):
    """A partitioned log (Kafka-like).

    A handler failure is retried in place up to ``max_deliveries`` deliveries in all (keeping
    the partition's order), then the message goes to ``dead_letter`` (a topic or queue) or is
    counted as failed.
    """

    kind: ClassVar[str] = "topic"
    type: Literal["topic"] = "topic"
    description: str = ""
    partitions: Partitions = 1
    latency: Work = ZERO
    subscribers: tuple[TopicSubscriber, ...] = ()
    max_deliveries: Deliveries = 1
    dead_letter: Name | None = None


class QueueSpec(Spec):
    """A queue with competing consumers (SQS/RabbitMQ-like); ``capacity`` None = unbounded.

    A message whose handling outlasts ``visibility_timeout`` becomes visible again and is
    delivered a second time (a duplicate delivery). A failed handling is redelivered (to the
    back of the line) up to ``max_deliveries`` deliveries in all, then sent to ``dead_letter``.
    """

    kind: ClassVar[str] = "queue"
    type: Literal["queue"] = "queue"
    description: str = ""
    capacity: Messages | None = None
    latency: Work = ZERO
    subscribers: tuple[QueueSubscriber, ...] = ()
    visibility_timeout: Duration | None = None
    max_deliveries: Deliveries = 1
    dead_letter: Name | None = None


COMPONENT_SPECS: dict[str, type[Spec]] = {
    cls.kind: cls  # type: ignore[attr-defined]
    for cls in (ServiceSpec, DatabaseSpec, CacheSpec, LoadBalancerSpec, TopicSpec, QueueSpec,
                RegistrySpec)
}
SERVICE_KINDS = frozenset({"service", "database", "cache"})
BROKER_KINDS = frozenset({"topic", "queue"})


def _component_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        return f"<{kind}>" if isinstance(kind, str) else None
    kind = getattr(value, "kind", None)
    return f"<{kind}>" if kind else None


Component = Annotated[
    Union[tuple(Annotated[cls, Tag(f"<{name}>")]  # noqa: UP007
                for name, cls in COMPONENT_SPECS.items())],  # type: ignore[valid-type]
    Discriminator(
        _component_tag,
        custom_error_type="component_type",
        custom_error_message="a component needs a 'type': one of "
        + ", ".join(COMPONENT_SPECS),
    ),
]

COMPONENT_TAGS: dict[str, type[Spec]] = {f"<{n}>": c for n, c in COMPONENT_SPECS.items()}
