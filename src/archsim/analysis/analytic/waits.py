"""Wait models: the mean wait for a worker at a station, open or closed (MVA).

Open stations (:func:`open_wait`), one line of ``servers`` workers:

- a station that can never have more requests than workers (see
  :class:`~archsim.analysis.analytic.network.StationLoad` ``bound``) never waits, whatever its
  arrivals and work;
- a waiting room of ``queue`` places (:func:`finite_room`): the mean wait of the accepted
  requests and the blocking probability of M/M/c/K with K = c + queue
  (:func:`archsim.analysis.theory.mmck`, exact for Poisson arrivals and exponential work; an
  approximation with the mean work otherwise), of M/G/1/K for one worker (the Markov chain
  embedded at departures, exact for exponential, Erlang, gamma and constant work) and, with
  ``queue: 0``, of Erlang's loss system (accepted requests never wait, whatever the work; the
  blocking probability B(c, a) depends on the work's mean only). A waiting room that a
  Poisson-arrival M/M/c line would fill with probability below 1e-12 is taken as unbounded;
- constant arrivals, or a Poisson stream dealt round robin over n lines (Erlang-n gaps), at a
  single exponential worker: GI/M/1 (:func:`archsim.analysis.theory.gi_m1`, exact), or
  GI/M/1/K with a waiting room (:func:`gim1k`, exact); other arrivals that are not Poisson
  scale a finite room's wait by Allen-Cunneen's factor (an approximation);
- otherwise Erlang C (:func:`archsim.analysis.theory.mmc`), exact for Poisson arrivals and
  exponential service, scaled by (c_a^2 + c_s^2) / 2, the Allen-Cunneen approximation for
  GI/G/c (Allen, *Probability, Statistics, and Queueing Theory*, 2nd ed., 1990, section 6.5;
  Whitt, "Approximations for the GI/G/m queue", Production and Operations Management 2(2),
  1993), which is exact for M/G/1 (Pollaczek-Khinchine).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import linalg, special

from archsim.analysis import theory
from archsim.analysis.analytic.labels import never_waits
from archsim.analysis.analytic.moments import UNSTABLE, ZERO, Moments

if TYPE_CHECKING:
    from archsim.analysis.analytic.network import StationLoad, WaitModel

UNBOUNDED_BELOW = 1e-12
"""A waiting room an M/M/c line fills with a smaller probability is taken as unbounded."""


def open_wait(load: StationLoad, service: Moments) -> Moments:
    """Wait at one of ``load.queues`` lines of ``load.servers`` workers (accepted requests).

    Returns :data:`~archsim.analysis.analytic.moments.UNSTABLE` when the utilization is >= 1
    and the waiting room is unbounded.
    """
    rate = load.rate / load.queues
    if rate <= 0 or service.is_zero:
        return ZERO
    if never_waits(load):
        return ZERO  # never more requests in flight than workers
    if load.capacity == 0:
        return ZERO  # a loss system: accepted requests never wait
    if not service.finite:
        return UNSTABLE
    mean_s = service.mean
    servers = load.servers
    if fills(load, service):
        _, mean, second = _room(load, service)
        return Moments(mean, max(second - mean**2, 0.0), mean)
    if rate * mean_s >= servers:
        return UNSTABLE
    if (load.arrivals in ("erlang", "deterministic") and servers == 1 and service.exponential
            and load.capacity is None):
        try:
            result = gi_m1(load.arrivals, rate, 1.0 / mean_s, load.queues)
        except ValueError:  # utilization within rounding of 1: sigma cannot be bracketed
            return UNSTABLE
        mean = result.mean_wait_s
        second = 2.0 * result.sigma / (result.service_rate * (1.0 - result.sigma)) ** 2
        return Moments(mean, max(second - mean**2, 0.0), mean)
    factor = 1.0 if service.exponential and load.ca2 == 1.0 else (load.ca2 + service.scv) / 2
    drain = servers / mean_s - rate
    if drain <= 0:  # utilization equal to 1 within rounding: no steady state
        return UNSTABLE
    try:
        prob_wait = erlang_c(servers, rate * mean_s)
    except ValueError:  # the same, caught by the closed form's own stability check
        return UNSTABLE
    mean = prob_wait / drain * factor  # Erlang C: W_q = C(c, a) / (c mu - lambda)
    second = 2.0 * prob_wait * (factor / drain) ** 2
    return Moments(mean, max(second - mean**2, 0.0), mean)


@functools.lru_cache(maxsize=4096)
def erlang_c(servers: int, offered_load: float) -> float:
    """:func:`archsim.analysis.theory.erlang_c` (same recursion), remembered: the solver asks
    for the same stations' values at every sweep and load point."""
    return theory.erlang_c(servers, offered_load)


def loss_probability(load: StationLoad, service: Moments) -> float:
    """Probability that an arrival finds the line's waiting room full (see
    :func:`finite_room`)."""
    rate = load.rate / load.queues
    if load.capacity is None or rate <= 0 or service.is_zero or never_waits(load):
        return 0.0
    if not service.finite:
        return 1.0  # the holding time is unbounded: the room fills and stays full
    if not fills(load, service):
        return 0.0
    return _room(load, service)[0]


open_wait.loss = loss_probability  # type: ignore[attr-defined]


def fills(load: StationLoad, service: Moments) -> bool:
    """Whether a finite waiting room matters: ``queue: 0``, offered utilization >= 1, or an
    M/M/c line would find it full with probability >= 1e-12 (C(c, a) rho^queue)."""
    if load.capacity is None or not service.finite or service.is_zero:
        return False
    if load.capacity == 0:
        return True
    rate = load.rate / load.queues
    servers = load.servers
    rho = rate * service.mean / servers
    if rho >= 1.0:
        return True
    if rate <= 0:
        return False
    return erlang_c(servers, rate * service.mean) * rho ** load.capacity >= UNBOUNDED_BELOW


def _room(load: StationLoad, service: Moments) -> tuple[float, float, float]:
    """:func:`finite_room` for one line of ``load``, or :func:`gim1k` for constant or
    round-robin arrivals at one exponential worker. Other arrivals that are not Poisson scale
    the wait by Allen-Cunneen's (c_a^2 + c_s^2) / (1 + c_s^2), so that a room too large to
    fill gives the unbounded answer (an approximation)."""
    rate = load.rate / load.queues
    if (load.arrivals in ("erlang", "deterministic") and load.servers == 1
            and service.exponential):
        return gim1k(load.arrivals, rate, service.mean, load.queues, 1 + load.capacity)
    blocking, mean, second = finite_room(rate, service.mean, service.scv, load.servers,
                                         load.capacity)  # type: ignore[arg-type]
    if load.ca2 == 1.0 or not mean:
        return blocking, mean, second
    factor = (load.ca2 + service.scv) / (1.0 + service.scv)
    return blocking, mean * factor, second * factor**2


@functools.lru_cache(maxsize=1024)
def finite_room(rate: float, mean_s: float, scv: float, servers: int,
                room: int) -> tuple[float, float, float]:
    """(blocking probability, mean wait, second moment of the wait) of accepted requests at
    a line of ``servers`` workers and ``room`` waiting places, Poisson arrivals.

    - ``room == 0``: Erlang's loss system, B(c, a) for any work, no wait;
    - exponential work (scv 1): M/M/c/K with K = c + room
      (:func:`archsim.analysis.theory.mmck`; an accepted arrival finding n >= c present waits
      for n - c + 1 departures at rate c mu, an Erlang time, so E[W^2 | n] = j (j + 1) /
      (c mu)^2 with j = n - c + 1; Gross et al., *Fundamentals of Queueing Theory*, section
      2.5);
    - one worker: M/G/1/K by the Markov chain embedded at departures (:func:`mg1k`) with the
      work taken as gamma-distributed with its mean and scv (exact for exponential, Erlang,
      gamma and constant work);
    - several workers and other work: M/M/c/K scaled by how M/G/1/K differs from M/M/1/K
      for one worker c times faster with the same room (an approximation that tends to
      Allen-Cunneen's (1 + c_s^2) / 2 when the room never fills, and to M/M/c/K when it is
      always full).
    """
    if room == 0:
        return theory.erlang_b(servers, rate * mean_s), 0.0, 0.0
    capacity = servers + room
    if servers == 1 and scv != 1.0:
        blocking, wait = mg1k(rate, mean_s, scv, capacity)
        return blocking, wait, 2.0 * wait**2  # second moment as if exponential
    blocking, wait, second = mmck_wait(rate, mean_s, servers, capacity)
    if scv != 1.0:
        general = mg1k(rate, mean_s / servers, scv, room + 1)
        markov = mmck_wait(rate, mean_s / servers, 1, room + 1)
        blocking = min(blocking * general[0] / markov[0], 1.0)
        factor = general[1] / markov[1]
        wait *= factor
        second *= factor**2
    return blocking, wait, second


def mmck_wait(rate: float, mean_s: float, servers: int,
              capacity: int) -> tuple[float, float, float]:
    """(blocking probability, mean wait, second moment of the wait) of accepted requests in
    M/M/c/K: the state probabilities of :func:`archsim.analysis.theory.mmck` (same log-space
    weights), without building its full result."""
    load = rate * mean_s
    n = np.arange(capacity + 1, dtype=float)
    log_weight = n * math.log(load) - special.gammaln(n + 1.0)
    beyond = n > servers
    log_weight[beyond] = (servers * math.log(load) - math.lgamma(servers + 1.0)
                          + (n[beyond] - servers) * math.log(load / servers))
    weights = np.exp(log_weight - log_weight.max())
    probabilities = weights / weights.sum()
    blocking = float(probabilities[-1])
    accepted = probabilities[:-1] / (1.0 - blocking)
    ahead = np.maximum(n[:-1] - servers + 1.0, 0.0)  # departures to wait for
    drain = servers / mean_s
    wait = float(np.dot(accepted, ahead)) / drain
    second = float(np.dot(accepted, ahead * (ahead + 1.0))) / drain**2
    return blocking, wait, second


def mg1k(rate: float, mean_s: float, scv: float, capacity: int) -> tuple[float, float]:
    """Blocking probability and mean wait of accepted requests in the M/G/1/K queue.

    The number left behind by departures is a Markov chain on 0..K-1 driven by
    a_j = P(j arrivals during one service): Poisson(lambda S) for constant work, negative
    binomial for gamma work of shape 1/scv. It moves down by one at most, so the flow across
    the cut between j and j + 1 balances: pi_{j+1} a_0 = pi_0 A_{j+1} + sum_{i=1..j} pi_i
    A_{j-i+2}, with A_k = P(at least k arrivals), a recursion of positive terms. Then the
    time-average probabilities are p_j = pi_j / (pi_0 + rho), j < K, and the blocking
    probability p_K = 1 - 1 / (pi_0 + rho) (Gross et al., *Fundamentals of Queueing Theory*,
    4th ed., section 5.1.8; Kleinrock Vol. 1, ch. 5).
    """
    states = capacity
    count = np.arange(states + 1, dtype=float)
    load = rate * mean_s
    if scv == 0.0:
        first = math.exp(-load)
        tail = special.gammainc(count, load)  # P(Poisson >= k), k >= 1
    else:
        shape, scale = 1.0 / scv, mean_s * scv
        stay = 1.0 / (1.0 + rate * scale)
        first = stay**shape
        tail = special.betainc(np.maximum(count, 1.0), shape, 1.0 - stay)  # P(NB >= k)
    tail[0] = 1.0
    pi = np.zeros(states)
    pi[0] = 1.0
    if states > 1 and (states - 1) * -math.log(first) < 600.0:
        # the recursion as one lower-triangular Toeplitz system: a_0 on the diagonal,
        # -A_{d+1} d places below it (LAPACK's forward substitution, no overflow here)
        size = states - 1
        band = np.concatenate(([first], -tail[2:size + 1]))
        index = np.subtract.outer(np.arange(size), np.arange(size))
        system = np.where(index >= 0, band[np.clip(index, 0, size - 1)], 0.0)
        pi[1:] = linalg.solve_triangular(system, tail[1:states], lower=True)
    else:
        for j in range(states - 1):
            flow = pi[0] * tail[j + 1] + float(np.dot(pi[1:j + 1], tail[j + 1:1:-1]))
            pi[j + 1] = flow / first
            if pi[j + 1] > 1e150:
                pi[:j + 2] /= pi[j + 1]
    pi /= pi.sum()
    scale_p = pi[0] + load
    blocking = max(1.0 - 1.0 / scale_p, 0.0)
    number = float(np.dot(np.arange(states), pi / scale_p)) + capacity * blocking
    accepted = rate * (1.0 - blocking)
    return float(blocking), float(max(number / accepted - mean_s, 0.0))


@functools.lru_cache(maxsize=1024)
def gim1k(arrivals: str, rate: float, mean_s: float, phases: int,
          capacity: int) -> tuple[float, float, float]:
    """(blocking probability, mean wait, second moment of the wait) of accepted requests in
    the GI/M/1/K queue with constant gaps (``"deterministic"``) or Erlang-``phases`` gaps
    (``"erlang"``) of mean 1 / ``rate``.

    The number an arrival finds is a Markov chain on 0..K: after an arrival that found n
    there are m = min(n + 1, K) present, and the next arrival finds m - j with
    b_j = P(j exponential services end in one gap) (Poisson(mu / lambda) for constant gaps,
    negative binomial for Erlang gaps), or none left. It moves up by one at most, so the flow
    across the cut between j and j + 1 balances: pi_j b_0 = sum_{i > j} pi_i B_{m_i - j},
    with B_k = P(at least k services end), a recursion of positive terms from pi_K down. An
    accepted arrival finding n waits for n services: E[W] = n / mu,
    E[W^2] = n (n + 1) / mu^2 (Gross et al., *Fundamentals of Queueing Theory*, section 5.3;
    Kleinrock Vol. 1, ch. 6).
    """
    states = capacity + 1
    count = np.arange(states + 1, dtype=float)
    service_rate = 1.0 / mean_s
    if arrivals == "deterministic":
        mean_done = service_rate / rate
        first = math.exp(-mean_done)
        tail = special.gammainc(count, mean_done)  # P(Poisson >= k), k >= 1
    else:
        keep = phases * rate / (phases * rate + service_rate)
        first = keep**phases
        tail = special.betainc(np.maximum(count, 1.0), float(phases), 1.0 - keep)
    tail[0] = 1.0
    pi = np.zeros(states)
    pi[capacity] = 1.0
    for j in range(capacity - 1, -1, -1):
        flow = float(np.dot(pi[j + 1:capacity], tail[2:capacity - j + 1]))
        pi[j] = (flow + pi[capacity] * tail[capacity - j]) / first
        if pi[j] > 1e150:
            pi[j:] /= pi[j]
    pi /= pi.sum()
    blocking = float(pi[-1])
    accepted = pi[:-1] / pi[:-1].sum()
    ahead = np.arange(capacity)
    mean = float(np.dot(accepted, ahead)) * mean_s
    second = float(np.dot(accepted, ahead * (ahead + 1))) * mean_s**2
    return blocking, mean, second


def gi_m1(arrivals: str, rate: float, service_rate: float, lines: int) -> theory.GIM1Result:
    """GI/M/1 for constant gaps (D/M/1) or Erlang-``lines`` gaps (round robin)."""
    if arrivals == "deterministic":
        return _dm1(rate, service_rate)
    return _ekm1(rate, service_rate, lines)


@functools.lru_cache(maxsize=1024)
def _dm1(rate: float, service_rate: float) -> theory.GIM1Result:
    return theory.dm1(rate, service_rate)


@functools.lru_cache(maxsize=1024)
def _ekm1(rate: float, service_rate: float, phases: int) -> theory.GIM1Result:
    return theory.ekm1(rate, service_rate, phases)


def mva_wait(queue_lengths: dict[str, float], users: int) -> WaitModel:
    """The MVA wait with the queue lengths of population n - 1 (arrival theorem).

    One server: W = S Q(n - 1) (Reiser & Lavenberg 1980). c servers: W = (S / c) Q(n - 1), the
    queue part of Seidmann, Schweitzer & Shalev-Oren's approximation (a queue of demand S / c
    plus a delay of S (c - 1) / c; "Computerized closed queueing network models of flexible
    manufacturing systems", Large Scale Systems 12, 1987). A station with at least as many
    workers as users, or as requests that can be in flight there, never queues (a delay
    station, exact).
    """

    def wait(load: StationLoad, service: Moments) -> Moments:
        if service.is_zero or load.servers >= users or never_waits(load):
            return ZERO
        mean = service.mean / load.servers * queue_lengths.get(load.name, 0.0)
        return Moments(mean, mean**2, mean)

    return wait
