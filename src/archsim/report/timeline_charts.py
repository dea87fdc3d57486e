"""A report's ``timeline`` as charts, whatever shape the per-interval series come in.

The timeline is read generously (see :func:`timeline_series`) so that the HTML report shows
the series a run recorded without knowing each one: one chart per metric, a line per series,
time on the x axis.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from archsim.report.figures import SLIDE_SIZE, figure_svg, slide_figure

MAX_TIMELINE_CHARTS = 12
MAX_LINES = 10
TIME_AXIS = "time (s)"
TIME_KEYS = ("t_s", "time_s", "start_s", "times_s", "interval_start_s", "at_s", "t")
_UNITS = {"_rps": "per second", "_ms": "ms", "_s": "s", "_pct": "%"}
NOT_SERIES = ("dt_s", "interval_s", "width_s")
LABELS = {"utilization": "utilization (fraction of workers busy)",
          "open_share": "breaker open (share of the interval)"}


def timeline_series(timeline: Any) -> tuple[list[float], dict[str, dict[str, list[float]]]]:
    """Times and ``{metric: {series: values}}`` from a report's ``timeline``, whatever its shape.

    Accepted: a mapping with a time list (``t_s``, ``time_s``, ...) and number lists of the
    same length at any depth (``{"requests": {"browse": {"p99_ms": [...]}}}``), the same with
    the records under ``intervals``/``points``, or a list of records. A series is named by its
    path; its metric is the last key. Returns no metrics when nothing fits.
    """
    if isinstance(timeline, Mapping):
        for key in ("intervals", "points", "records"):
            if isinstance(timeline.get(key), list) and not _time_key(timeline):
                return timeline_series(timeline[key])
    if isinstance(timeline, list) and timeline and all(isinstance(r, Mapping)
                                                       for r in timeline):
        columns: dict[str, list[Any]] = {}
        for record in timeline:
            for key, value in _leaves(record, ""):
                columns.setdefault(key, []).append(value)
        timeline = columns
    if not isinstance(timeline, Mapping):
        return [], {}
    key = _time_key(timeline)
    times = timeline.get(key) if key else None
    if not isinstance(times, list) or not all(_number(t) for t in times):
        return [], {}
    metrics: dict[str, dict[str, list[float]]] = {}
    for path, values in _leaves(timeline, ""):
        if path == key or not isinstance(values, list) or len(values) != len(times):
            continue
        parts = path.split(".")
        if parts[-1] in NOT_SERIES or not all(v is None or _number(v) for v in values):
            continue
        entity = ".".join(parts[:-1]) or "all"
        metrics.setdefault(parts[-1], {})[entity] = [
            float("nan") if v is None else float(v) for v in values]
    return [float(t) for t in times], {m: _short_names(s) for m, s in metrics.items()}


def warmup_end(timeline: Any) -> float | None:
    """Where the warm-up ends on the time axis: ``warmup_s``, or the start of bin
    ``warmup_bins`` of ``t_s``; None when the timeline does not say."""
    if not isinstance(timeline, Mapping):
        return None
    if _number(timeline.get("warmup_s")):
        return float(timeline["warmup_s"])
    bins, times = timeline.get("warmup_bins"), timeline.get("t_s")
    if isinstance(bins, int) and isinstance(times, list) and 0 < bins < len(times):
        return float(times[bins])
    return None


def _short_names(series: dict[str, list[float]]) -> dict[str, list[float]]:
    """Drop a first path part every series shares (``requests.browse`` -> ``browse``)."""
    heads = {name.split(".", 1)[0] for name in series}
    if len(heads) == 1 and all("." in name for name in series):
        return {name.split(".", 1)[1]: values for name, values in series.items()}
    return series


def timeline_svgs(timeline: Any, ident: str) -> list[str]:
    """One chart per timeline metric (lines per series) as inline SVG; [] when none fit."""
    times, metrics = timeline_series(timeline)
    warmup = warmup_end(timeline)
    charts = []
    for number, (metric, series) in enumerate(list(metrics.items())[:MAX_TIMELINE_CHARTS]):
        with slide_figure(1, 1, (SLIDE_SIZE[0], 3.6)) as (figure, axes):
            panel = axes[0][0]
            for name, values in list(series.items())[:MAX_LINES]:
                panel.plot(times, values, "-", linewidth=1.8, label=name)
            if warmup is not None:
                panel.axvspan(times[0], warmup, color="grey", alpha=0.15, label="warm-up")
            panel.set_xlabel(TIME_AXIS)
            panel.set_ylabel(axis_label(metric))
            panel.set_title(f"timeline: {axis_label(metric)}")
            if len(series) > 1 or next(iter(series)) != "all" or warmup is not None:
                panel.legend(loc="best")
            figure.tight_layout()
            charts.append(figure_svg(figure, f"{ident}-{number}"))
    return charts


def axis_label(metric: str) -> str:
    """``throughput_rps`` -> ``throughput (per second)``; ``p99_ms`` -> ``p99 (ms)``."""
    if metric in LABELS:
        return LABELS[metric]
    for suffix, unit in _UNITS.items():
        if metric.endswith(suffix):
            return f"{metric.removesuffix(suffix).replace('_', ' ')} ({unit})"
    return metric.replace("_", " ")


def _time_key(mapping: Mapping[str, Any]) -> str | None:
    return next((k for k in TIME_KEYS if isinstance(mapping.get(k), list)), None)


def _leaves(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
