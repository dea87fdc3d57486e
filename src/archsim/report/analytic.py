"""The analytic mean beside the simulated one in a run report, and a flag when they diverge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.spec.schema import Topology

DIVERGENCE_WIDTH = 2.0
"""An exact analytic mean warns when it is farther from the simulated mean than this many
half-widths of the simulated 95% interval."""


def add_analytic(topology: Topology, requests: dict[str, dict[str, Any]],
                 rate_scale: float = 1.0) -> list[str]:
    """Add ``analytic_ms_mean`` and ``analytic_label`` to every request class; return warnings.

    A class whose analytic mean is exact and lies farther from the simulated mean than
    ``DIVERGENCE_WIDTH`` (2) half-widths of its 95% interval gets a warning; approximate means
    never warn. Outside the 95% interval itself would flag one run in 20 of a correct engine;
    twice the half-width is a deviation of more than about 4 standard errors, which a correct
    engine shows in about 1 run in 10,000 with many replications, 1 in 200 with 5 and 1 in 75
    with 3 (Student's t), so a warning points at too short a run or warm-up, or a model
    error. The run never fails because of its analytic side note: an error becomes a
    warning.
    """
    from archsim.analysis.analyze import analyze

    warnings: list[str] = []
    try:
        estimates = analyze(topology, rate_scale).requests
    except Exception as exc:  # a side note must not sink the run
        estimates = {}
        warnings.append(f"analytic estimate unavailable: {exc}")
    for name, entry in requests.items():
        estimate = estimates.get(name)
        mean_s = estimate.mean_response_s if estimate is not None else None
        mean_ms = None if mean_s is None else round(mean_s * 1000.0, 4)
        entry["analytic_ms_mean"] = mean_ms
        entry["analytic_label"] = None if mean_ms is None else estimate.label  # type: ignore[union-attr]
        interval = entry.get("ci95", {}).get("latency_ms_mean")
        if entry["analytic_label"] == "exact" and interval:
            centre = (interval[0] + interval[1]) / 2.0
            half = (interval[1] - interval[0]) / 2.0
            if abs(mean_ms - centre) > DIVERGENCE_WIDTH * half:  # type: ignore[operator]
                warnings.append(
                    f"{name}: the exact analytic mean {mean_ms:.3f} ms lies more than "
                    f"{DIVERGENCE_WIDTH:g} half-widths from the simulated mean {centre:.3f} ms "
                    f"(95% interval [{interval[0]:.3f}, {interval[1]:.3f}] ms; over about 4 "
                    "standard errors): too short a run or warm-up, or a model error")
    return warnings
