"""Result records of ``archsim analyze``: per component, per request class, and the whole."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.analysis.analytic.consumers import SubscriberEstimate
    from archsim.analysis.analytic.saturation import Saturation


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _ms(value_s: float | None) -> float | None:
    return None if value_s is None else _r(value_s * 1000.0, 4)


@dataclass(frozen=True, slots=True)
class ComponentEstimate:
    """Load on one component. Services have workers; balancers and brokers only visits.

    ``visits`` is the mean number of visits per request of each class (messages for a broker,
    asynchronous work included); ``arrival_rate_per_s`` the visits per second;
    ``offered_load`` the mean busy workers (service time = the holding time, so a blocking
    service counts time waiting on its calls; rejected requests take none);
    ``offered_utilization`` the utilization the arrivals would bring if none were rejected;
    ``wait_s`` the mean wait for a worker of the accepted requests (None when unstable);
    ``blocking_probability`` the share of arrivals a full waiting room rejects (None without a
    ``queue`` limit).
    """

    name: str
    type: str
    visits: dict[str, float]
    arrival_rate_per_s: float
    replicas: int | None = None
    workers: int | None = None
    service_s: float | None = None
    offered_load: float | None = None
    utilization: float | None = None
    wait_s: float | None = None
    model: str = ""
    label: str | None = None
    assumptions: tuple[str, ...] = ()
    blocking_probability: float | None = None
    offered_utilization: float | None = None

    @property
    def stable(self) -> bool:
        """False when the offered load reaches the workers (utilization >= 1)."""
        return self.utilization is None or self.utilization < 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (milliseconds), for JSON."""
        out: dict[str, Any] = {"type": self.type,
                               "visits": {k: _r(v) for k, v in self.visits.items()},
                               "arrival_rps": _r(self.arrival_rate_per_s, 4)}
        if self.workers is not None:
            out.update({
                "replicas": self.replicas, "workers": self.workers,
                "capacity_workers": (self.replicas or 1) * self.workers,
                "service_ms": _ms(self.service_s), "offered_load": _r(self.offered_load),
                "utilization": _r(self.utilization),
                "offered_utilization": _r(self.offered_utilization),
                "blocking_probability": _r(self.blocking_probability, 9),
                "wait_ms": _ms(self.wait_s),
                "status": "ok" if self.stable else "unstable", "model": self.model,
                "label": self.label, "assumptions": list(self.assumptions)})
        elif self.model:
            out["model"] = self.model
        return out


@dataclass(frozen=True, slots=True)
class RequestEstimate:
    """Estimated mean response of one request class (client hop included).

    ``rate_per_s`` is the arrival rate (open) or the estimated throughput (closed);
    ``mean_response_s`` is None when a station on the way is unstable (named in
    ``unstable``), and is the mean of the requests that succeed; ``loss_probability`` is the
    share rejected by a full waiting room on the way (stations taken as independent);
    ``saturation_rate_per_s`` is the class's rate when the busiest station reaches
    utilization 1.
    """

    name: str
    kind: str
    rate_per_s: float
    mean_response_s: float | None
    label: str
    method: str
    assumptions: tuple[str, ...]
    visits: dict[str, float]
    unstable: tuple[str, ...] = ()
    users: int | None = None
    think_s: float | None = None
    saturation_rate_per_s: float | None = None
    loss_probability: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (milliseconds), for JSON."""
        return {"kind": self.kind, "rate_rps": _r(self.rate_per_s, 4), "users": self.users,
                "think_ms": _ms(self.think_s), "mean_ms": _ms(self.mean_response_s),
                "status": "ok" if self.mean_response_s is not None else "unstable",
                "unstable": list(self.unstable), "label": self.label, "method": self.method,
                "assumptions": list(self.assumptions),
                "saturation_rps": _r(self.saturation_rate_per_s, 4),
                "loss_probability": _r(self.loss_probability, 9),
                "visits": {k: _r(v) for k, v in self.visits.items()}}


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analytic answer for a topology; :meth:`to_dict` gives the ``--json`` structure."""

    topology: str
    rate_scale: float
    requests: dict[str, RequestEstimate]
    components: dict[str, ComponentEstimate]
    subscribers: dict[str, SubscriberEstimate]
    bottleneck: str | None
    bottleneck_utilization: float | None
    saturation: Saturation | None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data: times in milliseconds, rates per second."""
        from archsim import __version__

        return {
            "archsim_version": __version__, "topology": self.topology,
            "rate_scale": self.rate_scale,
            "requests": {k: v.to_dict() for k, v in self.requests.items()},
            "components": {k: v.to_dict() for k, v in self.components.items()},
            "subscribers": {k: v.to_dict() for k, v in self.subscribers.items()},
            "bottleneck": self.bottleneck,
            "bottleneck_utilization": _r(self.bottleneck_utilization),
            "saturation": None if self.saturation is None else self.saturation.to_dict(),
            "warnings": list(self.warnings),
        }
