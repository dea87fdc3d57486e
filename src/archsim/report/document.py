"""What an HTML report shows: layouts (topology, run results), a comparison, sweeps.

A :class:`Document` is assembled from live results (a Report, a Comparison, a SweepResult) or
from the JSON that ``archsim run|compare|sweep --json`` printed, and from topology files for the
diagrams. :mod:`archsim.report.html` turns it into one self-contained page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsim.errors import ArchsimError

if TYPE_CHECKING:
    from archsim.analysis.compare import Comparison
    from archsim.analysis.sweep import SweepResult
    from archsim.report.build import Report
    from archsim.spec.schema import Topology

RUN, COMPARE, SWEEP = "run", "compare", "sweep"


@dataclass
class Layout:
    """One architecture: its topology (for the diagram) and, when simulated, its run."""

    label: str
    topology: Topology | None = None
    run: dict[str, Any] | None = None
    samples: Mapping[str, Any] | None = None


@dataclass
class Document:
    """Everything one HTML report shows, in page order."""

    title: str
    layouts: list[Layout] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    sweeps: list[tuple[SweepResult, Topology | None]] = field(default_factory=list)

    def add_topologies(self, topologies: Sequence[Topology]) -> None:
        """Attach diagrams: to the layout or sweep of the same topology name, else a new layout."""
        for topology in topologies:
            matched = False
            for layout in self.layouts:
                if layout.topology is None and _name(layout) == topology.name:
                    layout.topology, matched = topology, True
            for index, (result, known) in enumerate(self.sweeps):
                if known is None and result.topology == topology.name:
                    self.sweeps[index], matched = (result, topology), True
            if not matched:
                self.layouts.append(Layout(topology.name, topology))

    def merge(self, other: Document) -> None:
        """Append another document's layouts, comparison and sweeps (one comparison at most)."""
        if self.comparison is not None and other.comparison is not None:
            raise ArchsimError("a report shows one comparison; give one compare JSON")
        self.layouts.extend(other.layouts)
        self.comparison = self.comparison or other.comparison
        self.sweeps.extend(other.sweeps)


def _name(layout: Layout) -> str:
    return layout.run["topology"] if layout.run else layout.label


def from_report(report: Report, topology: Topology | None = None,
                label: str | None = None) -> Document:
    """A document of one run, with its response times for the latency distribution."""
    layout = Layout(label or report.topology, topology, report.to_dict(),
                    report.latency_samples_s)
    return Document(f"{report.topology}: simulation report", [layout])


def from_comparison(comparison: Comparison,
                    topologies: Sequence[Topology] | None = None) -> Document:
    """A document of a comparison: the side-by-side tables, then every layout."""
    data = comparison.to_dict()
    layouts = [Layout(label, topology, report.to_dict(), report.latency_samples_s)
               for label, report, topology in zip(
                   comparison.labels, comparison.reports,
                   topologies or [None] * len(comparison.labels), strict=True)]
    return Document("Design comparison: " + " vs ".join(comparison.labels), layouts, data)


def from_sweep(result: SweepResult, topology: Topology | None = None) -> Document:
    """A document of a sweep: the load-latency curve and its table."""
    return Document(f"{result.topology}: sweep of {result.parameter}", sweeps=[(result, topology)])


def kind_of(data: Any) -> str:
    """``run``, ``compare`` or ``sweep``: which command's ``--json`` printed ``data``.

    Raises
    ------
    ArchsimError
        For anything else.
    """
    if isinstance(data, Mapping):
        if "points" in data and "parameter" in data:
            return SWEEP
        if "layouts" in data and "reports" in data:
            return COMPARE
        if "requests" in data and "components" in data:
            return RUN
    raise ArchsimError("not the JSON of 'archsim run', 'compare' or 'sweep' (expected the keys "
                       "requests and components, layouts and reports, or parameter and points)")


def from_json(data: Mapping[str, Any]) -> Document:
    """A document from the JSON of ``archsim run|compare|sweep --json`` (see :func:`kind_of`).

    Saved JSON has no raw response times, so latency distributions are drawn through the
    percentiles.
    """
    kind = kind_of(data)
    if kind == RUN:
        return Document(f"{data['topology']}: simulation report",
                        [Layout(str(data["topology"]), None, dict(data))])
    if kind == COMPARE:
        labels = [layout["label"] for layout in data["layouts"]]
        layouts = [Layout(label, None, data["reports"][label]) for label in labels]
        return Document("Design comparison: " + " vs ".join(labels), layouts, dict(data))
    return from_sweep(sweep_from_dict(data))


def sweep_from_dict(data: Mapping[str, Any]) -> SweepResult:
    """Rebuild a SweepResult from its ``to_dict()`` (the knee and saturation by value)."""
    from archsim.analysis.sweep import SweepPoint, SweepResult

    fields = SweepPoint.__dataclass_fields__
    try:
        points = [SweepPoint(**{k: v for k, v in p.items() if k in fields})
                  for p in data["points"]]
        points = [SweepPoint(**{**{k: getattr(p, k) for k in fields},
                                "saturated": tuple(p.saturated)}) for p in points]
    except (TypeError, KeyError) as exc:
        raise ArchsimError(f"a sweep JSON point is malformed: {exc}") from None
    values = [p.value for p in points]

    def index(value: Any) -> int | None:
        return values.index(value) if value is not None and value in values else None

    return SweepResult(str(data["topology"]), str(data["parameter"]), points,
                       index(data.get("knee")), index(data.get("saturation")),
                       dict(data.get("simulation") or {}))


def load_json(path: str) -> Document:
    """Read a saved ``--json`` output (``-`` for standard input) into a document.

    Raises
    ------
    ArchsimError
        When the file cannot be read or is not such JSON.
    """
    import json
    import sys

    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        raise ArchsimError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchsimError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    try:
        return from_json(data)
    except ArchsimError as exc:
        raise ArchsimError(f"{path}: {exc}") from None
