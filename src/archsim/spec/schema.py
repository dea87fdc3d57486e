"""The typed, immutable topology: the root spec object and its top-level sections.

All values are in SI units (seconds, per second). Spec objects never touch the simulation
runtime. Build one with :func:`archsim.load`, which adds located errors on top of pydantic.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from archsim.spec.components import Component
from archsim.spec.datatier import ZoneSpec
from archsim.spec.dists import ZERO, Work
from archsim.spec.limits import MAX_SIMULATED_S, Replications, Seed, Users
from archsim.spec.rates import RateValue, is_varying
from archsim.spec.types import Count, Duration, Name, Probability, Rate, Spec, Timeout
from archsim.spec.units import parse_duration


def _parse_warmup(value: Any) -> Any:
    if value == "auto":
        return None
    return parse_duration(value)


Warmup = Annotated[
    float | None,
    BeforeValidator(_parse_warmup),
    WithJsonSchema({"anyOf": [{"type": "string", "enum": ["auto"]},
                              {"type": "string", "description": "a duration: 5s"}]}),
]


class Simulation(Spec):
    """Run settings; command-line flags override them. ``warmup`` None means ``auto`` (MSER-5)."""

    duration: Duration = 60.0
    warmup: Warmup = 5.0
    replications: Replications = 5
    seed: Seed = 1

    @field_validator("duration")
    @classmethod
    def _positive(cls, duration: float) -> float:
        if duration <= 0:
            raise ValueError(f"the duration must be > 0, got {duration:g}s")
        if duration > MAX_SIMULATED_S:  # a longer run would not finish (the warm-up is shorter)
            raise ValueError(f"expected a simulated duration of at most "
                             f"{MAX_SIMULATED_S / 3600:g}h (one year), got {duration:g}s")
        return duration


class Network(Spec):
    """Default one-way latency of every call hop (each direction), and zones.

    A hop between components in two different zones takes the zones' link latency (each
    direction); a hop within one zone, or to a component without a zone, takes ``latency``.
    """

    latency: Work = ZERO
    zones: dict[Name, ZoneSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _links_known_and_complete(self) -> Network:
        names = list(self.zones)
        pairs: dict[frozenset[str], str] = {}
        for name, zone in self.zones.items():
            for other in zone.links:
                if other not in self.zones:
                    raise ValueError(f"expected a zone of network.zones ({', '.join(names)}) "
                                     f"in zones.{name}.links, got '{other}'")
                if other == name:
                    raise ValueError(f"expected links to other zones in zones.{name}.links, "
                                     f"got '{name}' itself (within a zone: network.latency)")
                pair = frozenset((name, other))
                if pair in pairs:
                    raise ValueError(f"expected the latency between '{name}' and '{other}' "
                                     f"once, got it in zones.{pairs[pair]} and zones.{name}")
                pairs[pair] = name
        for index, first in enumerate(names):
            for second in names[index + 1:]:
                if frozenset((first, second)) not in pairs:
                    raise ValueError(f"expected a latency between every two zones, got none "
                                     f"between '{first}' and '{second}' (add zones.{first}"
                                     f".links.{second})")
        return self

    def between(self, first: str | None, second: str | None) -> Work:
        """One-way latency of a hop from zone ``first`` to ``second`` (None: no zone)."""
        if first is None or second is None or first == second:
            return self.latency
        links = self.zones[first].links
        return links[second] if second in links else self.zones[second].links[first]

    def to_client(self, zone: str | None) -> Work:
        """One-way latency between the clients and zone ``zone``."""
        if zone is None or self.zones[zone].client is None:
            return self.latency
        return self.zones[zone].client  # type: ignore[return-value]


class Workload(Spec):
    """A request class: open (``rate``) or closed (``users`` with ``think`` time)."""

    name: Name
    to: Annotated[str, Field(strict=True, pattern=r"^[^/\s]+/[^/\s]+$")]
    rate: RateValue | None = None
    arrivals: Literal["poisson", "constant"] = "poisson"
    users: Users | None = None
    think: Duration | None = None
    timeout: Timeout | None = None
    trace: Annotated[str, Field(strict=True, min_length=1)] | None = None
    trace_times_s: SkipJsonSchema[tuple[float, ...]] = Field(
        default=(), exclude=True, description="arrival times read from 'trace' (by the loader)")

    @model_validator(mode="after")
    def _open_or_closed(self) -> Workload:
        given = [self.rate is not None, self.users is not None, self.trace is not None]
        if sum(given) != 1:
            if self.trace is None:
                raise ValueError("a workload needs exactly one of 'rate' (open) or 'users' "
                                 "(closed)")
            raise ValueError("a workload needs exactly one of 'rate' (open), 'users' (closed) "
                             "or 'trace' (replayed arrivals)")
        if self.users is None and self.think is not None:
            raise ValueError("'think' applies to a closed workload (with 'users'), not to 'rate'")
        if self.rate is None and "arrivals" in self.model_fields_set:
            raise ValueError("'arrivals' applies to an open workload (with 'rate')")
        if is_varying(self.rate) and self.arrivals != "poisson":
            raise ValueError("a time-varying 'rate' has Poisson arrivals; expected no "
                             f"'arrivals' or 'arrivals: poisson', got '{self.arrivals}'")
        return self

    @property
    def is_open(self) -> bool:
        """True for an open workload (a ``rate`` or a ``trace``), False for a closed one."""
        return self.users is None

    @property
    def rate_per_s(self) -> float:
        """The rate used by steady-state analysis (per second).

        A constant rate as given; the peak of a time-varying rate; the mean rate of a trace
        (arrivals over the time of the last one); 0 for a closed workload.
        """
        if self.rate is None:
            times = self.trace_times_s
            return len(times) / times[-1] if times and times[-1] > 0 else 0.0
        return self.rate.peak if is_varying(self.rate) else float(self.rate)  # type: ignore[union-attr,arg-type]

    @property
    def component(self) -> str:
        """The entry component's name."""
        return self.to.split("/", 1)[0]

    @property
    def endpoint(self) -> str:
        """The entry endpoint's name."""
        return self.to.split("/", 1)[1]


class Fault(Spec):
    """A failure injected into ``component`` from ``at`` for ``for``."""

    component: Name
    at: Duration
    for_: Duration = Field(alias="for")
    replicas_down: Count | None = None
    latency_factor: Annotated[float, Field(ge=1, allow_inf_nan=False)] | None = None
    error_rate: Probability | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> Fault:
        effects = [self.replicas_down, self.latency_factor, self.error_rate]
        if sum(e is not None for e in effects) != 1:
            raise ValueError("a fault needs exactly one of 'replicas_down', 'latency_factor' "
                             "or 'error_rate'")
        return self


SLO_LATENCY_METRICS = ("mean", "p50", "p90", "p95", "p99", "max")


class Slo(Spec):
    """An objective on one request class (or ``"*"`` for every class)."""

    request: Annotated[str, Field(strict=True, min_length=1)]
    mean: Duration | None = None
    p50: Duration | None = None
    p90: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None
    max: Duration | None = None
    error_rate: Probability | None = None
    throughput: Rate | None = None

    @model_validator(mode="after")
    def _some_metric(self) -> Slo:
        if not self.objectives():
            raise ValueError("an SLO needs at least one objective: "
                             + ", ".join((*SLO_LATENCY_METRICS, "error_rate", "throughput")))
        return self

    def objectives(self) -> dict[str, float]:
        """Metric name -> target (seconds for latency, fraction, or per second)."""
        names = (*SLO_LATENCY_METRICS, "error_rate", "throughput")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class Topology(Spec):
    """A whole validated topology file."""

    archsim: Literal[1]
    name: Annotated[str, Field(strict=True, min_length=1)]
    description: str = ""
    simulation: Simulation = Simulation()
    network: Network = Network()
    workload: Annotated[tuple[Workload, ...], Field(min_length=1)]
    components: Annotated[dict[Name, Component], Field(min_length=1)]
    faults: tuple[Fault, ...] = ()
    slos: tuple[Slo, ...] = ()
    source: str = Field(default="<string>", exclude=True, init=False,
                        description="file the topology was loaded from (set by the loader)")

    def workload_named(self, name: str) -> Workload:
        """The request class called ``name`` (KeyError if none)."""
        for workload in self.workload:
            if workload.name == name:
                return workload
        raise KeyError(name)
