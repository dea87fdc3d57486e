"""Human output of a capacity search: the answer, the state there, what to scale next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

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
    table = Table(title=f"Requests at {probe}", box=style, title_justify="left")
    for column in ("class", "offered/s", "throughput/s", "errors", "mean ms", "p50", "p99"):
        table.add_column(column, justify="left" if column == "class" else "right",
                         no_wrap=True)
    for name, entry in data["requests"].items():
        latency = entry["latency_ms"]
        table.add_row(name, _num(entry["offered_rps"]), _num(entry["throughput_rps"]),
                      f"{entry['error_rate']:.2%}", _num(latency.get("mean"), 2),
                      _num(latency.get("p50"), 2), _num(latency.get("p99"), 2))
    console.print(table)


def _measures(data: dict[str, Any], console: Console, style: box.Box) -> None:
    table = Table(title="Objectives there (mean of replications, 95% interval)", box=style,
                  title_justify="left")
    for column in ("objective", "class", "value", "95% interval", "verdict"):
        table.add_column(column, justify="right" if column in ("value", "95% interval")
                         else "left", no_wrap=True)
    for item in data["measures"]:
        interval = item["ci95"]
        low, high = interval if interval else (None, None)
        table.add_row(item["objective"], item["request"], format_value(item["metric"],
                                                                        item["value"]),
                      "-" if interval is None else f"{format_value(item['metric'], low)} .. "
                      f"{format_value(item['metric'], high)}", item["verdict"])
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
