"""Closed-form queueing theory: the reference numbers that simulations are checked against.

Every function is pure (no simulation, no randomness) and works in SI units: times in seconds
(names end in ``_s``), rates per second. Invalid input and models with no steady state (for
example utilization rho >= 1 in an infinite-capacity queue) raise ``ValueError``.

Main sources, cited again at each formula:

- Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975.
- Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., Wiley, 2008.
- Harchol-Balter, *Performance Modeling and Design of Computer Systems*, Cambridge, 2013.
- Lazowska, Zahorjan, Graham & Sevcik, *Quantitative System Performance*, Prentice-Hall, 1984.
- Reiser & Lavenberg, "Mean-value analysis of closed multichain queuing networks",
  J. ACM 27(2), 1980.
- Nelson & Tantawi, "Approximate analysis of fork/join synchronization in parallel queues",
  IEEE Trans. Computers 37(6), 1988.

Multi-server stations in closed networks (exact MVA with load-dependent stations) are not
implemented: :func:`mva` handles single-server queueing stations and delay stations only.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, special, stats

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

__all__ = [
    "GIM1Result",
    "JacksonResult",
    "MM1Result",
    "MMcKResult",
    "MMcResult",
    "MVAResult",
    "QueueMetrics",
    "dm1",
    "ekm1",
    "erlang_b",
    "erlang_c",
    "expected_kth_of_exponentials",
    "expected_max_of_exponentials",
    "fork_join_2",
    "fork_join_nelson_tantawi",
    "gi_m1",
    "jackson",
    "md1",
    "mg1",
    "mm1",
    "mm1_random_split",
    "mmc",
    "mmck",
    "mva",
    "round_robin_split",
    "student_t_halfwidth",
]


# --------------------------------------------------------------------------- validation


def _real(name: str, value: object, *, minimum: float, strict: bool, unit: str) -> float:
    """Return ``value`` as a float after checking it is a finite real above ``minimum``."""
    bound = ">" if strict else ">="
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"The {name!r} parameter must be a finite number {bound} {minimum:g}{unit}. "
            f"Got {value!r} instead."
        )
    number = float(value)
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        raise ValueError(
            f"The {name!r} parameter must be a finite number {bound} {minimum:g}{unit}. "
            f"Got {value!r} instead."
        )
    return number


def _rate(name: str, value: object) -> float:
    return _real(name, value, minimum=0.0, strict=True, unit=" (per second)")


def _duration(name: str, value: object, *, strict: bool = True) -> float:
    return _real(name, value, minimum=0.0, strict=strict, unit=" (seconds)")


def _count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"The {name!r} parameter must be an integer >= {minimum}. Got {value!r} instead."
        )
    if int(value) < minimum:
        raise ValueError(
            f"The {name!r} parameter must be an integer >= {minimum}. Got {value!r} instead."
        )
    return int(value)


def _quantile_level(q: object) -> float:
    level = _real("q", q, minimum=0.0, strict=False, unit="")
    if level >= 1.0:
        raise ValueError(f"The 'q' parameter must be in [0, 1). Got {q!r} instead.")
    return level


def _require_stable(rho: float, what: str) -> None:
    if rho >= 1.0:
        raise ValueError(
            f"No steady state: utilization rho = {what} = {rho:.6g} must be < 1."
        )


def _exponential_quantile(mean_s: float, q: object) -> float:
    return -math.log1p(-_quantile_level(q)) * mean_s


def _harmonic(n: int) -> float:
    return math.fsum(1.0 / i for i in range(1, n + 1))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state means of one queueing station.

    Attributes
    ----------
    arrival_rate : float
        Mean arrival rate lambda (per second).
    utilization : float
        Fraction of time each server is busy, rho = lambda / (c mu).
    mean_wait_s : float
        Mean time waiting before service starts, W_q (seconds).
    mean_response_s : float
        Mean time in the station, W = W_q + E[S] (seconds).
    mean_queue_length : float
        Mean number waiting, L_q = lambda W_q (Little's law).
    mean_number_in_system : float
        Mean number in the station, L = lambda W (Little's law).
    """

    arrival_rate: float
    utilization: float
    mean_wait_s: float
    mean_response_s: float
    mean_queue_length: float
    mean_number_in_system: float


@dataclass(frozen=True, slots=True)
class MM1Result(QueueMetrics):
    """M/M/1 FCFS steady state; the response time is exponential with rate mu - lambda."""

    def response_cdf(self, t_s: float) -> float:
        """P(response time <= t_s) for t_s in seconds."""
        return 0.0 if t_s <= 0 else -math.expm1(-t_s / self.mean_response_s)

    def response_quantile_s(self, q: float) -> float:
        """The q-quantile of the response time (seconds), q in [0, 1).

        T ~ Exp(mu - lambda) (Gross et al., section 2.2; Kleinrock Vol. 1, ch. 5 with
        exponential service), so t_q = -ln(1 - q) / (mu - lambda).
        """
        return _exponential_quantile(self.mean_response_s, q)


@dataclass(frozen=True, slots=True)
class MMcResult(QueueMetrics):
    """M/M/c FCFS steady state (see :func:`mmc`).

    Attributes
    ----------
    service_rate : float
        Service rate mu of one server (per second).
    servers : int
        Number of servers c.
    prob_wait : float
        Probability that an arrival has to wait, Erlang C(c, lambda/mu).
    """

    service_rate: float
    servers: int
    prob_wait: float

    def _response_tail(self, t_s: float) -> float:
        """P(T > t): wait is 0 w.p. 1 - C, else Exp(c mu - lambda); T = wait + Exp(mu)."""
        mu = self.service_rate
        drain_rate = self.servers * mu - self.arrival_rate
        low, high = min(mu, drain_rate), max(mu, drain_rate)
        gap = high - low
        # P(Exp(a) + Exp(b) > t) = (b e^{-a t} - a e^{-b t}) / (b - a), written without
        # cancellation; the limit a == b is the Erlang-2 tail (1 + a t) e^{-a t}.
        factor = t_s if gap == 0 else -math.expm1(-gap * t_s) / gap
        both_tail = math.exp(-low * t_s) * (1.0 + low * factor)
        return (1.0 - self.prob_wait) * math.exp(-mu * t_s) + self.prob_wait * both_tail

    def response_cdf(self, t_s: float) -> float:
        """P(response time <= t_s) for t_s in seconds (Gross et al., section 2.3)."""
        return 0.0 if t_s <= 0 else 1.0 - self._response_tail(t_s)

    def response_quantile_s(self, q: float) -> float:
        """The q-quantile of the response time (seconds), q in [0, 1), by Brent's method.

        The M/M/c FCFS response time is a mixture: with probability 1 - C it is Exp(mu),
        otherwise Exp(c mu - lambda) + Exp(mu) (Gross et al., section 2.3, waiting-time
        distribution; Kleinrock Vol. 1, section 3.5).
        """
        level = _quantile_level(q)
        if level == 0.0:
            return 0.0
        target = 1.0 - level
        upper = 1.0 / self.service_rate + 1.0 / (self.servers * self.service_rate
                                                  - self.arrival_rate)
        while self._response_tail(upper) > target:
            upper *= 2.0
        scale = 1.0 / self.service_rate
        return float(optimize.brentq(lambda t: self._response_tail(t) - target, 0.0, upper,
                                     xtol=1e-13 * scale))


@dataclass(frozen=True, slots=True)
class GIM1Result(QueueMetrics):
    """GI/M/1 FCFS steady state (see :func:`gi_m1`).

    Attributes
    ----------
    service_rate : float
        Service rate mu (per second).
    sigma : float
        Root in (0, 1) of sigma = A*(mu (1 - sigma)); arrivals see a geometric(sigma) number
        in system.
    prob_wait : float
        Probability that an arrival has to wait (equals sigma).
    """

    service_rate: float
    sigma: float
    prob_wait: float

    def response_cdf(self, t_s: float) -> float:
        """P(response time <= t_s); T ~ Exp(mu (1 - sigma)) (Kleinrock Vol. 1, ch. 6)."""
        return 0.0 if t_s <= 0 else -math.expm1(-t_s / self.mean_response_s)

    def response_quantile_s(self, q: float) -> float:
        """The q-quantile of the response time (seconds): -ln(1 - q) / (mu (1 - sigma))."""
        return _exponential_quantile(self.mean_response_s, q)


@dataclass(frozen=True, slots=True)
class MMcKResult:
    """M/M/c/K steady state (see :func:`mmck`).

    Attributes
    ----------
    arrival_rate : float
        Offered arrival rate lambda (per second).
    blocking_probability : float
        P(an arrival finds K in the station and is lost) = p_K (PASTA).
    throughput : float
        Accepted rate lambda (1 - p_K) (per second).
    utilization : float
        Per-server utilization, throughput / (c mu).
    mean_number_in_system, mean_queue_length : float
        L and L_q.
    mean_response_s, mean_wait_s : float
        Mean time in station / in queue of accepted customers, L / throughput and
        L_q / throughput (Little's law on accepted traffic; seconds).
    state_probabilities : tuple of float
        p_0 ... p_K.
    """

    arrival_rate: float
    blocking_probability: float
    throughput: float
    utilization: float
    mean_number_in_system: float
    mean_queue_length: float
    mean_response_s: float
    mean_wait_s: float
    state_probabilities: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class JacksonResult:
    """Open Jackson network steady state (see :func:`jackson`); dicts are keyed by station.

    Attributes
    ----------
    throughput : dict of str to float
        Total arrival rate lambda_j at each station, from the traffic equations (per second).
    visit_ratio : dict of str to float
        Mean visits per external arrival, lambda_j / sum(gamma).
    utilization : dict of str to float
        Per-server utilization lambda_j / (c_j mu_j).
    mean_number_in_system : dict of str to float
        Mean number at each station, L_j.
    mean_response_s : dict of str to float
        Mean time per visit to each station (seconds).
    external_arrival_rate : float
        Total external arrival rate sum(gamma) (per second).
    mean_number_in_network : float
        Sum of L_j.
    mean_sojourn_s : float
        Mean time in the network per external arrival, sum(L_j) / sum(gamma) (seconds).
    """

    throughput: dict[str, float]
    visit_ratio: dict[str, float]
    utilization: dict[str, float]
    mean_number_in_system: dict[str, float]
    mean_response_s: dict[str, float]
    external_arrival_rate: float
    mean_number_in_network: float
    mean_sojourn_s: float


@dataclass(frozen=True, slots=True)
class MVAResult:
    """Exact MVA solution of a closed single-class network (see :func:`mva`).

    Attributes
    ----------
    users : int
        Population N.
    throughput : float
        System throughput X(N) (per second).
    mean_response_s : float
        Mean response time R(N) = N / X(N) - Z, think time excluded (seconds).
    residence_times_s : tuple of float
        Per-station residence time R_k(N), all visits of one interaction (seconds).
    queue_lengths : tuple of float
        Per-station mean number present Q_k(N) (waiting and in service).
    utilizations : tuple of float
        Per-station X(N) D_k (for a delay station: mean number being served).
    throughput_by_users, mean_response_by_users : tuple of float
        X(n) and R(n) for n = 1 .. N (index n - 1).
    """

    users: int
    throughput: float
    mean_response_s: float
    residence_times_s: tuple[float, ...]
    queue_lengths: tuple[float, ...]
    utilizations: tuple[float, ...]
    throughput_by_users: tuple[float, ...]
    mean_response_by_users: tuple[float, ...]


# --------------------------------------------------------------------------- single queues


def mm1(arrival_rate: float, service_rate: float) -> MM1Result:
    """Steady state of the M/M/1 FCFS queue.

    rho = lambda / mu, W = 1 / (mu - lambda), W_q = rho / (mu - lambda), L = rho / (1 - rho),
    L_q = rho^2 / (1 - rho) (Kleinrock Vol. 1, section 3.2; Harchol-Balter, ch. 13).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda (per second), > 0.
    service_rate : float
        Exponential service rate mu (per second), > lambda.

    Returns
    -------
    MM1Result
        Means plus ``response_quantile_s(q)`` and ``response_cdf(t_s)``.

    Raises
    ------
    ValueError
        If a rate is not a finite positive number, or lambda >= mu.

    Examples
    --------
    >>> mm1(8.0, 10.0).mean_response_s
    0.5
    """
    lam, mu = _rate("arrival_rate", arrival_rate), _rate("service_rate", service_rate)
    rho = lam / mu
    _require_stable(rho, "arrival_rate / service_rate")
    response = 1.0 / (mu - lam)
    wait = rho / (mu - lam)
    return MM1Result(arrival_rate=lam, utilization=rho, mean_wait_s=wait,
                     mean_response_s=response, mean_queue_length=rho * rho / (1.0 - rho),
                     mean_number_in_system=rho / (1.0 - rho))


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B: blocking probability of the M/M/c/c loss system.

    B(c, A) = (A^c / c!) / sum_{k=0}^{c} A^k / k! (Kleinrock Vol. 1, section 3.7;
    Harchol-Balter, ch. 14), computed by the stable recursion B(0) = 1,
    B(n) = A B(n-1) / (n + A B(n-1)) (Jagerman, "Some properties of the Erlang loss
    function", Bell System Technical Journal 53(3), 1974). Insensitive to the service
    distribution beyond its mean.

    Parameters
    ----------
    servers : int
        Number of servers c >= 0.
    offered_load : float
        A = lambda / mu in Erlangs, >= 0.

    Returns
    -------
    float
        Probability that an arrival finds all servers busy and is lost.

    Examples
    --------
    >>> round(erlang_b(5, 3.0), 5)
    0.11005
    """
    count = _count("servers", servers, minimum=0)
    load = _real("offered_load", offered_load, minimum=0.0, strict=False, unit=" (Erlangs)")
    blocking = 1.0
    for n in range(1, count + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability that an arrival to an M/M/c queue has to wait.

    C(c, A) = c B / (c - A (1 - B)) with B = erlang_b(c, A) (Harchol-Balter, ch. 14; the
    direct form is Kleinrock Vol. 1, section 3.5). Stable for c in the thousands.

    Parameters
    ----------
    servers : int
        Number of servers c >= 1.
    offered_load : float
        A = lambda / mu in Erlangs, 0 <= A < c.

    Returns
    -------
    float
        P(wait > 0).

    Raises
    ------
    ValueError
        If A >= c (no steady state).

    Examples
    --------
    >>> round(erlang_c(2, 1.0), 12)
    0.333333333333
    """
    count = _count("servers", servers, minimum=1)
    load = _real("offered_load", offered_load, minimum=0.0, strict=False, unit=" (Erlangs)")
    _require_stable(load / count, "offered_load / servers")
    blocking = erlang_b(count, load)
    return count * blocking / (count - load * (1.0 - blocking))


def mmc(arrival_rate: float, service_rate: float, servers: int) -> MMcResult:
    """Steady state of the M/M/c FCFS queue.

    rho = lambda / (c mu), W_q = C(c, A) / (c mu - lambda), W = W_q + 1 / mu, L_q = lambda W_q,
    L = lambda W (Gross et al., section 2.3; Kleinrock Vol. 1, section 3.5; Harchol-Balter,
    ch. 14).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda (per second), > 0.
    service_rate : float
        Exponential service rate of one server mu (per second), > 0.
    servers : int
        Number of servers c >= 1; lambda < c mu.

    Returns
    -------
    MMcResult
        Means, ``prob_wait`` and ``response_quantile_s(q)`` / ``response_cdf(t_s)``.

    Examples
    --------
    >>> round(mmc(1.0, 1.0, 2).mean_response_s, 12)
    1.333333333333
    """
    lam, mu = _rate("arrival_rate", arrival_rate), _rate("service_rate", service_rate)
    count = _count("servers", servers, minimum=1)
    rho = lam / (count * mu)
    _require_stable(rho, "arrival_rate / (servers * service_rate)")
    prob_wait = erlang_c(count, lam / mu)
    wait = prob_wait / (count * mu - lam)
    response = wait + 1.0 / mu
    return MMcResult(arrival_rate=lam, utilization=rho, mean_wait_s=wait,
                     mean_response_s=response, mean_queue_length=lam * wait,
                     mean_number_in_system=lam * response, service_rate=mu, servers=count,
                     prob_wait=prob_wait)


def mmck(arrival_rate: float, service_rate: float, servers: int,
         capacity_K: int) -> MMcKResult:
    """Steady state of the M/M/c/K queue (at most K present, arrivals beyond are lost).

    p_n = p_0 A^n / n! for n <= c and p_0 A^c / c! (A / c)^(n - c) for c < n <= K, with
    A = lambda / mu (Gross et al., section 2.5; Kleinrock Vol. 1, sections 3.6 and 3.7).
    Computed in log space, so large K and c are fine. No stability condition is needed.

    Parameters
    ----------
    arrival_rate : float
        Offered Poisson rate lambda (per second), > 0.
    service_rate : float
        Exponential service rate of one server mu (per second), > 0.
    servers : int
        Number of servers c >= 1.
    capacity_K : int
        Maximum number in the station K >= c (in service plus waiting).

    Returns
    -------
    MMcKResult

    Examples
    --------
    >>> round(mmck(2.0, 1.0, 2, 3).mean_response_s, 12)
    1.2
    """
    lam, mu = _rate("arrival_rate", arrival_rate), _rate("service_rate", service_rate)
    count = _count("servers", servers, minimum=1)
    capacity = _count("capacity_K", capacity_K, minimum=count)
    load = lam / mu
    n = np.arange(capacity + 1, dtype=float)
    log_weight = n * math.log(load) - special.gammaln(n + 1.0)
    beyond = n > count
    log_weight[beyond] = (count * math.log(load) - math.lgamma(count + 1.0)
                          + (n[beyond] - count) * math.log(load / count))
    probabilities = np.exp(log_weight - special.logsumexp(log_weight))
    blocking = float(probabilities[-1])
    throughput = lam * (1.0 - blocking)
    number = float(np.dot(n, probabilities))
    queue = float(np.dot(np.maximum(n - count, 0.0), probabilities))
    return MMcKResult(arrival_rate=lam, blocking_probability=blocking, throughput=throughput,
                      utilization=throughput / (count * mu), mean_number_in_system=number,
                      mean_queue_length=queue, mean_response_s=number / throughput,
                      mean_wait_s=queue / throughput,
                      state_probabilities=tuple(float(p) for p in probabilities))


def mg1(arrival_rate: float, mean_service_s: float, service_cv: float) -> QueueMetrics:
    """Steady-state means of the M/G/1 FCFS queue (Pollaczek-Khinchine mean-value formula).

    W_q = lambda E[S^2] / (2 (1 - rho)) = rho (1 + cv^2) / 2 * E[S] / (1 - rho), W = W_q + E[S]
    (Kleinrock Vol. 1, ch. 5; Harchol-Balter, ch. 23).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda (per second), > 0.
    mean_service_s : float
        Mean service time E[S] (seconds), > 0, with lambda E[S] < 1.
    service_cv : float
        Coefficient of variation of the service time (std / mean), >= 0.

    Returns
    -------
    QueueMetrics

    Examples
    --------
    >>> mg1(0.5, 1.0, 1.0).mean_response_s  # M/M/1: 1 / (1 - 0.5)
    2.0
    """
    lam = _rate("arrival_rate", arrival_rate)
    service = _duration("mean_service_s", mean_service_s)
    cv = _real("service_cv", service_cv, minimum=0.0, strict=False, unit="")
    rho = lam * service
    _require_stable(rho, "arrival_rate * mean_service_s")
    wait = rho * (1.0 + cv * cv) / 2.0 * service / (1.0 - rho)
    response = wait + service
    return QueueMetrics(arrival_rate=lam, utilization=rho, mean_wait_s=wait,
                        mean_response_s=response, mean_queue_length=lam * wait,
                        mean_number_in_system=lam * response)


def md1(arrival_rate: float, service_rate: float) -> QueueMetrics:
    """Steady-state means of the M/D/1 queue: :func:`mg1` with cv = 0.

    W_q = rho / (2 mu (1 - rho)) (Kleinrock Vol. 1, ch. 5).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda (per second), > 0.
    service_rate : float
        1 / (constant service time) (per second), > lambda.

    Examples
    --------
    >>> md1(0.5, 1.0).mean_wait_s
    0.5
    """
    return mg1(arrival_rate, 1.0 / _rate("service_rate", service_rate), 0.0)


# --------------------------------------------------------------------------- GI/M/1


def _solve_sigma(lst_function: Callable[[float], float], service_rate: float) -> float:
    """The unique root in (0, 1) of g(sigma) = A*(mu (1 - sigma)) - sigma (for rho < 1).

    g is convex with g(0) > 0, g(1) = 0 and g'(1) = 1/rho - 1 > 0, so any point 1 - gap with
    g < 0 brackets the root together with 0 (Kleinrock Vol. 1, ch. 6).
    """

    def excess(sigma: float) -> float:
        return float(lst_function(service_rate * (1.0 - sigma))) - sigma

    if excess(0.0) <= 0.0:
        return 0.0
    gap = 0.5
    while excess(1.0 - gap) >= 0.0:
        gap /= 2.0
        if gap < 1e-15:
            raise ValueError("Could not bracket the GI/M/1 root sigma in (0, 1): is the "
                             "interarrival LST consistent with arrival_rate and rho < 1?")
    sigma = float(optimize.brentq(excess, 0.0, 1.0 - gap, xtol=1e-15))
    # Brent's absolute tolerance loses a tiny root (light load: sigma ~ e^{-1/rho} for D/M/1);
    # the map sigma -> A*(mu (1 - sigma)) contracts at this root (slope < 1 by convexity),
    # so a few fixed-point steps restore full relative precision.
    for _ in range(4):
        sigma = float(lst_function(service_rate * (1.0 - sigma)))
    return sigma


def gi_m1(lst_function: Callable[[float], float], arrival_rate: float,
          service_rate: float) -> GIM1Result:
    """Steady state of the GI/M/1 FCFS queue from the interarrival-time LST.

    sigma is the root in (0, 1) of sigma = A*(mu (1 - sigma)), where A*(s) = E[exp(-s X)] for
    an interarrival time X. Arrivals see Geometric(sigma) customers, so P(wait) = sigma,
    W_q = sigma / (mu (1 - sigma)), and the response time is Exp(mu (1 - sigma))
    (Kleinrock Vol. 1, ch. 6, the queue G/M/m with m = 1).

    Parameters
    ----------
    lst_function : callable
        s (per second) -> A*(s), the Laplace-Stieltjes transform of the interarrival time,
        whose mean must be 1 / arrival_rate.
    arrival_rate : float
        lambda (per second), > 0; used for rho and Little's law.
    service_rate : float
        Exponential service rate mu (per second), > lambda.

    Returns
    -------
    GIM1Result

    Examples
    --------
    >>> round(gi_m1(lambda s: 1.0 / (1.0 + s), 1.0, 2.0).sigma, 12)  # M/M/1: sigma = rho
    0.5
    """
    if not callable(lst_function):
        raise ValueError(f"The 'lst_function' parameter must be callable. "
                         f"Got {lst_function!r} instead.")
    lam, mu = _rate("arrival_rate", arrival_rate), _rate("service_rate", service_rate)
    rho = lam / mu
    _require_stable(rho, "arrival_rate / service_rate")
    sigma = _solve_sigma(lst_function, mu)
    wait = sigma / (mu * (1.0 - sigma))
    response = 1.0 / (mu * (1.0 - sigma))
    return GIM1Result(arrival_rate=lam, utilization=rho, mean_wait_s=wait,
                      mean_response_s=response, mean_queue_length=lam * wait,
                      mean_number_in_system=lam * response, service_rate=mu, sigma=sigma,
                      prob_wait=sigma)


def dm1(arrival_rate: float, service_rate: float) -> GIM1Result:
    """D/M/1: :func:`gi_m1` with constant interarrival 1 / lambda, A*(s) = exp(-s / lambda).

    sigma solves sigma = exp(-(1 - sigma) / rho) (Kleinrock Vol. 1, ch. 6).

    Examples
    --------
    >>> round(dm1(0.5, 1.0).sigma, 4)
    0.2032
    """
    lam = _rate("arrival_rate", arrival_rate)
    return gi_m1(lambda s: math.exp(-s / lam), lam, service_rate)


def ekm1(arrival_rate: float, service_rate: float, k: int) -> GIM1Result:
    """E_k/M/1: :func:`gi_m1` with Erlang-k interarrivals of mean 1 / lambda.

    A*(s) = (k lambda / (k lambda + s))^k (Kleinrock Vol. 1, section 4.3 and ch. 6). A Poisson
    stream dealt round robin over k replicas gives each replica Erlang-k interarrivals
    (Harchol-Balter, ch. 24); see :func:`round_robin_split`. k = 1 is M/M/1.

    Parameters
    ----------
    arrival_rate : float
        Arrival rate lambda into this queue (per second), > 0.
    service_rate : float
        mu (per second), > lambda.
    k : int
        Number of exponential phases, >= 1.
    """
    lam = _rate("arrival_rate", arrival_rate)
    phases = _count("k", k, minimum=1)
    phase_rate = phases * lam
    return gi_m1(lambda s: math.exp(-phases * math.log1p(s / phase_rate)), lam, service_rate)


def round_robin_split(arrival_rate: float, service_rate: float, replicas: int) -> GIM1Result:
    """One of n replicas fed round robin from a Poisson stream: E_n/M/1 with rate lambda / n.

    Every n-th arrival of a Poisson(lambda) stream is a sum of n Exp(lambda) gaps
    (Harchol-Balter, ch. 24, Round-Robin task assignment).

    Parameters
    ----------
    arrival_rate : float
        Total Poisson rate lambda into the balancer (per second).
    service_rate : float
        Exponential service rate of each replica mu (per second), lambda / n < mu.
    replicas : int
        Number of replicas n >= 1.
    """
    count = _count("replicas", replicas, minimum=1)
    return ekm1(_rate("arrival_rate", arrival_rate) / count, service_rate, count)


def mm1_random_split(arrival_rate: float, service_rate: float, replicas: int) -> MM1Result:
    """One of n replicas fed by random (Bernoulli) splitting: M/M/1 with rate lambda / n.

    Random splitting of a Poisson stream gives independent Poisson streams (Harchol-Balter,
    ch. 11 and ch. 24, Random task assignment), so every replica is an M/M/1 queue.

    Parameters
    ----------
    arrival_rate : float
        Total Poisson rate lambda into the balancer (per second).
    service_rate : float
        Exponential service rate of each replica mu (per second), lambda / n < mu.
    replicas : int
        Number of replicas n >= 1.
    """
    count = _count("replicas", replicas, minimum=1)
    return mm1(_rate("arrival_rate", arrival_rate) / count, service_rate)


# --------------------------------------------------------------------------- networks


def _routing_matrix(stations: list[str], routing: Mapping[tuple[str, str], float]) -> np.ndarray:
    index = {name: i for i, name in enumerate(stations)}
    matrix = np.zeros((len(stations), len(stations)))
    for key, probability in routing.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(k in index for k in key)):
            raise ValueError(f"Routing keys must be (from_station, to_station) pairs of known "
                             f"stations {stations}. Got {key!r} instead.")
        value = _real(f"routing[{key!r}]", probability, minimum=0.0, strict=False, unit="")
        matrix[index[key[0]], index[key[1]]] += value
    for name, row_sum in zip(stations, matrix.sum(axis=1), strict=True):
        if row_sum > 1.0 + 1e-9:
            raise ValueError(f"Routing probabilities out of {name!r} must sum to <= 1 (the rest "
                             f"leaves the network). Got {row_sum:.6g} instead.")
    if len(stations) and np.max(np.abs(np.linalg.eigvals(matrix))) >= 1.0 - 1e-12:
        raise ValueError("The routing has a loop with no way out: every station must be able "
                         "to reach an exit for an open network.")
    return matrix


def jackson(arrival_rates_external: Mapping[str, float],
            routing: Mapping[tuple[str, str], float], service_rates: Mapping[str, float],
            servers: Mapping[str, int] | None = None) -> JacksonResult:
    """Steady state of an open Jackson network of M/M/c FCFS stations.

    Traffic equations lambda_j = gamma_j + sum_i lambda_i p_ij, solved as
    (I - P^T) lambda = gamma; each station then behaves as an independent M/M/c_j queue with
    arrival rate lambda_j (Jackson, "Jobshop-like queueing systems", Management Science 10(1),
    1963; Harchol-Balter, ch. 17; Gross et al., section 4.2). The mean sojourn time per
    external arrival is sum_j L_j / sum_j gamma_j (Little's law).

    Parameters
    ----------
    arrival_rates_external : dict of str to float
        External Poisson rate gamma_j per station (per second, >= 0); missing stations get 0.
    routing : dict of (str, str) to float
        Probability p_ij of going from i to j after service; 1 - sum_j p_ij leaves.
    service_rates : dict of str to float
        Exponential service rate mu_j of one server (per second); defines the stations.
    servers : dict of str to int, optional
        Servers c_j per station; missing stations (or None) have one server.

    Returns
    -------
    JacksonResult

    Raises
    ------
    ValueError
        On unknown station names, bad probabilities, a routing loop with no exit, no external
        arrivals, or a station with rho_j >= 1.

    Examples
    --------
    >>> round(jackson({"a": 1.0}, {("a", "b"): 1.0}, {"a": 2.0, "b": 3.0}).mean_sojourn_s, 12)
    1.5
    """
    stations = list(service_rates)
    server_counts = dict(servers or {})
    for name in [*arrival_rates_external, *server_counts]:
        if name not in service_rates:
            raise ValueError(f"Unknown station {name!r}: stations are the keys of "
                             f"service_rates, {stations}.")
    external = np.array([_real(f"arrival_rates_external[{name!r}]",
                               arrival_rates_external.get(name, 0.0), minimum=0.0,
                               strict=False, unit=" (per second)") for name in stations])
    if external.sum() <= 0.0:
        raise ValueError("An open network needs a positive total external arrival rate.")
    matrix = _routing_matrix(stations, routing)
    rates = np.linalg.solve(np.eye(len(stations)) - matrix.T, external)
    total = float(external.sum())
    throughput, utilization, number, response = {}, {}, {}, {}
    for name, rate in zip(stations, rates, strict=True):
        mu = _rate(f"service_rates[{name!r}]", service_rates[name])
        count = _count(f"servers[{name!r}]", server_counts.get(name, 1), minimum=1)
        rate = max(float(rate), 0.0)
        if rate / (count * mu) >= 1.0:
            raise ValueError(f"No steady state: station {name!r} has utilization "
                             f"{rate / (count * mu):.6g} >= 1 (arrival rate {rate:.6g}/s).")
        station = mmc(rate, mu, count) if rate > 0.0 else None
        throughput[name] = rate
        utilization[name] = rate / (count * mu)
        number[name] = station.mean_number_in_system if station else 0.0
        response[name] = station.mean_response_s if station else 1.0 / mu
    in_network = math.fsum(number.values())
    return JacksonResult(throughput=throughput,
                         visit_ratio={name: rate / total for name, rate in throughput.items()},
                         utilization=utilization, mean_number_in_system=number,
                         mean_response_s=response, external_arrival_rate=total,
                         mean_number_in_network=in_network, mean_sojourn_s=in_network / total)


def mva(service_demands_s: Sequence[float], think_time_s: float, users: int,
        delay_stations: Collection[int] | None = None) -> MVAResult:
    """Exact mean value analysis of a closed single-class product-form network.

    For n = 1 .. N: R_k(n) = D_k (1 + Q_k(n - 1)) at a queueing station (FCFS exponential or
    PS, one server) and R_k(n) = D_k at a delay station; X(n) = n / (Z + sum_k R_k(n));
    Q_k(n) = X(n) R_k(n) (Reiser & Lavenberg 1980; Lazowska et al., ch. 6, exact MVA).
    Multi-server (load-dependent) stations are not supported.

    Parameters
    ----------
    service_demands_s : sequence of float
        Service demand D_k = V_k S_k per station (seconds, >= 0): total service one
        interaction needs there over all its visits.
    think_time_s : float
        Think time Z of the terminals (seconds, >= 0).
    users : int
        Population N >= 1.
    delay_stations : collection of int, optional
        Indices into ``service_demands_s`` of delay (infinite-server) stations.

    Returns
    -------
    MVAResult

    Examples
    --------
    >>> mva([1.0], 1.0, 2).throughput  # machine repairman, N = 2, S = Z = 1
    0.8
    """
    demands = [_duration(f"service_demands_s[{k}]", d, strict=False)
               for k, d in enumerate(service_demands_s)]
    think = _duration("think_time_s", think_time_s, strict=False)
    population = _count("users", users, minimum=1)
    delays = set(delay_stations or ())
    for k in delays:
        if not (isinstance(k, numbers.Integral) and 0 <= k < len(demands)):
            raise ValueError(f"delay_stations must hold indices in [0, {len(demands)}). "
                             f"Got {k!r} instead.")
    if think + math.fsum(demands) <= 0.0:
        raise ValueError("Think time and service demands are all zero: throughput is unbounded.")
    queue = [0.0] * len(demands)
    residence: list[float] = []
    throughputs, responses = [], []
    for n in range(1, population + 1):
        residence = [d if k in delays else d * (1.0 + queue[k]) for k, d in enumerate(demands)]
        response = math.fsum(residence)
        throughput = n / (think + response)
        queue = [throughput * r for r in residence]
        throughputs.append(throughput)
        responses.append(response)
    return MVAResult(users=population, throughput=throughputs[-1],
                     mean_response_s=responses[-1], residence_times_s=tuple(residence),
                     queue_lengths=tuple(queue),
                     utilizations=tuple(throughputs[-1] * d for d in demands),
                     throughput_by_users=tuple(throughputs),
                     mean_response_by_users=tuple(responses))


# --------------------------------------------------------------------------- fork-join, order


def fork_join_2(arrival_rate: float, service_rate: float) -> float:
    """Exact mean response time (seconds) of the two-server M/M fork-join queue.

    Each arrival forks into one task per server (both FCFS, rate mu) and leaves when both are
    done: T_2 = (12 - rho) / 8 * 1 / (mu - lambda), rho = lambda / mu (Flatto & Hahn, "Two
    parallel queues created by arrivals with two demands I", SIAM J. Appl. Math. 44(5), 1984;
    Nelson & Tantawi 1988, eq. for n = 2).

    Examples
    --------
    >>> fork_join_2(0.5, 1.0)  # (12 - 0.5) / 8 / 0.5
    2.875
    """
    lam, mu = _rate("arrival_rate", arrival_rate), _rate("service_rate", service_rate)
    rho = lam / mu
    _require_stable(rho, "arrival_rate / service_rate")
    return (12.0 - rho) / 8.0 / (mu - lam)


def fork_join_nelson_tantawi(arrival_rate: float, service_rate: float, branches: int) -> float:
    """Approximate mean response time (seconds) of an n-server M/M fork-join queue.

    T_n ~ [H_n / H_2 + (4/11) (1 - H_n / H_2) rho] T_2, with T_2 from :func:`fork_join_2` and
    H_n the n-th harmonic number (Nelson & Tantawi 1988; fitted to simulation, stated for
    2 <= n <= 32, a few percent error). Exact for n = 2.

    Raises
    ------
    ValueError
        If branches is outside 2..32, the range the approximation was validated on.
    """
    count = _count("branches", branches, minimum=2)
    if count > 32:
        raise ValueError(f"The 'branches' parameter must be in 2..32 (the range Nelson & "
                         f"Tantawi validated). Got {branches!r} instead.")
    exact_two = fork_join_2(arrival_rate, service_rate)
    ratio = _harmonic(count) / _harmonic(2)
    rho = float(arrival_rate) / float(service_rate)
    return (ratio + 4.0 / 11.0 * (1.0 - ratio) * rho) * exact_two


def expected_kth_of_exponentials(n: int, k: int, mean: float) -> float:
    """Expected k-th smallest (k-th to finish) of n iid exponentials with the given mean.

    E[X_(k)] = mean * sum_{i=n-k+1}^{n} 1 / i, from Renyi's representation of exponential
    spacings (Renyi, "On the theory of order statistics", Acta Math. Acad. Sci. Hungarica 4,
    1953). k = 1 is the fastest (mean / n), k = n the slowest (mean * H_n).

    Parameters
    ----------
    n : int
        Number of variables, >= 1.
    k : int
        Rank, 1 <= k <= n.
    mean : float
        Mean of each variable (seconds), > 0.

    Examples
    --------
    >>> expected_kth_of_exponentials(2, 2, 1.0)
    1.5
    """
    count = _count("n", n, minimum=1)
    rank = _count("k", k, minimum=1)
    if rank > count:
        raise ValueError(f"The 'k' parameter must be <= n = {count}. Got {k!r} instead.")
    scale = _duration("mean", mean)
    return scale * math.fsum(1.0 / i for i in range(count - rank + 1, count + 1))


def expected_max_of_exponentials(n: int, mean: float) -> float:
    """Expected maximum of n iid exponentials: mean * H_n (Renyi 1953; see above)."""
    return expected_kth_of_exponentials(n, n, mean)


# --------------------------------------------------------------------------- statistics


def student_t_halfwidth(samples_or_std: float | Sequence[float], n: int | None = None,
                        confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval for a mean.

    h = t_{n-1, (1 + confidence) / 2} * s / sqrt(n) (Law, *Simulation Modeling and Analysis*,
    5th ed., section 4.5 and section 9.4.1), with t from ``scipy.stats.t``.

    Parameters
    ----------
    samples_or_std : float or sequence of float
        Either the observations (then s is their sample standard deviation, ddof = 1, and
        ``n`` defaults to their count) or the sample standard deviation s itself.
    n : int, optional
        Number of observations, >= 2; required when a standard deviation is given.
    confidence : float
        Two-sided confidence level in (0, 1).

    Examples
    --------
    >>> round(student_t_halfwidth(1.0, 10), 4)  # t_{9, 0.975} = 2.2622
    0.7154
    """
    if isinstance(samples_or_std, numbers.Real) and not isinstance(samples_or_std, bool):
        std = _real("samples_or_std", samples_or_std, minimum=0.0, strict=False, unit="")
        if n is None:
            raise ValueError("The 'n' parameter is required when a standard deviation is given.")
        count = _count("n", n, minimum=2)
    else:
        values = np.asarray(samples_or_std, dtype=float).ravel()
        count = _count("n", len(values) if n is None else n, minimum=2)
        if count != len(values):
            raise ValueError(f"The 'n' parameter must equal the number of samples "
                             f"({len(values)}). Got {n!r} instead.")
        std = float(values.std(ddof=1))
    level = _real("confidence", confidence, minimum=0.0, strict=True, unit="")
    if level >= 1.0:
        raise ValueError(f"The 'confidence' parameter must be in (0, 1). "
                         f"Got {confidence!r} instead.")
    return float(stats.t.ppf((1.0 + level) / 2.0, count - 1) * std / math.sqrt(count))
