"""Human and CSV output of a sweep: a table, a block chart of throughput and p99, the marks."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box

if TYPE_CHECKING:
    from rich.console import Console

    from archsim.analysis.sweep import SweepPoint, SweepResult

BLOCKS = " ▁▂▃▄▅▆▇█"
CHART_HEIGHT = 6
OVER = "▲"
MISSING = "×"


def value_text(value: float | str) -> str:
    """A parameter value as the user wrote it (``0.2``, ``3``, ``5ms``)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _note(result: SweepResult, index: int) -> str:
    point = result.points[index]
    notes = ["knee"] if index == result.knee else []
    if point.saturated:
        head = "saturation point" if index == result.saturation else "saturated"
        notes.append(f"{head}: " + "; ".join(point.saturated))
    return ", ".join(notes)


def render_sweep(result: SweepResult, console: Console, plain: bool = False) -> None:
    """Print the table of points, the chart and what the knee and saturation point are."""
    sim = result.simulation
    if sim:
        console.print(f"{result.topology}: sweep of {result.parameter}, "
                      f"{sim['replications']} replication(s) x {sim['duration_s']:g} s after "
                      f"{sim['warmup_s']:g} s warm-up, seed {sim['seed']}", markup=False)
    from archsim.report.tables import fit_tables

    columns = (result.parameter, "offered/s", "throughput/s", "p50 ms", "p99 ms", "bottleneck",
               "note")
    rows = []
    for index, point in enumerate(result.points):
        busiest = ""
        if point.bottleneck and point.bottleneck in point.utilization:
            busiest = f"{point.bottleneck} {point.utilization[point.bottleneck]:.0%}"
        rows.append([value_text(point.value), _num(point.offered_rps),
                     _num(point.throughput_rps), _num(point.latency_ms.get("p50"), 2),
                     _num(point.latency_ms.get("p99"), 2), busiest, _note(result, index)])
    headers = [(c, "left" if c in ("bottleneck", "note") else "right") for c in columns]
    for table in fit_tables(console, headers, rows, box.SIMPLE if plain else box.ROUNDED,
                            wrap=len(columns) - 1):
        console.print(table)
    for line in chart_lines(result):
        console.print(line, markup=False, highlight=False)
    for line in summary_lines(result):
        console.print(line, markup=False)
    for point in result.points:
        for warning in point.warnings:
            console.print(f"warning: [{result.parameter}={value_text(point.value)}] {warning}",
                          markup=False)


def summary_lines(result: SweepResult) -> list[str]:
    """One line for the knee and one for the saturation point."""
    name = result.parameter
    if result.knee is None:
        knee = "knee: none (the p99 curve does not bend within the unsaturated points)"
    else:
        point = result.points[result.knee]
        knee = (f"knee: {name} = {value_text(point.value)}, p99 "
                f"{point.latency_ms['p99']:,.1f} ms (where p99 bends from flat to steep)")
    if result.saturation is None:
        saturation = "saturation: not reached"
    else:
        point = result.points[result.saturation]
        saturation = (f"saturation: {name} = {value_text(point.value)} ("
                      + "; ".join(point.saturated) + ")")
    return [knee, saturation]


def chart_lines(result: SweepResult, height: int = CHART_HEIGHT) -> list[str]:
    """Block charts of throughput and p99 against the parameter, knee K and saturation S.

    Throughput bars start at 0. p99 bars start at the lowest p99 (printed as the floor; every
    bar shows at least one eighth), so a curve from 170 to 200 ms still shows its shape; the
    scale stops at the highest unsaturated p99 and taller bars end in an arrow.
    """
    points = result.points
    width = 2 if len(points) <= 30 else 1
    gap = " " if len(points) <= 30 else ""
    throughput = [p.throughput_rps for p in points]
    p99 = [p.latency_ms.get("p99") for p in points]
    known = [v for v in p99 if v is not None]
    calm = [v for p, v in zip(points, p99, strict=True) if v is not None and not p.saturated]
    lines = ["throughput/s"]
    lines += _bars(throughput, 0.0, max((v for v in throughput if v is not None), default=0.0),
                   height, width, gap)
    top = max(calm or known or [0.0])
    floor = min(known) if known else 0.0
    lines.append(f"p99 ms ({OVER}: off the scale)")
    lines += _bars(p99, floor, top, height, width, gap)
    marks = []
    for index in range(len(points)):
        mark = "S" if index == result.saturation else "K" if index == result.knee else " "
        marks.append(mark.ljust(width))
    lines.append(" " * 11 + gap.join(marks).rstrip())
    first, last = value_text(points[0].value), value_text(points[-1].value)
    lines.append(" " * 11 + f"{result.parameter} {first} .. {last}  (K knee, S saturation)")
    return lines


def _bars(values: Sequence[float | None], floor: float, top: float, height: int, width: int,
          gap: str) -> list[str]:
    """Rows of a vertical bar chart from ``floor`` to ``top``, top row first, scale on the left."""
    rows = []
    for row in range(height - 1, -1, -1):
        cells = [_cell(value, floor, top, row, height) * width for value in values]
        label = f"{top:>9,.4g} ┤" if row == height - 1 else (
            f"{floor:>9,.4g} ┤" if row == 0 else " " * 10 + "│")
        rows.append(label + gap.join(cells).rstrip())
    return rows


def _cell(value: float | None, floor: float, top: float, row: int, height: int) -> str:
    if value is None:
        return MISSING if row == 0 else " "
    if top <= floor:
        return BLOCKS[8] if row == 0 and value > 0 else " "
    if value > top * 1.0001 and row == height - 1:
        return OVER
    eighths = max(1, round((min(value, top) - floor) / (top - floor) * height * 8))
    filled = eighths - row * 8
    return BLOCKS[max(0, min(8, filled))]


def sweep_csv(result: SweepResult) -> str:
    """One row per point: parameter value, rates, latency, bottleneck, marks."""
    from archsim.analysis.sweep import RATE_SCALE

    scale = [] if result.parameter == RATE_SCALE else ["rate_scale"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([result.parameter, *scale, "offered_rps", "throughput_rps",
                     "latency_ms_mean", "latency_ms_p50", "latency_ms_p99", "bottleneck",
                     "bottleneck_utilization", "knee", "saturation", "saturated"])
    for index, point in enumerate(result.points):
        writer.writerow([value_text(point.value), *([point.rate_scale] if scale else []),
                         _blank(point.offered_rps), _blank(point.throughput_rps),
                         *(_blank(point.latency_ms.get(k)) for k in ("mean", "p50", "p99")),
                         point.bottleneck or "", _blank(_busiest(point)),
                         int(index == result.knee), int(index == result.saturation),
                         "; ".join(point.saturated)])
    return out.getvalue()


def _busiest(point: SweepPoint) -> float | None:
    return point.utilization.get(point.bottleneck) if point.bottleneck else None


def _blank(value: float | None) -> float | str:
    return "" if value is None else value
