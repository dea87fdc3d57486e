"""Annotated field types shared by the spec models: units parsed, JSON Schema described."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from archsim.spec.units import MAX_RATE_PER_S, parse_duration, parse_probability, parse_rate

DURATION_PATTERN = r"^\s*[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*(ns|us|µs|μs|ms|s|m|min|h)\s*$"

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN,
                    "description": "a duration with a unit: 250us, 4ms, 1.5s, 2m"}),
]
"""Seconds, parsed from a string with a unit."""


def _positive_timeout(seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("expected a timeout > 0, such as 500ms, got 0s: a caller that gives "
                         "up at once fails every request")
    return seconds


Timeout = Annotated[Duration, AfterValidator(_positive_timeout)]
"""Seconds > 0: how long a caller waits (a zero timeout could never be met)."""

RATE_PATTERN = r"^\s*[0-9.eE+-]+\s*(/\s*[a-z]+)?\s*$"

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_RATE_PER_S},
                              {"type": "string", "pattern": RATE_PATTERN}],
                    "description": "events per second: 400, '400/s', '24000/min'"}),
]
"""Events per second."""

Probability = Annotated[
    float,
    BeforeValidator(parse_probability),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                              {"type": "string", "pattern": r"^\s*[0-9.]+\s*%\s*$"}],
                    "description": "a probability: 0.1 or '10%'"}),
]
"""A probability in [0, 1]."""

Count = Annotated[int, Field(strict=True, ge=1)]
"""An integer >= 1 (booleans and floats refused)."""

NonNegativeCount = Annotated[int, Field(strict=True, ge=0)]
"""An integer >= 0."""

Name = Annotated[str, Field(strict=True, min_length=1, pattern=r"^[^/\s]+$")]
"""A component, endpoint or request-class name (no slash, no blank)."""


class Spec(BaseModel):
    """Base of every spec object: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def is_tag(part: Any) -> bool:
    """Whether a pydantic location element is one of our union tags (``<service>``)."""
    return isinstance(part, str) and part.startswith("<") and part.endswith(">")
