"""Endpoint steps: synchronous calls, parallel fan-out, local work and publishes."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag

from archsim.spec.dists import ZERO, Work
from archsim.spec.failures import CircuitBreaker
from archsim.spec.limits import BackoffMultiplier, Keys, RetryCount
from archsim.spec.types import Count, Duration, Probability, Spec, Timeout

STEP_KEYS = {"to": "<call>", "parallel": "<parallel>", "publish": "<publish>", "work": "<work>"}


class Retries(Spec):
    """Retry policy of a call: up to ``max`` extra attempts with exponential backoff.

    ``budget``: retries are allowed only while they are at most this share of the calls made
    over the last 10 seconds (retry throttling as in Finagle, Envoy and gRPC).
    """

    max: RetryCount = 0
    backoff: Duration = 0.0
    multiplier: BackoffMultiplier = 2.0
    jitter: bool = True
    budget: Probability | None = None


class CallStep(Spec):
    """A synchronous call to ``component/endpoint``, taken with probability ``p``."""

    to: Annotated[str, Field(strict=True, pattern=r"^[^/\s]+/[^/\s]+$")]
    p: Probability = 1.0
    timeout: Timeout | None = None
    retries: Retries | None = None
    circuit_breaker: CircuitBreaker | None = None
    latency: Work | None = None

    @property
    def component(self) -> str:
        """The called component's name."""
        return self.to.split("/", 1)[0]

    @property
    def endpoint(self) -> str:
        """The called endpoint's name."""
        return self.to.split("/", 1)[1]


class ParallelStep(Spec):
    """Fan out the listed steps at once and wait for all of them (fork-join)."""

    parallel: Annotated[tuple[Step, ...], Field(min_length=1)]


class WorkStep(Spec):
    """Local work between calls; holds a worker."""

    work: Work = ZERO


class MessageKey(Spec):
    """Message keys: ``distinct`` keys drawn from a Zipf law with exponent ``skew``.

    Key k (1..distinct) has probability proportional to 1 / k^skew; keys are hashed to
    partitions, so a hot key makes a hot partition.
    """

    distinct: Keys
    skew: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0


class PublishStep(Spec):
    """Publish a message to a topic or queue; the step ends when the broker acknowledges."""

    publish: Annotated[str, Field(strict=True, min_length=1)]
    p: Probability = 1.0
    partition: Literal["random", "round_robin"] = "random"
    key: MessageKey | None = None


def _step_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in STEP_KEYS.items():
            if key in value:
                return tag
        return None
    if isinstance(value, Spec):
        return {CallStep: "<call>", ParallelStep: "<parallel>", PublishStep: "<publish>",
                WorkStep: "<work>"}.get(type(value))
    return None


Step = Annotated[
    Union[  # noqa: UP007 - tagged members need the Union form
        Annotated[CallStep, Tag("<call>")],
        Annotated[ParallelStep, Tag("<parallel>")],
        Annotated[PublishStep, Tag("<publish>")],
        Annotated[WorkStep, Tag("<work>")],
    ],
    Discriminator(
        _step_tag,
        custom_error_type="step_kind",
        custom_error_message="a step needs one of the keys 'to', 'parallel', 'work' or 'publish'",
    ),
]

ParallelStep.model_rebuild()

STEP_CLASSES: dict[str, type[Spec]] = {
    "<call>": CallStep, "<parallel>": ParallelStep, "<publish>": PublishStep, "<work>": WorkStep,
}


class Endpoint(Spec):
    """An operation of a service: ``work`` holds a worker, then ``calls`` run in order."""

    work: Work = ZERO
    calls: tuple[Step, ...] = ()
    write: bool = False


def iter_calls(steps: tuple[Any, ...]) -> list[tuple[Any, tuple[str | int, ...]]]:
    """Every call and publish step under ``steps`` with its path relative to ``steps``."""
    found: list[tuple[Any, tuple[str | int, ...]]] = []
    for index, step in enumerate(steps):
        if isinstance(step, ParallelStep):
            for inner, sub in iter_calls(step.parallel):
                found.append((inner, (index, "parallel", *sub)))
        elif isinstance(step, (CallStep, PublishStep)):
            found.append((step, (index,)))
    return found


__all__ = [
    "CallStep",
    "Count",
    "Endpoint",
    "ParallelStep",
    "PublishStep",
    "Retries",
    "Step",
    "WorkStep",
]
