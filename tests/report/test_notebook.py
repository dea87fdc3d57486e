"""A Report in a notebook: ``_repr_html_`` and ``to_frame`` (pandas, the notebook extra)."""

from __future__ import annotations

import sys
from typing import Any

import pytest


def test_repr_html_is_a_scoped_fragment(shop_report: Any, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # tables only: quicker
    html = shop_report._repr_html_()
    assert html.startswith('<div class="archsim">') and "<html" not in html
    assert "layout-tiny-shop-requests" in html and "layout-tiny-shop-slos" in html
    assert "Diagrams need the topology" not in html


def test_to_frame_sections(shop_report: Any) -> None:
    pytest.importorskip("pandas")
    requests = shop_report.to_frame()
    assert list(requests.index) == ["browse", "checkout"]
    assert requests.index.name == "class"
    assert requests.loc["browse", "latency_ms.p99"] == shop_report.requests["browse"][
        "latency_ms"]["p99"]
    low, high = shop_report.requests["browse"]["ci95"]["throughput_rps"]
    assert (requests.loc["browse", "ci95.throughput_rps.low"],
            requests.loc["browse", "ci95.throughput_rps.high"]) == (low, high)
    components = shop_report.to_frame("components")
    assert components.loc["app", "utilization"] == shop_report.components["app"]["utilization"]
    assert list(shop_report.to_frame("subscribers").index) == ["orders/mailer"]
    assert len(shop_report.to_frame("slos")) == len(shop_report.slos)
    assert list(shop_report.to_frame("long").columns) == ["section", "name", "metric", "value"]
    with pytest.raises(ValueError, match="unknown section 'nope'; choose one of requests"):
        shop_report.to_frame("nope")


def test_to_frame_without_pandas_says_how_to_install(shop_report: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'archsim\[notebook\]'"):
        shop_report.to_frame()
