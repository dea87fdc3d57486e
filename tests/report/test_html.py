"""The HTML report as text: self-contained, escaped, deterministic, from live or saved results."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import archsim
from archsim.cli.app import app
from archsim.errors import ArchsimError
from archsim.graph import build_graph
from archsim.report.diagram import layout, topology_svg
from archsim.report.document import (
    Document,
    Layout,
    from_comparison,
    from_json,
    from_report,
    from_sweep,
    kind_of,
)
from archsim.report.html import render_html
from archsim.report.timeline_charts import timeline_series, warmup_end

from .conftest import SHOP

runner = CliRunner()
LOADS_SOMETHING = re.compile(r"<script|<link|<iframe|<img|<object|<embed|@import|@font-face"
                             r"|\bsrc\s*=|href\s*=\s*\"(?!#)|url\((?!#)", re.IGNORECASE)


@pytest.fixture
def no_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render without matplotlib (faster, where the charts are not what a test checks)."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def table_keys(html: str) -> list[str]:
    return re.findall(r'data-table="([^"]+)"', html)


@pytest.fixture(scope="module")
def run_page(shop: Any, shop_report: Any, shop_sweep: Any) -> str:
    document = from_report(shop_report, shop)
    document.merge(from_sweep(shop_sweep, shop))
    return render_html(document)


def test_page_loads_nothing_and_has_every_part(run_page: str) -> None:
    assert LOADS_SOMETHING.search(run_page) is None
    assert run_page.startswith("<!DOCTYPE html>")
    assert run_page.count('class="topology-diagram"') == 1  # the sweep reuses the run's
    assert table_keys(run_page) == [
        "layout-tiny-shop-flows", "layout-tiny-shop-requests", "layout-tiny-shop-components",
        "layout-tiny-shop-subscribers", "layout-tiny-shop-slos", "sweep-tiny-shop-sweep"]
    assert run_page.count('<figure class="chart">') == 2
    for label in ("latency (ms, log scale)", "requests completed within (%)",
                  "utilization (% of workers busy)", "throughput (requests/s)"):
        assert label in run_page  # chart text stays text (searchable, no font files)


def test_same_results_same_bytes(shop: Any, shop_report: Any, run_page: str,
                                 shop_sweep: Any) -> None:
    again = from_report(shop_report, shop)
    again.merge(from_sweep(shop_sweep, shop))
    assert render_html(again) == run_page


def test_saved_json_renders_the_same_tables(shop: Any, shop_report: Any) -> None:
    saved = from_json(json.loads(json.dumps(shop_report.to_dict())))
    saved.add_topologies([shop])
    live = render_html(from_report(shop_report, shop))
    page = render_html(saved)
    assert table_keys(page) == table_keys(live)
    assert "browse (percentiles)" in page  # no raw samples: drawn through the percentiles


@pytest.mark.usefixtures("no_charts")
def test_saved_comparison_and_sweep(shop_comparison: Any, shop_sweep: Any) -> None:
    compared = render_html(from_json(shop_comparison.to_dict()))
    assert table_keys(compared) == table_keys(render_html(from_comparison(shop_comparison)))
    assert "Diagrams need the topology" in compared
    swept = render_html(from_json(json.loads(json.dumps(shop_sweep.to_dict()))))
    assert "sweep-tiny-shop-sweep" in table_keys(swept)


def test_kind_of_names_each_command_and_refuses_others() -> None:
    assert kind_of({"requests": {}, "components": {}}) == "run"
    assert kind_of({"layouts": [], "reports": {}}) == "compare"
    assert kind_of({"parameter": "rate_scale", "points": []}) == "sweep"
    with pytest.raises(ArchsimError, match="not the JSON of 'archsim run'"):
        kind_of([1, 2])


@pytest.mark.usefixtures("no_charts")
def test_text_from_the_file_is_escaped(shop_report: Any) -> None:
    hostile = archsim.load(SHOP.replace("description: A gateway",
                                        "description: <script>alert(1)</script> A gateway"))
    page = render_html(from_report(shop_report, hostile))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.usefixtures("no_charts")
def test_without_matplotlib_the_page_says_so(shop: Any, shop_report: Any) -> None:
    page = render_html(from_report(shop_report, shop))
    assert "Charts are missing" in page and "archsim[plot]" in page
    assert '<figure class="chart">' not in page
    assert "layout-tiny-shop-requests" in table_keys(page)


@pytest.mark.parametrize("timeline", [
    {"t_s": [0, 1, 2], "throughput_rps": [10, 12, 11],
     "requests": {"browse": {"p99_ms": [5, 6, 7]}, "buy": {"p99_ms": [8, 9, None]}}},
    {"intervals": [{"t_s": 0, "app": {"utilization": 0.5}},
                   {"t_s": 1, "app": {"utilization": 0.7}}]},
    [{"time_s": 0.0, "replicas": 2}, {"time_s": 1.0, "replicas": 3}],
    {"t_s": [0.0, 1.0, 2.0], "dt_s": [1.0, 1.0, 1.0], "interval_s": 1.0, "warmup_bins": 1,
     "requests": {"browse": {"offered_rps": [9, 10, 11], "p99_ms": [4, 5, 6]}},
     "components": {"app": {"utilization": [0.2, 0.3, 0.4], "replicas": [2, 2, 3]}}},
])
def test_timeline_shapes_become_charts(shop_report: Any, timeline: Any) -> None:
    times, metrics = timeline_series(timeline)
    assert times and metrics
    assert "dt_s" not in metrics  # interval widths are not a series
    data = {**shop_report.to_dict(), "timeline": timeline}
    page = render_html(Document("t", [Layout("tiny-shop", None, data)]))
    assert page.count('class="chart timeline"') == len(metrics)
    assert "time (s)" in page


def test_timeline_series_names_and_warmup() -> None:
    timeline = {"t_s": [0.0, 1.0, 2.0], "warmup_bins": 1,
                "requests": {"browse": {"p99_ms": [4, 5, 6]}, "buy": {"p99_ms": [7, 8, 9]}}}
    _, metrics = timeline_series(timeline)
    assert metrics == {"p99_ms": {"browse": [4.0, 5.0, 6.0], "buy": [7.0, 8.0, 9.0]}}
    assert warmup_end(timeline) == 1.0
    assert warmup_end({"t_s": [0.0], "warmup_s": 5}) == 5.0


@pytest.mark.usefixtures("no_charts")
def test_unknown_timeline_is_shown_as_data(shop_report: Any) -> None:
    data = {**shop_report.to_dict(), "timeline": {"note": "no series here"}}
    page = render_html(Document("t", [Layout("tiny-shop", None, data)]))
    assert 'class="timeline-data"' in page and "no series here" in page


def test_diagram_layout_puts_callers_left_of_callees_and_survives_cycles() -> None:
    cyclic = archsim.load(SHOP.replace(
        "mail: {type: service, workers: 2, endpoints: {send: {work: 4ms}}}",
        "mail: {type: service, workers: 2, endpoints: {send: {work: 4ms, "
        "calls: [{publish: orders}]}}}"))
    places = layout(build_graph(cyclic))
    assert places["client:browse"].layer == 0
    assert places["gateway"].layer < places["app"].layer < places["db"].layer
    assert places["orders"].layer < places["mail"].layer
    assert len({(p.x, p.y) for p in places.values()}) == len(places)  # no overlap
    svg = topology_svg(cyclic)
    assert svg == topology_svg(cyclic)
    assert svg.count('class="edge edge-message"') == 3  # two publishes, one subscription


@pytest.mark.usefixtures("no_charts")
def test_report_command_from_saved_json(tmp_path: Path, shop_report: Any,
                                        shop_sweep: Any) -> None:
    topology = tmp_path / "shop.yaml"
    topology.write_text(SHOP)
    run_json, sweep_json = tmp_path / "run.json", tmp_path / "sweep.json"
    run_json.write_text(json.dumps(shop_report.to_dict()))
    sweep_json.write_text(json.dumps(shop_sweep.to_dict()))
    out = tmp_path / "page.html"
    result = runner.invoke(app, ["report", "--from-json", str(run_json), "--from-json",
                                 str(sweep_json), str(topology), "-o", str(out),
                                 "--title", "Design review"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<title>Design review</title>" in page
    assert page.count('class="topology-diagram"') == 1
    assert "sweep-tiny-shop-sweep" in table_keys(page)


@pytest.mark.parametrize(("arguments", "code", "message"), [
    (["report"], 2, "give a TOPOLOGY to simulate, or --from-json FILE"),
    (["report", "--from-json", "x.json", "--seed", "3"], 2, "--seed: only when simulating"),
    (["report", "a.yaml", "b.yaml", "--sweep", "1,2"], 2, "--sweep takes one TOPOLOGY"),
    (["report", "--from-json", "missing.json"], 1, "cannot read missing.json"),
])
def test_report_command_errors(arguments: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == code
    assert message in result.output


@pytest.mark.usefixtures("no_charts")
def test_report_command_simulates(tmp_path: Path) -> None:
    topology = tmp_path / "shop.yaml"
    topology.write_text(SHOP)
    out = tmp_path / "run.html"
    result = runner.invoke(app, ["report", str(topology), "-o", str(out), "--replications",
                                 "1", "--duration", "1s", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert f"report written to {out}" in result.output
    assert "layout-tiny-shop-requests" in table_keys(out.read_text())
