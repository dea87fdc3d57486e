"""Wait models: the mean wait for a worker at a station, open (M/M/c) or closed (MVA).

Open stations use Erlang C (:func:`archsim.analysis.theory.mmc`), exact for Poisson arrivals
and exponential service. Otherwise the wait is scaled by (c_a^2 + c_s^2) / 2, the Allen-Cunneen
approximation for GI/G/c (Allen, *Probability, Statistics, and Queueing Theory*, 2nd ed., 1990,
section 6.5; Whitt, "Approximations for the GI/G/m queue", Production and Operations
Management 2(2), 1993), which is exact for M/G/1 (Pollaczek-Khinchine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archsim.analysis import theory
from archsim.analysis.analytic.labels import never_waits
from archsim.analysis.analytic.moments import UNSTABLE, ZERO, Moments

if TYPE_CHECKING:
    from archsim.analysis.analytic.network import StationLoad, WaitModel


def open_wait(load: StationLoad, service: Moments) -> Moments:
    """Wait at one of ``load.queues`` lines of ``load.servers`` workers, Poisson-split.

    Returns :data:`~archsim.analysis.analytic.moments.UNSTABLE` when the utilization is >= 1.
    """
    rate = load.rate / load.queues
    if rate <= 0 or service.is_zero:
        return ZERO
    if never_waits(load):
        return ZERO  # consumers never have more requests in flight than there are workers
    if not service.finite:
        return UNSTABLE
    mean_s = service.mean
    if rate * mean_s >= load.servers:
        return UNSTABLE
    base = theory.mmc(rate, 1.0 / mean_s, load.servers)
    factor = 1.0 if service.exponential and load.ca2 == 1.0 else (load.ca2 + service.scv) / 2
    drain = load.servers / mean_s - rate
    mean = base.mean_wait_s * factor
    second = 2.0 * base.prob_wait * (factor / drain) ** 2
    return Moments(mean, max(second - mean**2, 0.0), mean)


def mva_wait(queue_lengths: dict[str, float], users: int) -> WaitModel:
    """The MVA wait with the queue lengths of population n - 1 (arrival theorem).

    One server: W = S Q(n - 1) (Reiser & Lavenberg 1980). c servers: W = (S / c) Q(n - 1), the
    queue part of Seidmann, Schweitzer & Shalev-Oren's approximation (a queue of demand S / c
    plus a delay of S (c - 1) / c; "Computerized closed queueing network models of flexible
    manufacturing systems", Large Scale Systems 12, 1987). A station with at least as many
    workers as users never queues (a delay station, exact).
    """

    def wait(load: StationLoad, service: Moments) -> Moments:
        if service.is_zero or load.servers >= users:
            return ZERO
        mean = service.mean / load.servers * queue_lengths.get(load.name, 0.0)
        return Moments(mean, mean**2, mean)

    return wait
