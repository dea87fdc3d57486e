"""``archsim.check``: simulate a topology and test its service-level objectives."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archsim.engine.simulate import DEFAULT_MAX_IN_FLIGHT

if TYPE_CHECKING:
    from archsim.report.build import Report
    from archsim.spec.schema import Topology


@dataclass(frozen=True)
class CheckResult:
    """The run's report and its ``slos`` rows (see :mod:`archsim.analysis.slo`)."""

    report: Report
    source: str
    elapsed_s: float = 0.0

    @property
    def slos(self) -> list[dict[str, Any]]:
        """One row per objective and request class."""
        return self.report.slos

    @property
    def missed(self) -> list[dict[str, Any]]:
        """The rows whose objective was not met."""
        return [row for row in self.report.slos if not row["met"]]

    @property
    def passed(self) -> bool:
        """Whether every objective is met (True when the topology has none)."""
        return not self.missed

    def to_dict(self) -> dict[str, Any]:
        """Plain data: source, topology, passed, the ``slos`` rows and the full report."""
        return {"source": self.source, "topology": self.report.topology,
                "passed": self.passed, "slos": self.slos, "report": self.report.to_dict()}


def check(
    topology: Topology,
    *,
    duration_s: float | None = None,
    warmup_s: float | str | None = "file",
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    rate_scale: float = 1.0,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    progress: Callable[[float], None] | None = None,
) -> CheckResult:
    """Simulate ``topology`` and test every objective of its ``slos`` section.

    Parameters are those of :func:`archsim.simulate` (seconds, per second). An objective is
    tested against the run's point estimate: latency percentiles of the merged samples of all
    replications, error rate over requests finished, mean throughput.

    Returns
    -------
    CheckResult
        ``passed`` is False when any objective is missed; ``slos`` has one row per objective
        and request class (``"*"`` expands to every class).

    Raises
    ------
    UsageError
        For invalid settings.
    ModelError
        For an unstable model past ``max_in_flight``.

    Examples
    --------
    >>> import archsim
    >>> topo = archsim.load("archsim: 1\\nname: t\\nworkload: [{name: a, to: s/e, rate: 10}]\\n"
    ...     "components: {s: {type: service, endpoints: {e: {work: 10ms}}}}\\n"
    ...     "slos: [{request: a, p99: 20ms}]")
    >>> result = archsim.check(topo, duration_s=2.0, warmup_s=0.0, replications=1, jobs=1)
    >>> result.passed, result.slos[0]["value_ms"]
    (True, 10.0)
    """
    from archsim.engine.simulate import simulate

    started = time.perf_counter()
    report = simulate(topology, duration_s=duration_s, warmup_s=warmup_s,
                      replications=replications, seed=seed, jobs=jobs, rate_scale=rate_scale,
                      max_in_flight=max_in_flight, progress=progress)
    return CheckResult(report, topology.source, time.perf_counter() - started)
