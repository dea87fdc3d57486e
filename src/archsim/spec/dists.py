"""Distribution specs: each defined by its mean, plus a cv or its own shape parameter.

The requested mean and coefficient of variation (cv = standard deviation / mean) are kept
exactly; the runtime samplers in :mod:`archsim.model.dists` derive their native parameters
from them. Parameterisations follow Law, *Simulation Modeling and Analysis* (5th ed., ch. 6).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from archsim.spec.types import Duration, Spec
from archsim.spec.units import parse_duration

DIST_NAMES = ("exponential", "constant", "uniform", "lognormal", "gamma", "erlang")
UNIFORM_MAX_CV = 1 / math.sqrt(3)
MAX_ERLANG_K = 1_000_000  # beyond this an Erlang is a constant to within 0.1%


class Dist(Spec):
    """A non-negative random duration (seconds).

    ``cv`` is always filled in after validation: 1 for exponential, 0 for constant,
    ``1/sqrt(k)`` for erlang, ``1/sqrt(shape)`` for gamma given by shape.
    """

    dist: Literal["exponential", "constant", "uniform", "lognormal", "gamma", "erlang"]
    mean: Duration | None = None
    cv: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    shape: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    k: Annotated[int, Field(strict=True, ge=1, le=MAX_ERLANG_K)] | None = None
    min: Duration | None = None
    max: Duration | None = None

    @model_validator(mode="after")
    def _complete(self) -> Dist:
        extra = {"shape": self.shape, "k": self.k, "min": self.min, "max": self.max}
        allowed = {"gamma": {"shape"}, "erlang": {"k"}, "uniform": {"min", "max"}}.get(
            self.dist, set())
        for key, value in extra.items():
            if value is not None and key not in allowed:
                raise ValueError(f"'{key}' does not apply to a {self.dist} distribution")
        if self.dist == "uniform" and (self.min is not None or self.max is not None):
            return self._uniform_from_bounds()
        if self.mean is None:
            raise ValueError(f"a {self.dist} distribution needs 'mean'")
        cv = self._derive_cv()
        object.__setattr__(self, "cv", cv)
        return self

    def _uniform_from_bounds(self) -> Dist:
        if self.min is None or self.max is None or self.mean is not None or self.cv is not None:
            raise ValueError("a uniform distribution takes either 'min' and 'max', "
                             "or 'mean' and 'cv'")
        if self.max < self.min:
            raise ValueError(f"'max' must be >= 'min', got min={self.min}s max={self.max}s")
        mean = (self.min + self.max) / 2
        cv = (self.max - self.min) / (math.sqrt(12) * mean) if mean > 0 else 0.0
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cv", cv)
        return self

    def _derive_cv(self) -> float:
        name, cv = self.dist, self.cv
        if name == "exponential":
            if cv is not None and cv != 1:
                raise ValueError(f"an exponential distribution has cv 1, got cv={cv}; "
                                 "use gamma or lognormal for another cv")
            return 1.0
        if name == "constant":
            if cv not in (None, 0):
                raise ValueError(f"a constant has cv 0, got cv={cv}")
            return 0.0
        if name == "erlang":
            return self._erlang_cv()
        if name == "gamma":
            if (cv is None) == (self.shape is None):
                raise ValueError("a gamma distribution needs exactly one of 'cv' or 'shape'")
            if self.shape is not None:
                return 1 / math.sqrt(self.shape)
            if cv == 0:
                raise ValueError("a gamma distribution needs cv > 0 (use constant for cv 0)")
            return float(cv)  # type: ignore[arg-type]
        if cv is None:
            raise ValueError(f"a {name} distribution needs 'cv' (standard deviation / mean)")
        if name == "uniform" and cv > UNIFORM_MAX_CV + 1e-12:
            raise ValueError(f"a non-negative uniform distribution has cv <= 1/sqrt(3) = "
                             f"{UNIFORM_MAX_CV:.4f}, got cv={cv}")
        return float(cv)

    def _erlang_cv(self) -> float:
        if self.k is not None:
            if self.cv is not None and not math.isclose(self.cv, 1 / math.sqrt(self.k)):
                raise ValueError(f"erlang with k={self.k} has cv {1 / math.sqrt(self.k):.4g}, "
                                 f"got cv={self.cv}")
            return 1 / math.sqrt(self.k)
        if self.cv is None or self.cv == 0:
            raise ValueError("an erlang distribution needs 'k' (number of phases) or a cv > 0")
        if self.cv < 1 / math.sqrt(MAX_ERLANG_K):
            raise ValueError(f"erlang needs cv >= {1 / math.sqrt(MAX_ERLANG_K):g} (at most "
                             f"{MAX_ERLANG_K} phases), got cv={self.cv}; use constant")
        k = 1 / self.cv**2
        if not math.isclose(k, round(k), rel_tol=1e-9):
            raise ValueError(f"erlang needs cv = 1/sqrt(k) for a whole k, got cv={self.cv} "
                             f"(k={k:.4g}); use gamma for any cv")
        object.__setattr__(self, "k", round(k))
        return self.cv

    @property
    def mean_s(self) -> float:
        """The mean in seconds."""
        return float(self.mean or 0.0)

    @property
    def variance_s2(self) -> float:
        """The variance in seconds squared: (cv * mean)^2."""
        return (float(self.cv or 0.0) * self.mean_s) ** 2

    def __repr__(self) -> str:
        if self.dist == "constant":
            return f"Constant(mean={self.mean_s:g}s)"
        return f"{self.dist.capitalize()}(mean={self.mean_s:g}s, cv={self.cv:g})"


def constant(seconds: float) -> Dist:
    """A constant distribution of ``seconds``."""
    return Dist(dist="constant", mean=f"{seconds!r}s")


def _coerce_dist(value: Any) -> Any:
    if isinstance(value, str):
        return {"dist": "constant", "mean": value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        parse_duration(value)  # raises the "needs a unit" message
    return value


class _StringOrDist:
    """JSON Schema hook: a work value is a duration string or a distribution mapping."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        return {"anyOf": [{"type": "string", "description": "a constant duration: 4ms"},
                          handler(core_schema)]}


Work = Annotated[Dist, BeforeValidator(_coerce_dist), _StringOrDist()]
"""A duration (constant) or a distribution mapping."""

ZERO = constant(0.0)
