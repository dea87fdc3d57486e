"""Human output of a capacity search: the answer, the state there, what to scale next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box

from archsim.analysis.objectives import format_value

if TYPE_CHECKING:
    from rich.console import Console

    from archsim.analysis.capacity import CapacityResult


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render_capacity(result: CapacityResult, console: Console, plain: bool = False) -> None:
    """Print the capacity, the requests and objectives there, the bottleneck and next steps."""
    data = result.to_dict()
    style = box.SIMPLE if plain else box.ROUNDED
    sim = data["simulation"]
    console.print(f"{data['topology']}: capacity for {', '.join(data['objectives'])} "
                  f"({sim['replications']} replication(s) x {sim['duration_s']:g} s per probe, "
                  f"seed {sim['seed']})", markup=False)
    for line in headline(data):
        console.print(line, markup=False)
    if data["requests"]:
        _requests(data, console, style)
    if data["measures"]:
        _measures(data, console, style)
    for line in advice(data):
        console.print(line, markup=False)
    probes = ", ".join(f"{p['rate_scale']:.4g} {p['verdict']}" for p in data["probes"])
    console.print(f"probes (rate scale, verdict): {probes}", markup=False)
    for warning in data["warnings"]:
        console.print(f"warning: {warning}", markup=False)


def headline(data: dict[str, Any]) -> list[str]:
    """The answer in one line, and what is missed just above it."""
    low, high = data["rate_scale_ci95"]
    high_text = "unbounded" if high is None else f"{high:.4g}"
    lines = []
    if data["met"]:
        offered = sum(e["offered_rps"] or 0.0 for e in data["requests"].values())
        lines.append(f"capacity: rate scale {data['rate_scale']:.4g} ({offered:,.1f} requests/s "
                     f"offered); 95% interval {low:.4g} .. {high_text}")
    else:
        lines.append("capacity: no load tried meets every objective")
    if data["limit"]:
        lines.append("limited by: " + "; ".join(data["limit"]))
    if data["analytic_saturation_scale"] is not None:
        lines.append(f"queueing theory saturates a service at rate scale "
                     f"{data['analytic_saturation_scale']:.4g}")
    return lines


def _requests(data: dict[str, Any], console: Console, style: box.Box) -> None:
    probe = "capacity" if data["met"] else "the lowest load tried"
    rows = []
    for name, entry in data["requests"].items():
        latency = entry["latency_ms"]
        rows.append([name, _num(entry["offered_rps"]), _num(entry["throughput_rps"]),
                     f"{entry['error_rate']:.2%}", _num(latency.get("mean"), 2),
                     _num(latency.get("p50"), 2), _num(latency.get("p99"), 2)])
    columns = ("class", "offered/s", "throughput/s", "errors", "mean ms", "p50", "p99")
    _print(console, f"Requests at {probe}",
           [(c, "left" if c == "class" else "right") for c in columns], rows, style)


def _measures(data: dict[str, Any], console: Console, style: box.Box) -> None:
    rows = []
    for item in data["measures"]:
        interval = item["ci95"]
        low, high = interval if interval else (None, None)
        rows.append([item["objective"], item["request"],
                     format_value(item["metric"], item["value"]),
                     "-" if interval is None else f"{format_value(item['metric'], low)} .. "
                     f"{format_value(item['metric'], high)}", item["verdict"]])
    columns = ("objective", "class", "value", "95% interval", "verdict")
    _print(console, "Objectives there (mean of replications, 95% interval)",
           [(c, "right" if c in ("value", "95% interval") else "left") for c in columns],
           rows, style)


def _print(console: Console, title: str, headers: list[tuple[str, str]],
           rows: list[list[str]], style: box.Box) -> None:
    """Print a table whose numbers are never cut (split when the console is narrow)."""
    from archsim.report.tables import fit_tables

    for table in fit_tables(console, headers, rows, style, title=title, keys=2 if
                            headers[1][0] == "class" else 1):
        console.print(table)


def advice(data: dict[str, Any]) -> list[str]:
    """The bottleneck and what to scale next, one line each."""
    lines = []
    if data["bottleneck"]:
        utilization = data["utilization"].get(data["bottleneck"])
        busy = "" if utilization is None else f" (utilization {utilization:.0%})"
        lines.append(f"bottleneck: {data['bottleneck']}{busy}")
    if data["next"]:
        lines.append("what to scale next:")
    for rank, step in enumerate(data["next"]):
        line = (f"  {step['component']}: {step['utilization']:.0%} busy on "
                f"{step['replicas']} replica(s)")
        if rank == 0 or step["replicas_needed"] > step["replicas"]:
            line += (f"; {step['replicas_needed']} replicas bring it to about "
                     f"{step['utilization_after']:.0%}")
        else:
            line += (f"; it reaches {step['target_utilization']:.0%} at rate scale "
                     f"{step['reaches_target_at']:.3g}")
        lines.append(line)
    return lines
