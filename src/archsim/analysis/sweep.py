"""``archsim.sweep``: throughput and latency of a topology against one parameter.

Every point is a full simulation with the same seeds (common random numbers, so neighbouring
points differ by the parameter, not by luck). Two points are marked:

- the **saturation point**: the first point, walking from the light-load end, that is
  saturated in the sense of :mod:`archsim.analysis.overload` (the run stopped unstable,
  completed under 95% of its arrivals, or analytic utilization >= 1). The light-load end is the
  first point unless the sweep starts saturated and ends unsaturated (a sweep over replicas).
- the **knee**: where the p99 latency curve bends from flat to steep. Among the unsaturated
  points, with both axes scaled to [0, 1], it is the point furthest below the straight line
  joining the first and the last of them (Kneedle, Satopää et al., "Finding a 'kneedle' in
  a haystack", ICDCS workshops 2011). It needs three unsaturated points, a p99 range of at
  least ``KNEE_MIN_RISE`` (10%) of the lowest p99, and a bend of at least ``KNEE_MIN_BEND``
  (5% of that range); otherwise the curve is flat or straight and there is no knee.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from archsim.analysis.overload import (
    analytic_utilization,
    offered_and_throughput,
    saturation_reasons,
)
from archsim.errors import ModelError, UsageError

if TYPE_CHECKING:
    from archsim.report.build import Report
    from archsim.spec.loader import Source
    from archsim.spec.schema import Topology

RATE_SCALE = "rate_scale"
KNEE_MIN_BEND = 0.05
KNEE_MIN_RISE = 0.1
MAX_POINTS = 1000
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_WITH_UNIT = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Zµμ%]*)$")


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One simulated point of a sweep (rates per second, latencies in milliseconds).

    ``analytic_utilization`` is what ``archsim analyze`` predicts at the point's load
    (:func:`archsim.analysis.overload.analytic_utilization`: blocking services held through
    their calls); None where a callee is unstable and the holding time unbounded.
    """

    value: float | str
    rate_scale: float
    offered_rps: float | None
    throughput_rps: float | None
    latency_ms: dict[str, float]
    requests: dict[str, dict[str, Any]]
    utilization: dict[str, float]
    analytic_utilization: dict[str, float | None]
    bottleneck: str | None
    saturated: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()  # the point's run warnings that say a fault is not measured


@dataclass
class SweepResult:
    """A whole sweep: the points in order plus the indices of the knee and saturation point."""

    topology: str
    parameter: str
    points: list[SweepPoint]
    knee: int | None
    saturation: int | None
    simulation: dict[str, Any] = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        """Whether every parameter value is a number (a numeric axis)."""
        return all(isinstance(p.value, (int, float)) for p in self.points)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "topology": self.topology,
            "parameter": self.parameter,
            "simulation": self.simulation,
            "knee": None if self.knee is None else self.points[self.knee].value,
            "saturation": None if self.saturation is None else self.points[
                self.saturation].value,
            "points": [{**asdict(p), "saturated": list(p.saturated),
                        "warnings": list(p.warnings)} for p in self.points],
        }


def parse_values(text: str) -> list[float | str]:
    """Parse ``START:STOP[:STEP]`` (inclusive, step 1 by default) or a comma list.

    Numbers in a comma list become floats; other items (``5ms``) stay strings.

    Raises
    ------
    ValueError
        For a malformed range, a step that is not positive, STOP below START, or more than
        ``MAX_POINTS`` points.

    Examples
    --------
    >>> parse_values("0.5:1.5:0.5")
    [0.5, 1.0, 1.5]
    >>> parse_values("1,2,4ms")
    [1.0, 2.0, '4ms']
    >>> parse_values("5s:15s:5s")
    ['5s', '10s', '15s']
    """
    text = text.strip()
    if "," in text or ":" not in text:
        items = [item.strip() for item in text.split(",")]
        if not all(items):
            raise ValueError(f"expected START:STOP[:STEP] or a comma list, got {text!r}")
        values: list[float | str] = [float(i) if _NUMBER.match(i) else i for i in items]
    else:
        values = list(_range(text))
    if len(values) > MAX_POINTS:
        raise ValueError(f"{len(values)} points in {text!r}; at most {MAX_POINTS}")
    return values


def _range(text: str) -> list[float] | list[str]:
    """The values of ``START:STOP[:STEP]``; with a unit on the parts (``5s:20s:5s``, one unit
    for all), the values keep it (``'5s'``, ``'10s'``, ...)."""
    parts = [p.strip() for p in text.split(":")]
    split = [_WITH_UNIT.match(p) for p in parts]
    if len(parts) not in (2, 3) or not all(split):
        raise ValueError(f"expected START:STOP[:STEP] with numbers, such as 0.2:2.0:0.2 or "
                         f"5s:20s:5s, got {text!r}")
    units = {m.group(2) for m in split if m is not None}
    if len(units) > 1:
        raise ValueError(f"expected one unit for START, STOP and STEP, got {text!r}")
    unit = units.pop() if units else ""
    if unit and not all(m is not None and m.group(2) for m in split[:2]):
        raise ValueError(f"give START and STOP the same unit, such as 5s:20s:5s; got {text!r}")
    numbers = [float(m.group(1)) for m in split if m is not None]
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1.0
    if step <= 0:
        raise ValueError(f"the step must be > 0, got {parts[2]!r} in {text!r}")
    if stop < start:
        raise ValueError(f"STOP must be >= START, got {text!r}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_POINTS:
        raise ValueError(f"{count} points in {text!r}; at most {MAX_POINTS}")
    values = [round(start + index * step, 12) for index in range(count)]
    return [f"{v:g}{unit}" for v in values] if unit else values


def sweep(
    source: Source | Topology,
    values: Sequence[float | str],
    *,
    parameter: str = RATE_SCALE,
    overrides: Sequence[str] = (),
    duration_s: float | None = None,
    warmup_s: float | str | None = "file",
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    max_in_flight: int | None = None,
    stop_at_saturation: bool = False,
    progress: Callable[[float], None] | None = None,
    cluster: Any = None,
) -> SweepResult:
    """Simulate a topology at every value of one parameter and mark the knee and saturation.

    Parameters
    ----------
    source:
        A topology file or YAML text; a loaded Topology is enough for a rate-scale sweep.
    values:
        The parameter's values in sweep order (see :func:`parse_values`).
    parameter:
        ``"rate_scale"`` (a factor on every open workload rate) or a key path set like
        ``--set`` (``components.web.replicas``).
    overrides:
        ``KEY=VALUE`` strings applied to every point.
    duration_s, warmup_s, replications, seed, jobs, max_in_flight:
        As for :func:`archsim.simulate` (seconds); every point uses the same seeds. All
        points' replications share one pool of ``jobs`` processes.
    stop_at_saturation:
        Stop after the first saturated point (points then run one after another).
    progress:
        Called with the fraction of the sweep done (0..1).
    cluster:
        Run the replications on a Dask cluster instead: a scheduler address
        (``tcp://HOST:PORT``), a ``distributed.Client`` or a ``LocalCluster``; the result is
        the same as a local run's (see :mod:`archsim.engine.cluster`).

    Returns
    -------
    SweepResult
        One SweepPoint per value simulated; a point whose run stopped unstable has
        ``error`` set and no latency.

    Raises
    ------
    SpecError
        When the file, an override or a parameter value is invalid.
    UsageError
        For an empty sweep, a negative rate scale, or a parameter sweep of a loaded Topology.

    Examples
    --------
    >>> result = sweep("models/monolith.yaml", [0.5, 1.0, 2.0])   # doctest: +SKIP
    >>> result.points[result.saturation].value                     # doctest: +SKIP
    2.0
    """
    from archsim.engine.simulate import DEFAULT_MAX_IN_FLIGHT

    if not values:
        raise UsageError("a sweep needs at least one value")
    by_rate = parameter == RATE_SCALE
    if by_rate and any(not isinstance(v, (int, float)) or v < 0 for v in values):
        raise UsageError(f"rate scales must be numbers >= 0, got {list(values)}")
    from archsim.engine.batch import BatchRun, simulate_batch
    from archsim.engine.cluster import open_executor

    topologies = _topologies(source, values, parameter, overrides)
    settings = {"duration_s": duration_s, "warmup_s": warmup_s, "replications": replications,
                "seed": seed, "max_in_flight": max_in_flight or DEFAULT_MAX_IN_FLIGHT}
    runs = [BatchRun(t, float(v) if by_rate else 1.0) for v, t in zip(values, topologies,
                                                                     strict=True)]
    chunk = 1 if stop_at_saturation else len(runs)
    tasks = len(runs) * (replications or topologies[0].simulation.replications)
    points: list[SweepPoint] = []
    simulation: dict[str, Any] = {}
    with open_executor(jobs, cluster, tasks) as executor:
        for start in range(0, len(runs), chunk):
            def step(fraction: float, start: int = start) -> None:
                if progress is not None:
                    progress((start + fraction * chunk) / len(runs))
            outcomes = simulate_batch(runs[start:start + chunk], executor=executor,
                                      progress=step, **settings)
            for run, value, outcome in zip(runs[start:start + chunk],
                                           values[start:start + chunk], outcomes,
                                           strict=True):
                point, sim = _point(run.topology, value, run.rate_scale, outcome)
                simulation = simulation or sim
                points.append(point)
            if stop_at_saturation and points[-1].saturated:
                break
    if progress is not None:
        progress(1.0)
    return SweepResult(topologies[0].name, parameter, points, find_knee(points),
                       find_saturation(points), simulation)


def _topologies(source: Source | Topology, values: Sequence[float | str], parameter: str,
                overrides: Sequence[str]) -> list[Topology]:
    """The topology of every point, all loaded (and validated) before the first run."""
    from archsim.spec.loader import load
    from archsim.spec.schema import Topology

    if isinstance(source, Topology):
        if overrides or parameter != RATE_SCALE:
            raise UsageError("sweeping a parameter or applying overrides needs the topology "
                             "file or text, not a loaded Topology")
        return [source] * len(values)
    if parameter == RATE_SCALE:
        return [load(source, overrides)] * len(values)
    return [load(source, [*overrides, f"{parameter}={format_value(value)}"])
            for value in values]


def format_value(value: float | str) -> str:
    """A parameter value as ``--set`` text: whole numbers without ``.0`` (``3`` replicas)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else repr(value)


def _point(topology: Topology, value: float | str, scale: float,
           report: Report | ModelError) -> tuple[SweepPoint, dict[str, Any]]:
    analytic = {k: round(v, 4) if math.isfinite(v) else None
                for k, v in analytic_utilization(topology, scale).items()}
    if isinstance(report, ModelError):
        exc = report
        reasons = saturation_reasons(topology, scale, None, str(exc))
        offered = sum(w.rate_per_s * scale for w in topology.workload if w.is_open)
        return SweepPoint(value, scale, round(offered, 4), None, {}, {}, {}, analytic, None,
                          tuple(reasons), str(exc)), {}
    data = report.to_dict()
    offered, served = offered_and_throughput(data)
    has_open = any(e.get("offered_rps") is not None for e in data["requests"].values())
    if not has_open:
        served = sum(e["throughput_rps"] or 0.0 for e in data["requests"].values())
    point = SweepPoint(
        value=value, rate_scale=scale,
        offered_rps=round(offered, 4) if has_open else None,
        throughput_rps=round(served, 4),
        latency_ms=_overall_latency(report),
        requests={name: _slim(entry) for name, entry in data["requests"].items()},
        utilization={name: entry["utilization"] for name, entry in data["components"].items()
                     if entry.get("utilization") is not None},
        analytic_utilization=analytic,
        bottleneck=data["bottleneck"],
        saturated=tuple(saturation_reasons(topology, scale, data)),
        warnings=tuple(w for w in data["warnings"] if w.startswith("fault on ")),
    )
    return point, data["simulation"]


def _overall_latency(report: Any) -> dict[str, float]:
    """Mean, p50 and p99 over the merged response times of every request class."""
    import numpy as np

    from archsim.analysis.stats import percentiles_ms

    arrays = [report.latency_samples_s[name] for name in report.requests
              if name in report.latency_samples_s]
    merged = np.concatenate(arrays) if arrays else np.empty(0)
    stats = percentiles_ms(merged)
    return {key: round(stats[key], 4) for key in ("mean", "p50", "p99") if key in stats}


def _slim(entry: dict[str, Any]) -> dict[str, Any]:
    latency = entry["latency_ms"]
    return {"offered_rps": entry["offered_rps"], "throughput_rps": entry["throughput_rps"],
            "error_rate": entry["error_rate"],
            "latency_ms": {k: latency[k] for k in ("mean", "p50", "p99") if k in latency}}


def find_saturation(points: Sequence[SweepPoint]) -> int | None:
    """Index of the saturation point (see the module docstring), or None."""
    flags = [bool(p.saturated) for p in points]
    if not any(flags):
        return None
    if flags[0] and not flags[-1]:
        return max(i for i, flag in enumerate(flags) if flag)
    return flags.index(True)


def find_knee(points: Sequence[SweepPoint]) -> int | None:
    """Index of the knee of the p99 curve (see the module docstring), or None."""
    usable = [(i, p) for i, p in enumerate(points)
              if not p.saturated and "p99" in p.latency_ms]
    if len(usable) < 3:
        return None
    xs = [_axis(p, i) for i, p in usable]
    ys = [p.latency_ms["p99"] for _, p in usable]
    x_span, y_span = xs[-1] - xs[0], max(ys) - min(ys)
    if x_span == 0 or y_span <= KNEE_MIN_RISE * min(ys):
        return None
    y_first, y_last = (ys[0] - min(ys)) / y_span, (ys[-1] - min(ys)) / y_span
    best, best_bend = None, KNEE_MIN_BEND
    for (index, _), x, y in zip(usable, xs, ys, strict=True):
        fraction = (x - xs[0]) / x_span
        chord = y_first + fraction * (y_last - y_first)
        bend = chord - (y - min(ys)) / y_span
        if bend > best_bend:
            best, best_bend = index, bend
    return best


def _axis(point: SweepPoint, index: int) -> float:
    return float(point.value) if isinstance(point.value, (int, float)) else float(index)
