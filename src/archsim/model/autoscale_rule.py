"""The autoscaler's decision rule: the replica count an interval's utilization asks for.

Every ``interval`` (Kubernetes Horizontal Pod Autoscaler): with u the utilization of the last
interval (busy workers / workers of the replicas present, draining ones included) and n the
serving replicas, the wanted count is ``ceil(n * u / target)`` clipped to [min, max],
unchanged while u / target is within ``TOLERANCE`` of 1. Replicas still provisioning count
toward n when scaling out, so a slow start does not order more. Scaling in follows the highest
wanted count of the last ``SCALE_IN_WINDOW`` decisions (HPA's downscale stabilization), so a
quiet interval does not drain replicas that the next one needs.

A replica failed by a ``replicas_down`` fault is not ready. When one was failed at any time in
the interval, the count is never reduced: it grows only when the work done needs more replicas
at the target, the failed replicas counting as idle. This is HPA's rule for pods that are not
ready: it does not scale down because of them, and assumes they use 0% for a scale-up.

Sources: Kubernetes documentation, "Horizontal Pod Autoscaling", section "Algorithm details"
(``desiredReplicas = ceil[currentReplicas * (currentMetricValue / desiredMetricValue)]``, the
0.1 tolerance, not-ready pods, the downscale stabilization window),
https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details.
HPA's window is 5 minutes of recommendations; here it is a number of decisions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archsim.spec.autoscale import Autoscale

TOLERANCE = 0.1
SCALE_IN_WINDOW = 3


def wanted_replicas(spec: Autoscale, utilization: float, present: int, planned: int,
                    unready: int = 0) -> int:
    """The replica count the last interval's ``utilization`` (0..1) asks for.

    ``present``: replicas in the list now; ``planned``: those plus the ones provisioning;
    ``unready``: replicas failed during the interval (with any, never below ``planned``).
    The caller scales in only to the highest of the last ``SCALE_IN_WINDOW`` answers.
    """
    ratio = utilization / spec.target_utilization
    wanted = present if abs(ratio - 1) <= TOLERANCE else math.ceil(present * ratio)
    wanted = min(max(wanted, spec.min), spec.max)
    if unready:  # HPA: no scale-in because of replicas that are not ready
        wanted = max(wanted, planned)
    return wanted
