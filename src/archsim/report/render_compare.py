"""Human output of a comparison: layouts side by side, best value marked, differences in %."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from archsim.analysis.compare import Comparison, Difference, MetricComparison

NAMES = {"throughput_rps": "throughput/s", "error_rate": "error rate", "utilization":
         "utilization", "queue_mean": "queue mean", "residence_ms_mean": "residence ms",
         "backlog_mean": "backlog mean"}
TITLES = {"requests": ("Requests", "class"), "components": ("Components", "component"),
          "subscribers": ("Subscribers (end-to-end)", "subscriber")}
LEGEND = ("* best value, or within noise of it (none marked when no layout is detectably "
          "better).",
          "Δ%: difference from the baseline in percent, ± the half-width of its 95% confidence "
          "interval{how}; ~ the interval includes 0 (no detectable difference).")


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


def format_difference(diff: Difference | None) -> str:
    """``+3.10% ±0.15``, with `` ~`` when the interval includes 0; ``n/a`` for a zero base."""
    if diff is None:
        return "-"
    if diff.pct is None:
        return "n/a"
    if diff.ci95_pct is None:
        return f"{diff.pct:+.2f}%"
    half = (diff.ci95_pct[1] - diff.ci95_pct[0]) / 2
    return f"{diff.pct:+.2f}% ±{half:.2f}" + ("" if diff.significant else " ~")


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
    table = Table(title="Layouts", box=style, title_justify="left")
    for column in ("layout", "topology", "file", "bottleneck", "slos"):
        table.add_column(column, no_wrap=True)
    sources = comparison.sources or [""] * len(comparison.labels)
    for index, (label, report) in enumerate(zip(comparison.labels, comparison.reports,
                                                strict=True)):
        missed = sum(not row["met"] for row in report.slos)
        slos = ("-" if not report.slos else "all met" if not missed
                else f"{missed} of {len(report.slos)} missed")
        name = label + (" (baseline)" if index == 0 else "")
        table.add_row(Text(name), Text(report.topology), Text(sources[index]),
                      Text(report.bottleneck or "-"), slos)
    console.print(table)


def _section(section: str, entries: dict[str, dict[str, MetricComparison]], labels: list[str],
             console: Console, style: box.Box) -> None:
    title, first = TITLES[section]
    table = Table(title=title, box=style, title_justify="left")
    table.add_column(first, no_wrap=True)
    table.add_column("metric", no_wrap=True)
    for index, label in enumerate(labels):
        table.add_column(Text(label), justify="right", no_wrap=True)
        if index:
            table.add_column(Text(f"Δ% {label}"), justify="right", no_wrap=True)
    for number, (name, metrics) in enumerate(entries.items()):
        if number:
            table.add_section()
        for row, (metric, comparison) in enumerate(metrics.items()):
            cells: list[Text | str] = [Text(name if row == 0 else ""), metric_name(metric)]
            for index, value in enumerate(comparison.values):
                best = index in comparison.best
                text = format_value(metric, value) + (" *" if best else "")
                cells.append(Text(text, style="bold green" if best else ""))
                if index:
                    cells.append(format_difference(comparison.differences[index]))
            table.add_row(*cells)
    console.print(table)
