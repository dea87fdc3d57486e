"""Human output of ``archsim analyze``: rich tables on a terminal, plain text when piped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

    from archsim.analysis.analyze import Analysis


def _ms(value: float | None) -> str:
    return "unstable" if value is None else f"{value:,.2f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _share(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" + (" !" if value >= 1.0 else "")


def _visits(visits: dict[str, float]) -> str:
    return ", ".join(f"{name} {count:.4g}" for name, count in visits.items()) or "-"


def _table(title: str, columns: tuple[str, ...], style: box.Box, left: int = 1) -> Table:
    table = Table(title=title, box=style, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < left else "right", no_wrap=True)
    return table


def render_analysis(analysis: Analysis, console: Console, plain: bool = False) -> None:
    """Print requests, components, subscribers, the bottleneck, saturation and assumptions."""
    style = box.SIMPLE if plain else box.ROUNDED
    data = analysis.to_dict()
    console.print(f"{data['topology']}: analytic estimate (queueing theory, no simulation), "
                  f"rate scale {data['rate_scale']:g}", markup=False)
    requests = _table("Requests", ("class", "kind", "rate/s", "mean ms", "label",
                                   "saturation/s", "method"), style, left=2)
    for name, entry in data["requests"].items():
        requests.add_row(name, entry["kind"], _rate(entry["rate_rps"]), _ms(entry["mean_ms"]),
                         entry["label"], _rate(entry["saturation_rps"]), entry["method"])
    requests.columns[-1].justify = "left"
    console.print(requests)
    components = _table("Components", ("component", "type", "replicas x workers",
                                       "visits/request", "arrivals/s", "busy workers",
                                       "utilization", "wait ms", "model"), style, left=2)
    for name, entry in data["components"].items():
        mark = " *" if name == data["bottleneck"] else ""
        shape = (f"{entry['replicas']} x {entry['workers']}" if "workers" in entry else "-")
        wait = _ms(entry["wait_ms"]) if "workers" in entry else "-"
        busy = entry.get("offered_load")
        components.add_row(name + mark, entry["type"], shape, _visits(entry["visits"]),
                           _rate(entry["arrival_rps"]), "-" if busy is None else f"{busy:.2f}",
                           _share(entry.get("utilization")), wait, entry.get("model", ""))
    components.columns[3].justify = "left"
    components.columns[-1].justify = "left"
    console.print(components)
    if data["subscribers"]:
        _subscribers(data["subscribers"], data["bottleneck"], console, style)
    _summary(data, console)
    _assumptions(data, console)
    for warning in data["warnings"]:
        console.print(f"warning: {warning}", markup=False)


def _subscribers(section: dict[str, Any], bottleneck: str | None, console: Console,
                 style: box.Box) -> None:
    table = _table("Subscribers (end-to-end from publish to handler completion)",
                   ("subscriber", "messages/s", "consumers", "utilization", "busiest",
                    "round trip ms", "mean ms", "label"), style)
    for key, entry in section.items():
        mark = " *" if key == bottleneck else ""
        table.add_row(key + mark, _rate(entry["message_rps"]),
                      f"{entry['active_consumers']} of {entry['consumers']}",
                      _share(entry["utilization"]), _share(entry["utilization_max"]),
                      _ms(entry["round_trip_ms"]), _ms(entry["mean_ms"]), entry["label"])
    console.print(table)


def _summary(data: dict[str, Any], console: Console) -> None:
    if data["bottleneck"]:
        console.print(f"* bottleneck: {data['bottleneck']} (utilization "
                      f"{data['bottleneck_utilization']:.1%})", markup=False)
    sat = data["saturation"]
    if sat:
        rates = ", ".join(f"{k} {v:,.1f}/s" for k, v in sat["rates_rps"].items())
        headroom = f", x{sat['headroom']:.3g} the analyzed load" if sat["headroom"] else ""
        console.print(f"saturation ({sat['label']}): rate scale {sat['rate_scale']:.4g}"
                      f"{headroom}, when {sat['bottleneck']} reaches utilization 1: {rates}",
                      markup=False)


def _assumptions(data: dict[str, Any], console: Console) -> None:
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name, entry in data["requests"].items():
        groups.setdefault((entry["label"], tuple(entry["assumptions"])), []).append(name)
    for key, entry in data["subscribers"].items():
        groups.setdefault((entry["label"], tuple(entry["assumptions"])), []).append(key)
    for (label, assumptions), names in groups.items():
        verb = "rests on" if label == "exact" else "approximates"
        console.print(f"{', '.join(names)} ({label}) {verb}:", markup=False)
        for assumption in assumptions:
            console.print(f"  - {assumption}", markup=False)
