"""``--plot`` on run and compare: real PNG and SVG images of slide size with labelled axes."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archsim.cli.app import app
from archsim.report.figures import (
    LATENCY_AXIS,
    P99_AXIS,
    PNG_DPI,
    SHARE_AXIS,
    SLIDE_SIZE,
    UTILIZATION_AXIS,
    draw_comparison,
    draw_run,
    plot_comparison,
    plot_run,
    slide_figure,
)

from .conftest import SHOP

runner = CliRunner()
QUICK = ["--duration", "1s", "--warmup", "0.2s", "--replications", "2", "--jobs", "1"]
PNG_SIZE = (round(SLIDE_SIZE[0] * PNG_DPI), round(SLIDE_SIZE[1] * PNG_DPI))
SVG_SIZE = (f"{SLIDE_SIZE[0] * 72:g}pt", f"{SLIDE_SIZE[1] * 72:g}pt")


def svg_texts(path: Path) -> tuple[ElementTree.Element, str]:
    root = ElementTree.parse(path).getroot()
    return root, " ".join(t.strip() for t in root.itertext() if t.strip())


def assert_png(path: Path) -> None:
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == PNG_SIZE
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10  # drawn, not blank


def test_run_plot_png_and_svg(shop_report: Any, tmp_path: Path) -> None:
    png, svg = tmp_path / "run.png", tmp_path / "run.svg"
    plot_run(shop_report, str(png))
    plot_run(shop_report, str(svg))
    assert_png(png)
    root, text = svg_texts(svg)
    assert (root.get("width"), root.get("height")) == SVG_SIZE
    for label in (LATENCY_AXIS, SHARE_AXIS, UTILIZATION_AXIS, "browse", "checkout",
                  "bottleneck (app)"):
        assert label in text


def test_run_axes_and_legend(shop_report: Any) -> None:
    with slide_figure() as (_, axes):
        left, right = axes[0]
        draw_run(shop_report.to_dict(), shop_report.latency_samples_s, left, right)
        assert (left.get_xlabel(), left.get_ylabel()) == (LATENCY_AXIS, SHARE_AXIS)
        assert right.get_xlabel() == UTILIZATION_AXIS
        assert [t.get_text() for t in left.get_legend().get_texts()] == ["browse", "checkout"]
        assert [t.get_text() for t in right.get_yticklabels()] == ["app", "db", "mail",
                                                                   "orders/mailer (consumers)"]


def test_comparison_plot(shop_comparison: Any, tmp_path: Path) -> None:
    png, svg = tmp_path / "compare.png", tmp_path / "compare.svg"
    plot_comparison(shop_comparison, str(png))
    plot_comparison(shop_comparison, str(svg))
    assert_png(png)
    _, text = svg_texts(svg)
    for label in (P99_AXIS, UTILIZATION_AXIS, "request class", "two apps", "three apps"):
        assert label in text
    with slide_figure() as (_, axes):
        draw_comparison(shop_comparison.to_dict(), axes[0][0], axes[0][1])
        assert axes[0][0].get_ylabel() == P99_AXIS
        assert [t.get_text() for t in axes[0][0].get_legend().get_texts()] == [
            "two apps", "three apps"]


def test_same_run_same_svg_bytes(shop_report: Any, tmp_path: Path) -> None:
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    plot_run(shop_report, str(first))
    plot_run(shop_report, str(second))
    assert first.read_bytes() == second.read_bytes()


def test_run_and_compare_commands_write_plots(tmp_path: Path) -> None:
    topology = tmp_path / "shop.yaml"
    topology.write_text(SHOP)
    png = tmp_path / "run.png"
    result = runner.invoke(app, ["run", str(topology), *QUICK, "--json", "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert f"plot written to {png}" in result.output
    assert_png(png)
    svg = tmp_path / "compare.svg"
    result = runner.invoke(app, ["compare", str(topology), "--variant",
                                 "components.app.replicas=3", *QUICK, "--plot", str(svg)])
    assert result.exit_code == 0, result.output
    assert svg_texts(svg)[0].get("width") == SVG_SIZE[0]


@pytest.mark.parametrize("command", ["run", "compare"])
def test_bad_plot_file_is_a_usage_error_before_running(command: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [command, "monolith", "microservices", "--plot", "x.gif"]
                           if command == "compare" else [command, "monolith", "--plot", "x.gif"])
    assert result.exit_code == 2
    assert "the plot file must end in .png, .svg, .pdf, got 'x.gif'" in result.output
