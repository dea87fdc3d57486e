"""The analytic mean beside the simulated one in a run report, and a flag when they diverge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.spec.schema import Topology


def add_analytic(topology: Topology, requests: dict[str, dict[str, Any]],
                 rate_scale: float = 1.0) -> list[str]:
    """Add ``analytic_ms_mean`` and ``analytic_label`` to every request class; return warnings.

    A class whose analytic mean is exact (product-form model) and lies outside the simulated
    95% interval of the mean gets a warning; approximate means never warn. The run never fails
    because of its analytic side note: an error becomes a warning.
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
        if entry["analytic_label"] == "exact" and interval and not (
                interval[0] <= mean_ms <= interval[1]):  # type: ignore[operator]
            warnings.append(f"{name}: the exact analytic mean {mean_ms:.3f} ms lies outside the "
                            f"simulated 95% interval [{interval[0]:.3f}, {interval[1]:.3f}] ms "
                            "of the mean (too short a run or warm-up, or a model error)")
    return warnings
