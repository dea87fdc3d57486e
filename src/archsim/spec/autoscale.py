"""``autoscale:`` on a service: replicas added and drained to keep utilization near a target."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from archsim.spec.limits import MIN_TICK_S, Replicas
from archsim.spec.types import Duration, Spec


class Autoscale(Spec):
    """Horizontal autoscaling of a service's replicas (Kubernetes HPA-like).

    Every ``interval`` the utilization u of the last interval gives the wanted count
    ``ceil(replicas * u / target_utilization)`` within [``min``, ``max``]. A new replica
    serves after ``delay`` (provisioning); a replica taken away drains: it takes no new
    requests and leaves when its last request has finished.
    """

    min: Replicas = 1
    max: Replicas
    target_utilization: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.7
    interval: Duration = 15.0
    delay: Duration = 30.0

    @model_validator(mode="after")
    def _bounds(self) -> Autoscale:
        if self.min > self.max:
            raise ValueError(f"expected min <= max, got min {self.min} and max {self.max}")
        if self.interval < MIN_TICK_S:  # every decision is a simulated event
            raise ValueError(f"expected an interval of at least {MIN_TICK_S * 1000:g}ms, got "
                             f"{self.interval:g}s")
        return self


def check_replicas(replicas: int, autoscale: Autoscale | None) -> None:
    """The initial ``replicas`` must lie in [min, max] (ValueError otherwise)."""
    if autoscale is not None and not autoscale.min <= replicas <= autoscale.max:
        raise ValueError(f"expected 'replicas' within autoscale min..max ({autoscale.min}.."
                         f"{autoscale.max}), got {replicas}")
