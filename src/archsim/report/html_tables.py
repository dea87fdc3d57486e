"""The tables of the HTML report, as plain rows of formatted cells (the template lays them out).

The same numbers and the same formatting as the terminal tables of ``run``, ``compare`` and
``sweep``; a table is ``key`` (its ``data-table`` attribute), a title, headers and rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.analysis.sweep import SweepResult


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: its text and CSS classes (``num`` right-aligns, ``good``/``bad`` colour)."""

    text: str
    css: str = ""


@dataclass
class Table:
    """A titled table; ``row_css`` marks rows (``bottleneck``, ``missed``)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    row_css: list[str] = field(default_factory=list)
    note: str = ""

    def add(self, cells: list[Cell | str], css: str = "") -> None:
        """Append a row; plain strings become cells."""
        self.rows.append([c if isinstance(c, Cell) else Cell(c) for c in cells])
        self.row_css.append(css)


def _num(value: Any, digits: int = 1) -> Cell:
    if value is None:
        return Cell("-", "num")
    if isinstance(value, float):
        return Cell(f"{value:,.{digits}f}", "num")
    return Cell(str(value), "num")


def _ci(pair: list[float] | None, digits: int = 1) -> Cell:
    return Cell("-" if not pair else f"±{(pair[1] - pair[0]) / 2:,.{digits}f}", "num")


def _pct(value: float | None, digits: int = 1) -> Cell:
    return Cell("-" if value is None else f"{value:.{digits}%}", "num")


def run_tables(data: Mapping[str, Any], prefix: str) -> list[Table]:
    """Requests, components, subscribers and SLOs of one run report."""
    tables = [_requests(data, prefix), _components(data, prefix)]
    if data.get("subscribers"):
        tables.append(_subscribers(data["subscribers"], prefix))
    if data.get("slos"):
        tables.append(_slos(data["slos"], prefix))
    return tables


def _requests(data: Mapping[str, Any], prefix: str) -> Table:
    table = Table(f"{prefix}requests", "Requests",
                  ["class", "offered/s", "throughput/s", "±95%", "errors", "mean ms", "±95%",
                   "analytic ms", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"])
    for name, entry in data["requests"].items():
        latency = entry.get("latency_ms", {})
        ci = entry.get("ci95", {})
        analytic = entry.get("analytic_ms_mean")
        mark = "" if entry.get("analytic_label") == "exact" else "≈"
        table.add([name, _num(entry.get("offered_rps")), _num(entry.get("throughput_rps")),
                   _ci(ci.get("throughput_rps")), _pct(entry.get("error_rate"), 2),
                   _num(latency.get("mean"), 2), _ci(ci.get("latency_ms_mean"), 2),
                   Cell("-" if analytic is None else f"{mark}{analytic:,.2f}", "num"),
                   *(_num(latency.get(k), 2) for k in ("p50", "p90", "p95", "p99", "max"))],
                  "bad" if entry.get("error_rate") else "")
    return table


def _components(data: Mapping[str, Any], prefix: str) -> Table:
    table = Table(f"{prefix}components", "Components",
                  ["component", "type", "replicas x workers", "utilization", "±95%",
                   "throughput/s", "queue mean", "queue max", "rejected", "residence ms"])
    bottleneck = data.get("bottleneck")
    for name, entry in data["components"].items():
        shape = (f"{entry['replicas']} x {entry['workers']}" if "workers" in entry
                 else str(entry.get("replicas", "-")))
        ci = entry.get("ci95_utilization")
        table.add([name + (" (bottleneck)" if name == bottleneck else ""), entry.get("type", ""),
                   Cell(shape, "num"), _pct(entry.get("utilization")),
                   Cell("-" if not ci else f"±{(ci[1] - ci[0]) / 2:.1%}", "num"),
                   _num(entry.get("throughput_rps")), _num(entry.get("queue_mean"), 2),
                   _num(entry.get("queue_max")), _num(entry.get("rejected")),
                   _num(entry.get("residence_ms_mean"), 2)],
                  "bottleneck" if name == bottleneck else "")
    if bottleneck and bottleneck not in data["components"]:
        table.note = f"bottleneck: {bottleneck} (its consumers are the busiest servers)"
    return table


def _subscribers(section: Mapping[str, Any], prefix: str) -> Table:
    table = Table(f"{prefix}subscribers", "Subscribers (end-to-end, publish to handler done)",
                  ["subscriber", "throughput/s", "mean ms", "p99 ms", "backlog mean",
                   "backlog max", "backlog end", "growth/s", "consumers busy"])
    for name, entry in section.items():
        latency = entry.get("latency_ms", {})
        busy = entry.get("consumer_utilization")
        table.add([name, _num(entry.get("throughput_rps")), _num(latency.get("mean"), 2),
                   _num(latency.get("p99"), 2), _num(entry.get("backlog_mean"), 2),
                   _num(entry.get("backlog_max")), _num(entry.get("backlog_final"), 1),
                   _num(entry.get("backlog_growth_per_s"), 2),
                   Cell("-" if busy is None else
                        f"{busy:.1%} of {entry.get('active_consumers', '?')}", "num")])
    return table


def _slos(rows: list[Mapping[str, Any]], prefix: str) -> Table:
    from archsim.analysis.slo import describe

    table = Table(f"{prefix}slos", "Service-level objectives",
                  ["request", "objective", "target", "value", "result"])
    for row in rows:
        objective, target, value = describe(row)
        result = Cell("met", "good") if row["met"] else Cell("MISSED", "bad")
        table.add([row["request"], objective, Cell(target, "num"), Cell(value, "num"), result],
                  "" if row["met"] else "missed")
    return table


def comparison_tables(data: Mapping[str, Any]) -> list[Table]:
    """The layouts table and one side-by-side table per section of a compare JSON."""
    from archsim.report.render_compare import TITLES, format_value, metric_name

    labels = [layout["label"] for layout in data["layouts"]]
    layouts = Table("compare-layouts", "Layouts",
                    ["layout", "topology", "file", "bottleneck", "SLOs"])
    for index, layout in enumerate(data["layouts"]):
        met = layout.get("slos_met")
        layouts.add([layout["label"] + (" (baseline)" if index == 0 else ""),
                     layout.get("topology", ""), layout.get("source") or "-",
                     layout.get("bottleneck") or "-",
                     Cell("-" if met is None else "all met" if met else "missed",
                          "" if met is None else "good" if met else "bad")])
    tables = [layouts]
    for section, (title, first) in TITLES.items():
        entries = data.get(section) or {}
        if not entries:
            continue
        headers = [first, "metric"]
        for index, label in enumerate(labels):
            headers.append(label)
            if index:
                headers.append(f"Δ% {label}")
        table = Table(f"compare-{section}", title, headers)
        for name, metrics in entries.items():
            for row, (metric, value) in enumerate(metrics.items()):
                cells: list[Cell | str] = [name if row == 0 else "", metric_name(metric)]
                for index, label in enumerate(labels):
                    best = label in value.get("best", [])
                    text = format_value(metric, value["values"].get(label))
                    cells.append(Cell(text + (" *" if best else ""), "num best" if best
                                      else "num"))
                    if index:
                        cells.append(_difference(value.get("differences", {}).get(label),
                                                metric))
                table.add(cells, "first" if row == 0 else "")
        tables.append(table)
    return tables


def _difference(diff: Mapping[str, Any] | None, metric: str) -> Cell:
    """The terminal's text (:func:`archsim.report.render_compare.format_difference`), muted
    when the interval includes 0."""
    from archsim.report.render_compare import format_difference

    text = format_difference(diff, metric)
    return Cell(text, "num muted" if text.endswith(" ~") else "num")


def sweep_table(result: SweepResult, prefix: str) -> Table:
    """One row per point: load, throughput, p50, p99, the busiest component, marks."""
    from archsim.report.sweep_render import value_text

    table = Table(f"{prefix}sweep", f"Sweep of {result.parameter}",
                  [result.parameter, "offered/s", "throughput/s", "p50 ms", "p99 ms",
                   "bottleneck", "note"])
    for index, point in enumerate(result.points):
        busiest = "-"
        if point.bottleneck and point.bottleneck in point.utilization:
            busiest = f"{point.bottleneck} {point.utilization[point.bottleneck]:.0%}"
        notes = ["knee"] if index == result.knee else []
        if point.saturated:
            head = "saturation point" if index == result.saturation else "saturated"
            notes.append(f"{head}: " + "; ".join(point.saturated))
        css = "knee" if index == result.knee else "missed" if point.saturated else ""
        table.add([Cell(value_text(point.value), "num"), _num(point.offered_rps),
                   _num(point.throughput_rps), _num(point.latency_ms.get("p50"), 2),
                   _num(point.latency_ms.get("p99"), 2), busiest, ", ".join(notes)], css)
    return table


def flows_table(rows: list[dict[str, str]], prefix: str) -> Table:
    """Every request, call, publish and subscription of a topology, in file order."""
    table = Table(f"{prefix}flows", "Flows", ["from", "to", "kind", "", "what"])
    for row in rows:
        table.add([row["from"], row["to"], row["kind"], row["sync"], row["what"]])
    return table
