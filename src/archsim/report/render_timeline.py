"""The terminal view of a ``timeline``: one sparkline per series, with its range."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

BARS = "▁▂▃▄▅▆▇█"
WIDTH = 60


def sparkline(values: list[float | None], width: int = WIDTH, peak: bool = False) -> str:
    """``values`` as bar characters scaled from 0 to their maximum (``' '`` for None).

    Longer series are averaged down to ``width`` characters (with ``peak``, each character
    shows the largest value it covers, so a spike one bin wide stays visible).
    """
    if len(values) > width:
        step = len(values) / width
        chunks = [values[int(i * step):int((i + 1) * step)] for i in range(width)]
        values = [(max(known) if peak else sum(known) / len(known)) if (known := [
            v for v in c if v is not None]) else None for c in chunks]
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    return "".join(" " if v is None else BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1)
                                                                       + 0.5))] for v in values)


def _row(table: Table, name: str, what: str, values: list[Any], unit: str = "",
         digits: int = 1, peak: bool = False) -> None:
    known = [v for v in values if v is not None]
    low = f"{min(known):,.{digits}f}{unit}" if known else "-"
    high = f"{max(known):,.{digits}f}{unit}" if known else "-"
    table.add_row(name, what, sparkline(values, peak=peak), low, high)


def render_timeline(section: dict[str, Any], console: Console, plain: bool = False) -> None:
    """Print the timeline as sparklines (warm-up bins included, marked in the title)."""
    bins = len(section["t_s"])
    end = section["t_s"][-1] + section["dt_s"][-1] if bins else 0.0
    title = (f"Timeline: {bins} intervals of {section['interval_s']:g} s over {end:g} s, the "
             f"first {section['warmup_bins']} in the warm-up")
    table = Table(title=title, box=box.SIMPLE if plain else box.ROUNDED, title_justify="left")
    for column in ("series", "", "sparkline (0 to max)", "min", "max"):
        table.add_column(column, justify="right" if column in ("min", "max") else "left",
                         no_wrap=True)
    for name, entry in section["requests"].items():
        _row(table, name, "offered/s", entry["offered_rps"])
        _row(table, "", "throughput/s", entry["throughput_rps"])
        if any(entry["errors"]):
            _row(table, "", "errors/s", entry["error_rps"])
        _row(table, "", "p99 ms", entry["p99_ms"], digits=2)
    for name, entry in section["components"].items():
        _row(table, name, "utilization", [v * 100 for v in entry["utilization"]], "%")
        if any(entry["queue_mean"]):
            _row(table, "", "queue", entry["queue_mean"], digits=2)
        if len(set(entry["replicas"])) > 1:
            _row(table, "", "replicas", entry["replicas"])
    for name, entry in section.get("subscribers", {}).items():
        _row(table, name, "backlog", entry["backlog"])
    for name, entry in section.get("calls", {}).items():
        _row(table, name, "attempts/s (peak)", entry["attempts_rps"], peak=True)
    for name, entry in section.get("breakers", {}).items():
        _row(table, name, "open share", entry["open_share"], digits=2)
    console.print(table)
