"""Human output of a comparison: layouts side by side, best value marked, differences in %."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich import box
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from archsim.analysis.compare import Comparison, Difference, MetricComparison

ABSOLUTE_UNITS = {"error_rate": (100.0, " pp"), "utilization": (100.0, " pp"),
                  "throughput_rps": (1.0, "/s"), "residence_ms_mean": (1.0, " ms")}
"""Scale and unit of an absolute difference (rates in percentage points, pp)."""
NAMES = {"throughput_rps": "throughput/s", "error_rate": "error rate", "utilization":
         "utilization", "queue_mean": "queue mean", "residence_ms_mean": "residence ms",
         "backlog_mean": "backlog mean"}
TITLES = {"requests": ("Requests", "class"), "components": ("Components", "component"),
          "subscribers": ("Subscribers (end-to-end)", "subscriber")}
LEGEND = ("* best value, or within noise of it (none marked when no layout is detectably "
          "better).",
          "Δ%: difference from the baseline in percent, ± the half-width of its 95% confidence "
          "interval{how}; ~ the interval includes 0 (no detectable difference).",
          "Where the baseline is near zero (a rate or utilization under 1%, a latency under "
          "1 ms, throughput under 1/s, a queue under 0.1, a backlog under 1) the difference is "
          "absolute instead: "
          "pp = percentage points, ms, /s.")


def metric_name(metric: str) -> str:
    """``latency_ms_p99`` -> ``p99 ms``; other metrics by their short display name."""
    if metric.startswith("latency_ms_"):
        return metric.removeprefix("latency_ms_") + " ms"
    return NAMES.get(metric, metric)


def format_value(metric: str, value: float | None) -> str:
    """A metric's value as shown: percentages for rates and utilization, else 2 decimals."""
    if value is None:
        return "-"
    if metric == "error_rate":
        return f"{value:.2%}"
    if metric == "utilization":
        return f"{value:.1%}"
    return f"{value:,.2f}"


def format_difference(diff: Difference | Mapping[str, Any] | None, metric: str = "") -> str:
    """``+3.10% ±0.15``, with `` ~`` when the interval includes 0; ``n/a`` for a zero base.

    Where the baseline is below the metric's floor (``shown`` absolute, see
    :func:`archsim.analysis.compare.absolute_floor`) the difference is absolute in the
    metric's unit: ``+1.99 pp ±0.40`` for rates (percentage points), ``+0.42 ms`` for
    latencies. ``diff`` is a Difference or its ``--json`` form.
    """
    if diff is None:
        return "-"
    if not isinstance(diff, Mapping):
        diff = {"pct": diff.pct, "ci95_pct": diff.ci95_pct, "absolute": diff.absolute,
                "ci95_absolute": diff.ci95_absolute, "significant": diff.significant,
                "shown": "absolute" if diff.absolute_shown else "pct"}
    absolute = diff.get("shown") == "absolute" and diff.get("absolute") is not None
    value, interval = ((diff["absolute"], diff.get("ci95_absolute")) if absolute
                       else (diff.get("pct"), diff.get("ci95_pct")))
    if value is None:
        return "n/a"
    scale, unit = ABSOLUTE_UNITS.get(metric, (1.0, "")) if absolute else (1.0, "%")
    if absolute and metric.startswith("latency_ms_"):
        unit = " ms"
    text = f"{value * scale:+.2f}{unit}"
    if not interval:
        return text
    half = (interval[1] - interval[0]) / 2 * scale
    return f"{text} ±{half:.2f}" + ("" if diff.get("significant") else " ~")


def render_comparison(comparison: Comparison, console: Console, plain: bool = False) -> None:
    """Print the settings, the layouts, one table per section and the legend."""
    style = box.SIMPLE if plain else box.ROUNDED
    sim = comparison.simulation
    labels = comparison.labels
    crn = sim["common_random_numbers"]
    last = sim["replications"] - 1
    seeds = (f"seeds {sim['seed']}..{sim['seed'] + last} in every layout (common random numbers)"
             if crn else "independent seeds per layout")
    console.print(f"Comparing {len(labels)} layouts against the baseline '{labels[0]}': "
                  f"{sim['replications']} replication(s) x {sim['duration_s']:g} s after "
                  f"{sim['warmup_s']:g} s warm-up, {seeds}", markup=False)
    _layouts(comparison, console, style)
    for section, entries in comparison.sections.items():
        if entries:
            _section(section, entries, labels, console, style)
    how = (", paired by replication (common random numbers)" if crn
           else ", unpaired (independent runs)")
    for line in LEGEND:
        console.print(line.format(how=how), markup=False)
    for label, report in zip(labels, comparison.reports, strict=True):
        for warning in report.warnings:
            console.print(f"warning: [{label}] {warning}", markup=False)


def _layouts(comparison: Comparison, console: Console, style: box.Box) -> None:
    from archsim.report.tables import fit_tables

    sources = comparison.sources or [""] * len(comparison.labels)
    rows: list[list[Text | str]] = []
    for index, (label, report) in enumerate(zip(comparison.labels, comparison.reports,
                                                strict=True)):
        missed = sum(not row["met"] for row in report.slos)
        slos = ("-" if not report.slos else "all met" if not missed
                else f"{missed} of {len(report.slos)} missed")
        name = label + (" (baseline)" if index == 0 else "")
        rows.append([Text(name), Text(report.topology), Text(sources[index]),
                     Text(report.bottleneck or "-"), slos])
    headers: list[tuple[Text | str, str]] = [
        (column, "left") for column in ("layout", "topology", "file", "bottleneck", "slos")]
    for table in fit_tables(console, headers, rows, style, title="Layouts"):
        console.print(table)


def _section(section: str, entries: dict[str, dict[str, MetricComparison]], labels: list[str],
             console: Console, style: box.Box) -> None:
    from archsim.report.tables import fit_tables

    title, first = TITLES[section]
    headers: list[tuple[Text | str, str]] = [(first, "left"), ("metric", "left")]
    for index, label in enumerate(labels):
        headers.append((Text(label), "right"))
        if index:
            headers.append((Text(f"Δ% {label}"), "right"))
    rows: list[list[Text | str]] = []
    breaks = []
    for number, (name, metrics) in enumerate(entries.items()):
        if number:
            breaks.append(len(rows))
        for row, (metric, comparison) in enumerate(metrics.items()):
            cells: list[Text | str] = [Text(name if row == 0 else ""), metric_name(metric)]
            for index, value in enumerate(comparison.values):
                best = index in comparison.best
                text = format_value(metric, value) + (" *" if best else "")
                cells.append(Text(text, style="bold green" if best else ""))
                if index:
                    cells.append(format_difference(comparison.differences[index], metric))
            rows.append(cells)
    for table in fit_tables(console, headers, rows, style, title=title, keys=2,
                            breaks=breaks):
        console.print(table)
