"""Pictures of runs and comparisons with matplotlib: for ``--plot`` files and the HTML report.

Every figure is built from the plain data of a report (``Report.to_dict()`` or the JSON a
command printed), plus the raw response times when they are at hand; without them a latency
distribution is drawn through the report's percentiles. Figures are sized and lettered for a
slide (11 x 5.5 inches, 13 pt text), every axis names its unit, and the same data gives the
same SVG bytes. matplotlib is optional (``archsim[plot]``) and imported inside the functions.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archsim.errors import ArchsimError
from archsim.report.plot import MISSING_MATPLOTLIB, check_plot_path

SLIDE_SIZE = (11.0, 5.5)
PNG_DPI = 150
STYLE = {"svg.fonttype": "none", "svg.hashsalt": "archsim", "font.size": 13,
         "axes.titlesize": 15, "axes.labelsize": 13, "legend.fontsize": 11,
         "xtick.labelsize": 12, "ytick.labelsize": 12, "axes.grid": True, "grid.alpha": 0.3}
LATENCY_AXIS = "latency (ms, log scale)"
SHARE_AXIS = "requests completed within (%)"
UTILIZATION_AXIS = "utilization (% of workers busy)"
P99_AXIS = "p99 latency (ms)"
BOTTLENECK_COLOR = "tab:red"
BAR_COLOR = "tab:blue"
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("max", 100.0))
CDF_POINTS = 400
MAX_COMPARED_COMPONENTS = 14
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(url\(#|href="#)([^")]+)')


@contextmanager
def slide_figure(columns: int = 2, rows: int = 1,
                 size: tuple[float, float] = SLIDE_SIZE) -> Iterator[tuple[Any, Any]]:
    """A new figure with ``rows`` x ``columns`` axes in the slide style; closed afterwards."""
    try:
        import matplotlib
    except ImportError:
        raise ArchsimError(MISSING_MATPLOTLIB) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(STYLE):
        figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
        try:
            yield figure, axes
        finally:
            plt.close(figure)


def save_figure(figure: Any, path: str) -> None:
    """Write a figure to a .png (150 dpi), .svg or .pdf file without a creation date."""
    check_plot_path(path)
    suffix = Path(path).suffix.lower()
    metadata = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(suffix, {})
    try:
        figure.savefig(path, dpi=PNG_DPI, metadata=metadata)
    except OSError as exc:
        raise ArchsimError(f"cannot write {path}: {exc.strerror or exc}") from None


def figure_svg(figure: Any, ident: str) -> str:
    """The figure as an ``<svg>`` element for inline use, its ids prefixed with ``ident``."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return inline_svg(buffer.getvalue(), ident)


def inline_svg(text: str, ident: str) -> str:
    """An SVG document as an element to put in HTML: no XML prologue, ids made unique."""
    text = text[text.index("<svg"):]
    text = _ID.sub(lambda m: f'id="{ident}-{m.group(1)}"', text)
    text = _REFERENCE.sub(lambda m: f"{m.group(1)}{ident}-{m.group(2)}", text)
    return text.replace("<svg ", f'<svg class="chart" id="{ident}" ', 1)


def plot_run(report: Any, path: str) -> None:
    """Draw a run (a Report) to ``path``: latency distribution and utilization side by side."""
    check_plot_path(path)
    with slide_figure() as (figure, axes):
        draw_run(report.to_dict(), report.latency_samples_s, axes[0][0], axes[0][1])
        figure.suptitle(f"{report.topology}: latency and utilization")
        figure.tight_layout()
        save_figure(figure, path)


def plot_comparison(comparison: Any, path: str) -> None:
    """Draw a comparison (a Comparison) to ``path``: p99 per class, utilization per component."""
    check_plot_path(path)
    with slide_figure() as (figure, axes):
        draw_comparison(comparison.to_dict(), axes[0][0], axes[0][1])
        figure.suptitle("layouts compared: " + " vs ".join(comparison.labels))
        figure.tight_layout()
        save_figure(figure, path)


def draw_run(data: Mapping[str, Any], samples: Mapping[str, Any] | None, left: Any,
             right: Any) -> None:
    """Latency CDF per request class (left) and utilization per component (right)."""
    draw_latency(left, [(name, (samples or {}).get(name), entry["latency_ms"])
                        for name, entry in data["requests"].items()])
    left.set_title("latency distribution per request class")
    draw_utilization(right, data)


def draw_latency(axes: Any, series: Sequence[tuple[str, Any, Mapping[str, Any]]]) -> None:
    """One cumulative distribution per series (label, samples in s or None, latency_ms)."""
    import numpy as np

    drawn = 0
    for label, samples, percentiles in series:
        if samples is not None and len(samples):
            ms = np.sort(np.asarray(samples, dtype=float)) * 1000.0
            share = np.linspace(0.0, 100.0, CDF_POINTS)
            values = np.quantile(ms, share / 100.0)
            axes.plot(np.maximum(values, 1e-3), share, "-", linewidth=2, label=label)
            drawn += 1
            continue
        points = [(percentiles[k], q) for k, q in PERCENTILES if percentiles.get(k) is not None]
        if points:
            axes.plot([max(v, 1e-3) for v, _ in points], [q for _, q in points], "o-",
                      linewidth=2, label=f"{label} (percentiles)")
            drawn += 1
    axes.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axes.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel(LATENCY_AXIS)
    axes.set_ylabel(SHARE_AXIS)
    axes.set_ylim(0, 101)
    for share, name, offset in ((50, "p50", 3), (99, "p99", -13)):
        axes.axhline(share, color="grey", linestyle=":", linewidth=1)
        axes.annotate(name, (0.01, share), xycoords=("axes fraction", "data"),
                      textcoords="offset points", xytext=(0, offset), fontsize=10,
                      color="grey")
    if drawn:
        axes.legend(loc="lower right")
    else:
        axes.text(0.5, 0.5, "no completed requests", ha="center", transform=axes.transAxes)


def draw_utilization(axes: Any, data: Mapping[str, Any]) -> None:
    """Horizontal bars of every component's (and consumer group's) utilization, in percent."""
    rows = _utilization_rows(data)
    names = [name for name, _, _ in rows]
    values = [100.0 * value for _, value, _ in rows]
    bottleneck = data.get("bottleneck")
    colors = [BOTTLENECK_COLOR if name.split(" ")[0] == bottleneck else BAR_COLOR
              for name in names]
    errors = [[100.0 * max(0.0, v - ci[0]) if ci else 0.0 for _, v, ci in rows],
              [100.0 * max(0.0, ci[1] - v) if ci else 0.0 for _, v, ci in rows]]
    positions = list(range(len(rows)))
    axes.barh(positions, values, color=colors, xerr=errors, capsize=3)
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.set_xlim(0, 105)
    axes.set_xlabel(UTILIZATION_AXIS)
    axes.set_title("utilization per component")
    from matplotlib.patches import Patch

    handles = [Patch(color=BAR_COLOR, label="component")]
    if bottleneck:
        handles.append(Patch(color=BOTTLENECK_COLOR, label=f"bottleneck ({bottleneck})"))
    axes.legend(handles=handles, loc="lower right")


def _utilization_rows(data: Mapping[str, Any]) -> list[tuple[str, float, list[float] | None]]:
    rows: list[tuple[str, float, list[float] | None]] = [
        (name, entry["utilization"], entry.get("ci95_utilization"))
        for name, entry in data["components"].items() if entry.get("utilization") is not None]
    for name, entry in (data.get("subscribers") or {}).items():
        if entry.get("consumer_utilization") is not None:
            rows.append((f"{name} (consumers)", entry["consumer_utilization"], None))
    return rows


def draw_comparison(data: Mapping[str, Any], left: Any, right: Any) -> None:
    """Grouped bars, one colour per layout: p99 per request class, utilization per component."""
    labels = [layout["label"] for layout in data["layouts"]]
    reports = data["reports"]
    classes = list(dict.fromkeys(n for label in labels for n in reports[label]["requests"]))
    _grouped(left, classes, labels, lambda label, name: reports[label]["requests"].get(
        name, {}).get("latency_ms", {}).get("p99"))
    left.set_ylabel(P99_AXIS)
    left.set_xlabel("request class")
    left.set_title("p99 latency per request class")
    _utilization_by_layout(right, labels, reports)


def _utilization_by_layout(axes: Any, labels: list[str], reports: Mapping[str, Any]) -> None:
    """Horizontal bars, one row per (component, layout) present, the busiest components.

    Colours follow the layouts in order, as in the p99 panel, whose legend names them.
    """
    import matplotlib as mpl

    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    busiest: dict[str, float] = {}
    for label in labels:
        for name, entry in reports[label]["components"].items():
            if entry.get("utilization") is not None:
                busiest[name] = max(busiest.get(name, 0.0), entry["utilization"])
    shown = sorted(busiest, key=lambda n: -busiest[n])[:MAX_COMPARED_COMPONENTS]
    shown = [n for n in busiest if n in shown]  # file order
    position, ticks = 0.0, []
    for name in shown:
        rows = [(i, reports[label]["components"].get(name, {}).get("utilization"))
                for i, label in enumerate(labels)]
        rows = [(i, value) for i, value in rows if value is not None]
        ticks.append(position + (len(rows) - 1) / 2)
        for i, value in rows:
            axes.barh(position, 100.0 * value, color=colors[i % len(colors)])
            position += 1
        position += 0.6
    axes.set_yticks(ticks, shown)
    axes.invert_yaxis()
    axes.set_xlim(0, 105)
    axes.set_xlabel(UTILIZATION_AXIS)
    hidden = len(busiest) - len(shown)
    axes.set_title("utilization per component" + (f" (busiest {len(shown)})" if hidden else ""))


def _grouped(axes: Any, groups: list[str], labels: list[str], value: Any) -> None:
    width = 0.8 / max(1, len(labels))
    for index, label in enumerate(labels):
        xs = [g + (index - (len(labels) - 1) / 2) * width for g in range(len(groups))]
        ys = [value(label, name) for name in groups]
        axes.bar([x for x, y in zip(xs, ys, strict=True) if y is not None],
                 [y for y in ys if y is not None], width=width, label=label)
    axes.set_xticks(list(range(len(groups))), groups)
    axes.legend(loc="best", title="layout")


def latency_by_class(series: Mapping[str, Sequence[tuple[str, Any, Mapping[str, Any]]]],
                     ident: str) -> str:
    """One latency CDF panel per request class, a line per layout, as inline SVG."""
    count = len(series)
    columns = min(3, count)
    rows = (count + columns - 1) // columns
    size = (SLIDE_SIZE[0], max(SLIDE_SIZE[1], 4.2 * rows))
    with slide_figure(columns, rows, size) as (figure, axes):
        flat = [a for row in axes for a in row]
        for panel, (name, lines) in zip(flat, series.items(), strict=False):
            draw_latency(panel, lines)
            panel.set_title(f"{name}: latency distribution")
        for panel in flat[count:]:
            panel.set_visible(False)
        figure.tight_layout()
        return figure_svg(figure, ident)
