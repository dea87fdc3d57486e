"""The HTML report in a real headless Chromium: no console errors, no requests, all content.

Chromium comes from the system's packages (``apt-get install chromium``; ``.ci/run`` installs
it when it runs as root). Without it these tests skip and say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archsim.report.document import from_comparison, from_report, from_sweep
from archsim.report.html import write_html

from ._browser import Browser, find_chromium

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install "
                       "chromium); CI installs it, so the HTML report is checked there"),
]
RUN_TABLES = ("requests", "components", "subscribers", "slos", "flows")
COMPARE_TABLES = ("compare-layouts", "compare-requests", "compare-components",
                  "compare-subscribers")
MIN_PIXEL_STD = 10.0


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, shop: Any, shop_report: Any,
          shop_sweep: Any, shop_comparison: Any) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html")
    run = from_report(shop_report, shop)
    run.merge(from_sweep(shop_sweep, shop))
    paths = {"run": folder / "run.html", "compare": folder / "compare.html"}
    write_html(run, str(paths["run"]))
    write_html(from_comparison(shop_comparison, [shop, shop]), str(paths["compare"]))
    return paths


@pytest.fixture(scope="module")
def browser() -> Any:
    with Browser(CHROMIUM) as session:  # type: ignore[arg-type]
        yield session


def tables(browser: Browser) -> dict[str, int]:
    return browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('table[data-table]')]"
        ".map(t => [t.dataset.table, t.tBodies[0].rows.length]))")


def assert_offline(visit: Any, page: Path) -> None:
    assert visit.console_errors == []
    assert [url for url in visit.requests if url != page.as_uri()
            and not url.startswith("data:")] == []


def test_run_and_sweep_page(browser: Browser, pages: dict[str, Path], tmp_path: Path) -> None:
    page = pages["run"]
    visit = browser.open(page.as_uri())
    assert_offline(visit, page)
    found = tables(browser)
    for key in RUN_TABLES:
        assert found.get(f"layout-tiny-shop-{key}", 0) > 0, key
    assert found["sweep-tiny-shop-sweep"] == 3
    nodes = browser.evaluate("[...document.querySelectorAll('svg.topology-diagram g.node')]"
                             ".map(g => g.dataset.name)")
    assert set(nodes) >= {"client:browse", "client:checkout", "gateway", "app", "db",
                          "orders", "mail"}
    box = browser.evaluate("(() => { const r = document.querySelector('svg.topology-diagram')"
                           ".getBoundingClientRect(); return [r.width, r.height]; })()")
    assert box[0] > 300 and box[1] > 150  # laid out and visible, not collapsed
    charts = browser.evaluate("document.querySelectorAll('figure.chart svg').length")
    assert charts == 2  # the run's latency/utilization figure and the sweep's curve
    assert_not_blank(browser.screenshot(tmp_path / "run.png"))


def test_comparison_page(browser: Browser, pages: dict[str, Path], tmp_path: Path) -> None:
    page = pages["compare"]
    visit = browser.open(page.as_uri())
    assert_offline(visit, page)
    found = tables(browser)
    for key in COMPARE_TABLES:
        assert found.get(key, 0) > 0, key
    for layout in ("two-apps", "three-apps"):
        for key in RUN_TABLES:
            assert found.get(f"layout-{layout}-{key}", 0) > 0, (layout, key)
    assert browser.evaluate("document.querySelectorAll('svg.topology-diagram').length") == 2
    assert_not_blank(browser.screenshot(tmp_path / "compare.png"))


def assert_not_blank(path: Path) -> None:
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        assert image.width == 1280 and image.height > 1800
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > MIN_PIXEL_STD
    assert (pixels < 128).mean() > 0.005  # there is dark ink (text, lines), not a flat page
