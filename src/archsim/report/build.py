"""Combine replication results into one :class:`Report` (SPEC section 3 when serialised)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from archsim import __version__
from archsim.analysis.slo import evaluate_slos
from archsim.analysis.stats import mean_ci95, percentiles_ms
from archsim.analysis.visits import capacity_workers, offered_load
from archsim.report.analytic import add_analytic
from archsim.report.datatier import datatier_figures

if TYPE_CHECKING:
    from archsim.engine.run import ReplicationResult
    from archsim.spec.schema import Topology

SATURATED_UTILIZATION = 0.98
LITTLE_TOLERANCE = 0.05


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _ci(values: list[float], digits: int = 4, low: float = 0.0,
        high: float | None = None) -> list[float] | None:
    """Student-t 95% interval of replication values, clipped to the quantity's range.

    Throughput, latency and utilization cannot be negative and utilization cannot pass 1; the
    symmetric t interval can (a saturated server gives 0.9959..1.0013). Clipping to the range
    keeps the true value inside whenever the unclipped interval held it.
    """
    interval = mean_ci95(values)
    if interval is None:
        return None
    lower = max(interval[0], low)
    upper = interval[1] if high is None else min(interval[1], high)
    return [_r(lower, digits), _r(upper, digits)]


@dataclass
class Report:
    """The combined result of a run; :meth:`to_dict` gives the stable JSON structure."""

    topology: str
    simulation: dict[str, Any]
    requests: dict[str, dict[str, Any]]
    components: dict[str, dict[str, Any]]
    bottleneck: str | None
    warnings: list[str] = field(default_factory=list)
    subscribers: dict[str, dict[str, Any]] = field(default_factory=dict)
    slos: list[dict[str, Any]] = field(default_factory=list)
    latency_samples_s: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    timeline: dict[str, Any] | None = None
    failures: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, the keys of SPEC section 3 (stable) plus documented extras."""
        return {
            "archsim_version": __version__,
            "topology": self.topology,
            "simulation": self.simulation,
            "requests": self.requests,
            "components": self.components,
            "subscribers": self.subscribers,
            "bottleneck": self.bottleneck,
            "slos": self.slos,
            "warnings": self.warnings,
        } | ({"timeline": self.timeline} if self.timeline is not None else {}) | self.failures

    def _repr_html_(self) -> str:
        """Tables and charts for a Jupyter notebook (see :mod:`archsim.report.notebook`)."""
        from archsim.report.notebook import report_html

        return report_html(self)

    def to_frame(self, section: str = "requests") -> Any:
        """One section as a pandas DataFrame: ``requests``, ``components``, ``subscribers``,
        ``slos`` or ``long`` (needs ``archsim[notebook]``; see :mod:`archsim.report.notebook`).
        """
        from archsim.report.notebook import report_frame

        return report_frame(self, section)


def build_report(topology: Topology, results: list[ReplicationResult], seed: int,
                 rate_scale: float = 1.0) -> Report:
    """Combine replications (in seed order) into a Report.

    Throughput and utilization are means over replications with Student-t 95% intervals;
    latency percentiles come from the merged samples of all replications.
    """
    duration = results[0].duration_s
    simulation = {"duration_s": _r(duration), "warmup_s": _r(results[0].warmup_s),
                  "replications": len(results), "seed": seed, "rate_scale": rate_scale}
    requests, samples = _requests(results, duration)
    components = _components(results, duration)
    bottleneck = _bottleneck(components)
    warnings = _warnings(topology, results, requests, components, rate_scale)
    from archsim.report.failures import failure_sections

    failures, failure_warnings = failure_sections(topology, results, components, rate_scale)
    warnings.extend(failure_warnings)
    from archsim.report.timeline_section import dynamics_note, timeline_section

    note = dynamics_note(topology)
    if note is None:
        warnings.extend(add_analytic(topology, requests, rate_scale))
    else:  # no steady state: the analytic means would answer another question
        warnings.append(note)
    from archsim.report.subscribers import subscriber_section

    subscribers, sub_samples, sub_warnings = subscriber_section(results, duration)
    samples.update(sub_samples)
    warnings.extend(sub_warnings)
    busiest = max(subscribers.items(), key=lambda kv: kv[1]["consumer_utilization"] or 0,
                  default=None)
    top = components[bottleneck]["utilization"] if bottleneck else 0.0
    if busiest is not None and (busiest[1]["consumer_utilization"] or 0) > top:
        bottleneck = busiest[0]  # the consumers of a subscriber are the busiest servers
    return Report(topology.name, simulation, requests, components, bottleneck, warnings,
                  subscribers=subscribers, slos=evaluate_slos(topology, requests),
                  latency_samples_s=samples, timeline=timeline_section(results),
                  failures=failures)


def _requests(results: list[ReplicationResult],
              duration: float) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    out: dict[str, dict[str, Any]] = {}
    samples: dict[str, np.ndarray] = {}
    for index, first in enumerate(results[0].classes):
        per_rep = [r.classes[index] for r in results]
        merged = np.concatenate([np.frombuffer(c.latencies_s, dtype=float) for c in per_rep])
        samples[first.name] = merged
        throughputs = [c.completed / duration for c in per_rep]
        means = [float(np.mean(np.frombuffer(c.latencies_s, dtype=float)))
                 for c in per_rep if len(c.latencies_s)]
        completed = sum(c.completed for c in per_rep)
        failed = sum(c.failed for c in per_rep)
        errors: dict[str, int] = {}
        where: dict[str, int] = {}
        for c in per_rep:
            for key, count in c.errors.items():
                errors[key] = errors.get(key, 0) + count
            for key, count in c.error_components.items():
                where[key] = where.get(key, 0) + count
        offered = [c.offered_rps for c in per_rep if c.offered_rps is not None]
        out[first.name] = {
            "offered_rps": _r(float(np.mean(offered))) if offered else None,
            "throughput_rps": _r(float(np.mean(throughputs))),
            "error_rate": _r(failed / (completed + failed) if completed + failed else 0.0, 6),
            "latency_ms": {k: _r(v) for k, v in percentiles_ms(merged).items()},
            "ci95": {"throughput_rps": _ci(throughputs), "latency_ms_mean": _ci(
                [m * 1000 for m in means])},
            "completed": completed,
            "failed": failed,
            "errors": dict(sorted(errors.items())),
            "errors_by_component": dict(sorted(where.items())),
            "in_flight_end": sum(c.in_flight_end for c in per_rep),
        }
    return out, samples


def _components(results: list[ReplicationResult], duration: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, first in enumerate(results[0].components):
        per_rep = [r.components[index] for r in results]
        entry: dict[str, Any] = {"type": first.kind, "replicas": first.replicas}
        if first.workers is not None:
            utilizations = [c.busy_area / (c.capacity_area or c.workers * duration)  # type: ignore[operator]
                            for c in per_rep]
            entry["workers"] = first.workers // first.replicas
            entry["utilization"] = _r(float(np.mean(utilizations)))
            entry["ci95_utilization"] = _ci(utilizations, high=1.0)
        throughputs = [c.completed / duration for c in per_rep]
        entry["throughput_rps"] = _r(float(np.mean(throughputs)))
        if first.kind in ("topic", "queue"):  # throughput: accepted publishes
            entry["rejected"] = sum(c.rejected for c in per_rep)
        if first.workers is not None:
            number = [c.present_area / duration for c in per_rep]
            little = [c.residence_sum / duration for c in per_rep]
            entry["queue_mean"] = _r(float(np.mean([c.wait_area / duration for c in per_rep])))
            entry["queue_max"] = max(c.queue_max for c in per_rep)
            entry["rejected"] = sum(c.rejected for c in per_rep)
            entry["number_mean"] = _r(float(np.mean(number)))
            entry["residence_ms_mean"] = _r(_residence_mean_s(per_rep) * 1000)
            entry["littles_law"] = _little(number, little)
        entry.update(datatier_figures(per_rep, duration))
        if first.replica_area is not None:
            from archsim.report.timeline_section import autoscale_entry

            entry.update(autoscale_entry(per_rep, duration))
        out[first.name] = entry
    return out


def _residence_mean_s(per_rep: list[Any]) -> float:
    """Mean residence of the requests completed at a component, over all replications.

    Rejected requests (time 0) and failed ones are left out (``rejected`` counts the first);
    see :attr:`archsim.model.service.ComponentStats.residence_mean_s`.
    """
    if any(c.completed_residence_sum is None for c in per_rep):
        departed = sum(c.departed for c in per_rep)
        return sum(c.residence_sum for c in per_rep) / departed if departed else 0.0
    completed = sum(c.completed for c in per_rep)
    total = sum(c.completed_residence_sum for c in per_rep)
    return total / completed if completed else 0.0


def _little(number: list[float], little: list[float]) -> dict[str, Any]:
    """Compare the time-average number present L with throughput x residence (lambda W)."""
    l_mean, lw_mean = float(np.mean(number)), float(np.mean(little))
    diffs = [a - b for a, b in zip(number, little, strict=True)]
    interval = mean_ci95(diffs)
    slack = max(LITTLE_TOLERANCE * max(l_mean, 1e-9), 1e-6)
    consistent = abs(l_mean - lw_mean) <= slack or (
        interval is not None and interval[0] <= 0 <= interval[1])
    return {"number_mean": _r(l_mean), "throughput_x_residence": _r(lw_mean), "ok": consistent}


def _backlogged(entry: dict[str, Any], replications: int) -> bool:
    """Whether more requests are in flight at the end than a steady state explains.

    By Little's law a stable class has about throughput x mean latency requests in flight
    (Poisson-like spread: a few standard deviations more); far more means its queue grew
    through the run, so completed requests alone understate the latency.
    """
    per_replication = entry["in_flight_end"] / max(1, replications)
    mean_ms = (entry.get("latency_ms") or {}).get("mean") or 0.0
    expected = (entry.get("throughput_rps") or 0.0) * mean_ms / 1000
    return per_replication > expected + 4 * expected ** 0.5 + 5


def _bottleneck(components: dict[str, dict[str, Any]]) -> str | None:
    ranked = [(entry["utilization"], name) for name, entry in components.items()
              if entry.get("utilization") is not None]
    if not ranked:
        return None
    utilization, name = max(ranked, key=lambda pair: pair[0])
    return name if utilization > 0 else None


def _warnings(topology: Topology, results: list[ReplicationResult],
              requests: dict[str, dict[str, Any]], components: dict[str, dict[str, Any]],
              rate_scale: float) -> list[str]:
    warnings: list[str] = []
    offered = offered_load(topology, rate_scale)
    capacity = capacity_workers(topology)
    for name, load in offered.items():
        if load >= capacity[name]:
            warnings.append(
                f"{name}: offered load {load:.2f} busy workers >= capacity {capacity[name]} "
                "(unstable: its waiting room grows without bound or rejects)")
    for name, entry in components.items():
        if (entry.get("utilization") or 0) >= SATURATED_UTILIZATION:
            warnings.append(f"{name}: utilization {entry['utilization']:.3f}, saturated")
        little = entry.get("littles_law")
        if little and not little["ok"]:
            warnings.append(f"{name}: Little's law check off: L={little['number_mean']} vs "
                            f"lambda*W={little['throughput_x_residence']}")
    for name, entry in requests.items():
        if _backlogged(entry, len(results)):
            warnings.append(f"{name}: {entry['in_flight_end']} requests still in flight at "
                            "the end; latency is of completed requests only")
    for name, spec in topology.components.items():
        if spec.type in ("topic", "queue") and not spec.subscribers:  # type: ignore[union-attr]
            warnings.append(f"{name}: a {spec.type} with no subscribers; its messages are "
                            "acknowledged and never consumed")
    return warnings
