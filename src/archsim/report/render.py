"""Human output of a report: rich tables on a terminal, aligned plain text when piped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

    from archsim.report.build import Report


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _ci(pair: list[float] | None, digits: int = 1) -> str:
    return "-" if not pair else f"±{(pair[1] - pair[0]) / 2:,.{digits}f}"


def _analytic(entry: dict[str, Any]) -> str:
    """The analytic mean: exact as is, approximate marked with ≈."""
    value = entry.get("analytic_ms_mean")
    if value is None:
        return "-"
    return ("" if entry.get("analytic_label") == "exact" else "≈") + f"{value:,.2f}"


def render(report: Report, console: Console, plain: bool = False) -> None:
    """Print the requests table, the components table (bottleneck marked) and warnings."""
    style = box.SIMPLE if plain else box.ROUNDED
    data = report.to_dict()
    sim = data["simulation"]
    auto = " (auto, MSER-5)" if sim.get("warmup_auto") else ""
    console.print(f"{data['topology']}: {sim['replications']} replication(s) x "
                  f"{sim['duration_s']:g} s after {sim['warmup_s']:g} s warm-up{auto}, "
                  f"seed {sim['seed']}", markup=False)
    columns = ("class", "offered/s", "throughput/s", "±95%", "errors", "mean ms", "±95%",
               "analytic ms", "p50", "p90", "p95", "p99", "max")
    rows = []
    for name, entry in data["requests"].items():
        lat = entry["latency_ms"]
        rows.append([
            name, _fmt(entry["offered_rps"]), _fmt(entry["throughput_rps"]),
            _ci(entry["ci95"]["throughput_rps"]), f"{entry['error_rate']:.2%}",
            _fmt(lat.get("mean"), 2), _ci(entry["ci95"]["latency_ms_mean"], 2),
            _analytic(entry),
            *(_fmt(lat.get(k), 2) for k in ("p50", "p90", "p95", "p99", "max"))])
    _print(console, "Requests", [(c, "left" if c == "class" else "right") for c in columns],
           rows, style)
    columns = ("component", "type", "replicas x workers", "utilization", "throughput/s",
               "queue mean", "queue max", "rejected", "residence ms")
    rows = []
    for name, entry in data["components"].items():
        mark = " *" if name == data["bottleneck"] else ""
        shape = (f"{entry['replicas']} x {entry['workers']}" if "workers" in entry
                 else str(entry["replicas"]))
        util = entry.get("utilization")
        rows.append([
            name + mark, entry["type"], shape, "-" if util is None else f"{util:.1%}",
            _fmt(entry["throughput_rps"]), _fmt(entry.get("queue_mean"), 2),
            _fmt(entry.get("queue_max")), _fmt(entry.get("rejected")),
            _fmt(entry.get("residence_ms_mean"), 2)])
    _print(console, "Components", [(c, "left" if c in ("component", "type") else "right")
                                   for c in columns], rows, style)
    if data["bottleneck"]:
        console.print(f"* bottleneck: {data['bottleneck']} (highest utilization)", markup=False)
    if data["subscribers"]:
        _subscribers(data["subscribers"], console, style)
    if any("hit_ratio" in c or "read_replicas" in c for c in data["components"].values()):
        _data_tier(data["components"], console, style)
    if data.get("calls") or data.get("discovery") or any(
            "wasted_work_s" in c or "rate_limited" in c for c in data["components"].values()):
        from archsim.report.render_failures import render_failures

        render_failures(data, console, style)
    if data["slos"]:
        render_slos(data["slos"], console, plain)
    if data.get("timeline"):
        from archsim.report.render_timeline import render_timeline

        render_timeline(data["timeline"], console, plain)
    for warning in data["warnings"]:
        console.print(f"warning: {warning}", markup=False)


def _print(console: Console, title: str, headers: list[tuple[str, str]],
           rows: list[list[str]], style: box.Box) -> None:
    """Print a table whose numbers are never cut (split when the console is narrow)."""
    from archsim.report.tables import fit_tables

    for table in fit_tables(console, headers, rows, style, title=title):
        console.print(table)


def _subscribers(section: dict[str, Any], console: Console, style: box.Box) -> None:
    table = Table(title="Subscribers (end-to-end from publish to handler completion)",
                  box=style, title_justify="left")
    for column in ("subscriber", "throughput/s", "mean ms", "p99 ms", "backlog mean",
                   "backlog max", "backlog end", "growth/s", "hottest partition",
                   "consumers busy"):
        table.add_column(column, justify="left" if column == "subscriber" else "right",
                         no_wrap=True)
    for name, entry in section.items():
        lat = entry["latency_ms"]
        partitions = entry["partition_backlog_mean"]
        hot = (f"#{entry['hottest_partition']} ({partitions[entry['hottest_partition']]:.1f})"
               if len(partitions) > 1 else "-")
        table.add_row(name, _fmt(entry["throughput_rps"]), _fmt(lat.get("mean"), 2),
                      _fmt(lat.get("p99"), 2), _fmt(entry["backlog_mean"], 2),
                      _fmt(entry["backlog_max"]), _fmt(entry["backlog_final"], 1),
                      _fmt(entry["backlog_growth_per_s"], 2), hot,
                      f"{entry['consumer_utilization']:.1%} of {entry['active_consumers']}")
    console.print(table)


def render_slos(rows: list[dict[str, Any]], console: Console, plain: bool = False) -> None:
    """The ``slos`` table: one row per objective and request class, met or MISSED."""
    from rich.text import Text

    from archsim.analysis.slo import describe

    table = Table(title="SLOs", box=box.SIMPLE if plain else box.ROUNDED, title_justify="left")
    for column in ("request", "objective", "target", "value", "result"):
        table.add_column(column, justify="right" if column in ("target", "value") else "left",
                         no_wrap=True)
    for row in rows:
        objective, target, value = describe(row)
        result = Text("met", style="green") if row["met"] else Text("MISSED", style="bold red")
        table.add_row(Text(row["request"]), objective, target, value, result)
    console.print(table)


def _data_tier(components: dict[str, Any], console: Console, style: box.Box) -> None:
    """Caches (observed hit ratio, load removed) and databases with read replicas."""
    table = Table(title="Data tier", box=style, title_justify="left")
    for column in ("component", "hit ratio", "hits/s", "misses/s", "reads/s", "writes/s",
                   "lag mean ms", "lag p99 ms", "stale reads", "utilization by replica"):
        table.add_column(column, justify="left" if column in ("component",
                         "utilization by replica") else "right", no_wrap=True)
    for name, entry in components.items():
        if "hit_ratio" not in entry and "read_replicas" not in entry:
            continue
        lag = entry.get("replication_lag_ms") or {}
        hit = entry.get("hit_ratio")
        stale = entry.get("stale_read_fraction")
        by_replica = entry.get("utilization_by_replica") or {}
        table.add_row(
            name, "-" if hit is None else f"{hit:.1%}", _fmt(entry.get("hits_rps")),
            _fmt(entry.get("misses_rps")), _fmt(entry.get("reads_rps")),
            _fmt(entry.get("writes_rps")), _fmt(lag.get("mean"), 2), _fmt(lag.get("p99"), 2),
            "-" if stale is None else f"{stale:.1%}",
            " ".join(f"{k} {v:.0%}" for k, v in by_replica.items()))
    console.print(table)
