"""A sweep as a picture (PNG, SVG or PDF) with matplotlib, an optional dependency.

``pip install 'archsim[plot]'`` installs it; matplotlib is imported only here, inside the
function, with the Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsim.errors import ArchsimError, UsageError

if TYPE_CHECKING:
    from archsim.analysis.sweep import SweepResult

FORMATS = (".png", ".svg", ".pdf")
THROUGHPUT_LABEL = "throughput (requests/s)"
LATENCY_LABEL = "latency (ms)"
MISSING_MATPLOTLIB = ("plotting needs matplotlib, which is not installed; install it with: "
                      "pip install 'archsim[plot]'")


def check_plot_path(path: str) -> None:
    """Refuse a file type matplotlib will not be asked to write (UsageError)."""
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"the plot file must end in {', '.join(FORMATS)}, got {path!r}")


def require_matplotlib() -> None:
    """Raise ArchsimError (exit 1 on the command line) when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ArchsimError(MISSING_MATPLOTLIB) from None


def plot_sweep(result: SweepResult, path: str) -> None:
    """Draw throughput (with the offered rate) and p50/p99 against the swept parameter.

    The knee and the saturation point are marked with vertical lines. Text stays text in an
    SVG (``svg.fonttype: none``), so the labels can be searched.

    Raises
    ------
    UsageError
        For a file name not ending in .png, .svg or .pdf.
    ArchsimError
        When matplotlib is not installed, or the file cannot be written.
    """
    check_plot_path(path)
    try:
        import matplotlib
    except ImportError:
        raise ArchsimError(MISSING_MATPLOTLIB) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, ticks = _axis(result)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "archsim"}):
        figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7.5, 6.5))
        try:
            _draw(result, xs, top, bottom)
            if ticks:
                bottom.set_xticks(xs, ticks)
            figure.suptitle(f"{result.topology}: sweep of {result.parameter}")
            figure.tight_layout()
            figure.savefig(path, metadata=_metadata(path))
        except OSError as exc:
            raise ArchsimError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            plt.close(figure)


def _axis(result: SweepResult) -> tuple[list[float], list[str] | None]:
    from archsim.report.sweep_render import value_text

    if result.numeric:
        return [float(p.value) for p in result.points], None
    return list(range(len(result.points))), [value_text(p.value) for p in result.points]


def _draw(result: SweepResult, xs: list[float], top: Any, bottom: Any) -> None:
    """Fill the throughput axes (top) and the latency axes (bottom)."""
    points = result.points
    offered = [p.offered_rps for p in points]
    top.plot(xs, [_nan(p.throughput_rps) for p in points], "o-", label="throughput")
    if any(v is not None for v in offered):
        top.plot(xs, [_nan(v) for v in offered], "--", color="grey", label="offered")
    top.set_ylabel(THROUGHPUT_LABEL)
    top.set_ylim(bottom=0)
    for key, style in (("p50", "o-"), ("p99", "s-")):
        bottom.plot(xs, [_nan(p.latency_ms.get(key)) for p in points], style, label=key)
    bottom.set_ylabel(LATENCY_LABEL)
    bottom.set_yscale("log")
    bottom.set_xlabel(result.parameter.replace("_", " "))
    for index, label, color in ((result.knee, "knee", "tab:orange"),
                                (result.saturation, "saturation", "tab:red")):
        if index is None:
            continue
        for axes in (top, bottom):
            axes.axvline(xs[index], color=color, linestyle=":",
                         label=f"{label} ({xs[index]:g})" if result.numeric else label)
    for axes in (top, bottom):
        axes.grid(True, alpha=0.3)
        axes.legend(loc="best", fontsize="small")
    if result.numeric and all(float(p.value).is_integer() for p in points):
        from matplotlib.ticker import MaxNLocator

        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _metadata(path: str) -> dict[str, str | None]:
    """No creation date in the file, so the same sweep gives the same bytes."""
    suffix = Path(path).suffix.lower()
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None}
    return {}
