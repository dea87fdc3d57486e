"""Objectives written on the command line (``p99<200ms``) and measured with a 95% interval.

Forms: ``METRIC<TARGET`` for the latency metrics (mean, p50, p90, p95, p99, max; a duration)
and ``error_rate`` (a probability, ``0.1%``), ``throughput>TARGET`` (a rate, ``100/s``).
``<=`` and ``>=`` mean the same as ``<`` and ``>``: a value equal to the target meets it, as
in the file's ``slos``. A ``CLASS:`` prefix (``checkout:p99<300ms``) limits the objective to
one request class; without it, every request class must meet it (like ``request: "*"``).

Each objective is measured once per replication (the p99 of that replication's response
times, its error rate, its throughput); the replications give a 95% interval of its mean:
on the log scale for latencies, which are positive and skewed (:func:`interval_ci95`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from archsim.analysis.stats import mean_ci95, positive_mean_ci95
from archsim.spec.units import parse_duration, parse_probability, parse_rate

if TYPE_CHECKING:
    from archsim.engine.run import ReplicationResult
    from archsim.spec.schema import Topology

LATENCY_METRICS = ("mean", "p50", "p90", "p95", "p99", "max")
METRICS = (*LATENCY_METRICS, "error_rate", "throughput")
EXAMPLES = "'p99<200ms', 'mean<50ms', 'error_rate<0.1%' or 'throughput>100/s'"
_FORM = re.compile(r"^\s*(?:(?P<request>[^:<>=]+?)\s*:\s*)?(?P<metric>[A-Za-z_0-9]+)\s*"
                   r"(?P<op><=|>=|<|>)\s*(?P<target>\S.*?)\s*$")

MET, MISSED, UNCERTAIN = "met", "missed", "uncertain"


@dataclass(frozen=True, slots=True)
class Objective:
    """One objective: ``metric`` below (or, for throughput, above) ``target``.

    ``target`` is in seconds for latency metrics, a fraction for ``error_rate`` and per second
    for ``throughput``; ``request`` None means every request class.
    """

    metric: str
    target: float
    request: str | None = None
    text: str = ""

    @property
    def upper(self) -> bool:
        """True for an upper bound (latency, error rate), False for throughput."""
        return self.metric != "throughput"

    @property
    def target_display(self) -> float:
        """The target in display units: milliseconds, a fraction, per second."""
        return self.target * 1000 if self.metric in LATENCY_METRICS else self.target


@dataclass(frozen=True, slots=True)
class Measure:
    """One objective measured on one request class at one load (display units)."""

    objective: str
    metric: str
    request: str
    value: float | None
    ci95: tuple[float, float] | None
    verdict: str

    @property
    def value_text(self) -> str:
        """The value with its unit: ``231.2 ms``, ``4.18%``, ``320.4/s``."""
        return format_value(self.metric, self.value)


def format_value(metric: str, value: float | None) -> str:
    """A measured value with its unit (milliseconds, per cent or per second)."""
    if value is None:
        return "-"
    if metric == "error_rate":
        return f"{value:.3%}"
    if metric == "throughput":
        return f"{value:,.1f}/s"
    return f"{value:,.1f} ms"


def parse_objective(text: str) -> Objective:
    """Parse ``"p99<200ms"``, ``"checkout:error_rate<0.1%"``, ``"throughput>100/s"``.

    Raises
    ------
    ValueError
        With what was expected and what was given.

    Examples
    --------
    >>> parse_objective("p99<200ms")
    Objective(metric='p99', target=0.2, request=None, text='p99<200ms')
    """
    match = _FORM.match(text)
    if not match:
        raise ValueError(f"expected an objective such as {EXAMPLES}, got {text!r}")
    metric, op, raw = match.group("metric"), match.group("op"), match.group("target")
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, METRICS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown metric {metric!r} in {text!r}; expected one of "
                         f"{', '.join(METRICS)}.{hint}".removesuffix("."))
    upper = metric != "throughput"
    if upper != op.startswith("<"):
        want = "<" if upper else ">"
        kind = "an upper" if upper else "a lower"
        raise ValueError(f"{metric} is {kind} bound: write '{metric}{want}{raw}', got {text!r}")
    parse = (parse_duration if metric in LATENCY_METRICS
             else parse_probability if metric == "error_rate" else parse_rate)
    try:
        target = parse(raw)
    except ValueError as exc:
        raise ValueError(f"bad target in {text!r}: {exc}") from None
    return Objective(metric, target, match.group("request"), text.strip())


def file_objectives(topology: Topology) -> list[Objective]:
    """The topology's ``slos`` section as objectives (``"*"`` means every class)."""
    out = []
    for slo in topology.slos:
        request = None if slo.request == "*" else slo.request
        for metric, target in slo.objectives().items():
            shown = (f"{target * 1000:g}ms" if metric in LATENCY_METRICS else
                     f"{target:.6g}" if metric == "error_rate" else f"{target:g}/s")
            prefix = f"{request}:" if request else ""
            sign = ">" if metric == "throughput" else "<"
            out.append(Objective(metric, float(target), request,
                                 f"{prefix}{metric}{sign}{shown}"))
    return out


def measure(objective: Objective, request: str, results: list[ReplicationResult]) -> Measure:
    """Measure ``objective`` on class ``request``: per-replication values, mean and interval.

    The verdict is ``met`` when the whole 95% interval meets the target, ``missed`` when the
    whole interval misses it, ``uncertain`` otherwise. With one replication there is no
    interval and the single value decides.
    """
    values = [_value(objective.metric, r, request) for r in results]
    finite = [v for v in values if v is not None]
    if not finite:
        # nothing completed: no evidence the objective holds (as 'check' treats it)
        return Measure(objective.text, objective.metric, request, None, None, MISSED)
    mean = float(np.mean(finite))
    interval = interval_ci95(objective.metric, finite)
    low, high = interval if interval is not None else (mean, mean)
    if np.isinf(mean):
        low = high = mean
    target = objective.target_display
    if objective.upper:
        verdict = MET if high <= target else MISSED if low > target else UNCERTAIN
    else:
        verdict = MET if low >= target else MISSED if high < target else UNCERTAIN
    ci = None if interval is None or np.isinf(mean) else (round(low, 6), round(high, 6))
    return Measure(objective.text, objective.metric, request, round(mean, 6), ci, verdict)


def interval_ci95(metric: str, values: list[float]) -> tuple[float, float] | None:
    """95% interval of the mean of one metric's replication values, within its range.

    Latencies (a per-replication p99 above all) are positive and skewed: the log-scale
    modified Cox interval (:func:`archsim.analysis.stats.positive_mean_ci95`), whose ends are
    positive; should it miss the sample mean (possible only for values spread like no
    log-normal sample), it is widened to hold it. An error rate (zero in many replications, so
    no logarithm) and a throughput (a count over time, near normal) take the Student-t interval
    (:func:`archsim.analysis.stats.mean_ci95`) cut to their ranges, [0, 1] and [0, inf), as
    does a latency of exactly 0 (constant zero work).
    None with fewer than two finite values.
    """
    finite = [v for v in values if np.isfinite(v)]
    if len(finite) < 2:
        return None
    mean = float(np.mean(finite))
    if metric in LATENCY_METRICS:
        interval = positive_mean_ci95(finite)
        if interval is not None:
            return min(interval[0], mean), max(interval[1], mean)
    interval = mean_ci95(finite)
    if interval is None:
        return None
    high = min(interval[1], 1.0) if metric == "error_rate" else interval[1]
    return max(interval[0], 0.0), high


def point_met(item: Measure, objective: Objective) -> bool:
    """Whether the point estimate (mean over replications) meets the objective."""
    if item.value is None:
        return False  # nothing measured: not met (the load carried no evidence)
    target = objective.target_display
    return item.value <= target if objective.upper else item.value >= target


def _value(metric: str, result: ReplicationResult, request: str) -> float | None:
    stats = next(c for c in result.classes if c.name == request)
    if metric == "throughput":
        return stats.completed / result.duration_s
    if metric == "error_rate":
        finished = stats.completed + stats.failed
        return stats.failed / finished if finished else None
    samples = np.frombuffer(stats.latencies_s, dtype=float)
    if samples.size == 0:
        return float("inf") if stats.failed else None
    if metric == "mean":
        return float(samples.mean()) * 1000
    if metric == "max":
        return float(samples.max()) * 1000
    return float(np.percentile(samples, float(metric[1:]))) * 1000
