"""Finding: in an 80-100 column terminal rich shrank the report's columns and cut numbers
(``1,76…``). Tables now keep every number whole and split into several tables instead.

Each table is rendered with rich's own Console at widths 80 and 100 (a real terminal's
rendering path, boxes drawn) on short fixed-seed runs of the bundled models, and every figure
the JSON gives for a shown column must appear intact in the text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

import archsim
from archsim.report.capacity_render import render_capacity
from archsim.report.render import render
from archsim.report.render_compare import format_difference, format_value, render_comparison
from archsim.report.sweep_render import render_sweep

SHORT: dict[str, Any] = {"duration_s": 2.0, "warmup_s": 0.5, "replications": 2, "jobs": 1}
WIDTHS = (80, 100)


def text_of(draw: Callable[[Console], None], width: int) -> str:
    out = io.StringIO()
    draw(Console(file=out, width=width, color_system=None, force_terminal=True,
                 legacy_windows=False))
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    return text


def number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def assert_all_in(text: str, figures: list[str]) -> None:
    missing = [f for f in figures if f not in text]
    assert not missing, f"cut or missing: {missing}\n{text}"


@pytest.fixture(scope="module")
def run_report() -> archsim.Report:  # type: ignore[name-defined]
    return archsim.simulate(archsim.load("src/archsim/models/microservices.yaml"), **SHORT)


@pytest.mark.parametrize("width", WIDTHS)
def test_run_tables_keep_every_number(run_report: Any, width: int) -> None:
    data = run_report.to_dict()
    text = text_of(lambda console: render(run_report, console), width)
    figures = []
    for entry in data["requests"].values():
        latency = entry["latency_ms"]
        figures += [number(entry["offered_rps"], 1), number(entry["throughput_rps"], 1),
                    f"{entry['error_rate']:.2%}"]
        figures += [number(latency[k], 2) for k in ("mean", "p50", "p90", "p95", "p99", "max")]
    for name, entry in data["components"].items():
        figures += [name, number(entry["throughput_rps"], 1)]
        if entry.get("utilization") is not None:
            figures += [f"{entry['utilization']:.1%}", number(entry["queue_mean"], 2),
                        number(entry["residence_ms_mean"], 2)]
    assert_all_in(text, figures)
    assert "Requests (continued)" in text  # 13 columns do not fit in 100


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_tables_keep_every_number(width: int) -> None:
    layouts = [archsim.load(f"src/archsim/models/{name}.yaml")
               for name in ("monolith", "microservices", "event-driven")]
    comparison = archsim.compare(layouts, **SHORT)
    text = text_of(lambda console: render_comparison(comparison, console), width)
    figures = []
    for entries in comparison.sections.values():
        for metrics in entries.values():
            for metric, item in metrics.items():
                figures += [format_value(metric, v) for v in item.values]
                figures += [format_difference(d, metric) for d in item.differences[1:]]
    assert_all_in(text, figures)


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_table_keeps_every_number(width: int) -> None:
    result = archsim.sweep("src/archsim/models/monolith.yaml", [0.8, 1.2, 1.6], **SHORT)
    text = text_of(lambda console: render_sweep(result, console), width)
    figures = []
    for point in result.points:
        figures += [number(point.offered_rps, 1), number(point.throughput_rps, 1),
                    number(point.latency_ms.get("p50"), 2), number(point.latency_ms.get("p99"), 2)]
        figures += [f"{point.bottleneck} {point.utilization[point.bottleneck]:.0%}"]
    assert_all_in(text, figures)
    assert result.points[-1].saturated  # the note that wraps names it


@pytest.mark.parametrize("width", WIDTHS)
def test_capacity_tables_keep_every_number(width: int) -> None:
    result = archsim.capacity("src/archsim/models/online-boutique.yaml", ["p99<150ms"],
                              max_probes=3, **SHORT)
    data = result.to_dict()
    text = text_of(lambda console: render_capacity(result, console), width)
    figures = []
    for entry in data["requests"].values():
        latency = entry["latency_ms"]
        figures += [number(entry["offered_rps"], 1), number(entry["throughput_rps"], 1),
                    f"{entry['error_rate']:.2%}", number(latency["mean"], 2),
                    number(latency["p50"], 2), number(latency["p99"], 2)]
    for item in data["measures"]:
        figures.append(f"{item['value']:,.1f} ms")
        if item["ci95"]:
            figures.append(f"{item['ci95'][0]:,.1f} ms .. {item['ci95'][1]:,.1f} ms")
    assert_all_in(text, figures)
