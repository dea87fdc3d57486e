"""Human output of the failure-handling figures: calls (retries, breakers), components,
discovery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from rich import box
    from rich.console import Console


def render_failures(data: dict[str, Any], console: Console, style: box.Box) -> None:
    """Tables of call edges, per-component failure figures, and discovery caches."""
    calls = data.get("calls") or {}
    if calls:
        table = Table(title="Calls with failure handling (totals over replications)",
                      box=style, title_justify="left")
        stopped = any(edge.get("deadline_stopped") for edge in calls.values())
        for column in ("call", "calls", "attempts", "amplification", "timeouts",
                       "short-circuited", "budget denied",
                       *(("deadline stopped",) if stopped else ()), "errors"):
            table.add_column(column, justify="left" if column == "call" else "right",
                             no_wrap=True)
        for name, edge in calls.items():
            table.add_row(name, str(edge["calls"]), str(edge["attempts"]),
                          f"{edge['amplification']:.2f}", str(edge["timeouts"]),
                          str(edge["short_circuited"]), str(edge["budget_denied"]),
                          *((str(edge["deadline_stopped"]),) if stopped else ()),
                          f"{edge['error_rate']:.2%}")
        console.print(table)
    rows = [(name, entry) for name, entry in data["components"].items()
            if any(k in entry for k in ("wasted_work_s", "rate_limited", "breakers"))]
    if rows:
        table = Table(title="Failures per component", box=style, title_justify="left")
        for column in ("component", "wasted work s", "abandoned", "dropped", "down",
                       "fault", "rate limited", "breaker trips", "open s/run"):
            table.add_column(column, justify="left" if column == "component" else "right",
                             no_wrap=True)
        for name, entry in rows:
            breakers = entry.get("breakers", {}).values()
            table.add_row(name, _num(entry.get("wasted_work_s")), _num(entry.get("abandoned")),
                          _num(entry.get("dropped")), _num(entry.get("down_errors")),
                          _num(entry.get("fault_errors")), _num(entry.get("rate_limited")),
                          _num(sum(b["trips"] for b in breakers) if breakers else None),
                          _num(max(b["open_s"] for b in breakers) if breakers else None))
        console.print(table)
    discovery = data.get("discovery") or {}
    if discovery:
        table = Table(title="Discovery", box=style, title_justify="left")
        for column in ("caller", "registry", "lookups", "cache hits", "failures",
                       "first failure s"):
            table.add_column(column, justify="left" if column in ("caller", "registry")
                             else "right", no_wrap=True)
        for name, entry in discovery.items():
            table.add_row(name, entry["registry"], str(entry["lookups"]), str(entry["hits"]),
                          str(entry["failures"]), _num(entry["first_failure_s"]))
        console.print(table)


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
