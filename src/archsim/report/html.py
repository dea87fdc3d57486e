"""One self-contained HTML file for a design review, from a :class:`Document`.

The page has no script and loads nothing: the diagram and the charts are inline SVG, the
styles are inline, fonts are the reader's own sans-serif. It opens offline, prints, and can be
mailed. Templates (jinja2, autoescaped) live in ``report/templates``; charts need matplotlib
(``archsim[plot]``) and are replaced by a note without it. The same inputs give the same bytes.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsim import __version__
from archsim.errors import ArchsimError
from archsim.report.html_tables import comparison_tables, flows_table, run_tables, sweep_table

if TYPE_CHECKING:
    from jinja2 import Environment

    from archsim.analysis.sweep import SweepResult
    from archsim.report.document import Document, Layout
    from archsim.spec.schema import Topology

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SLUG = re.compile(r"[^a-z0-9]+")
RAW_TIMELINE_CHARS = 20_000


@cache
def environment() -> Environment:
    """The jinja2 environment over the packaged templates (autoescaping HTML)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def render_html(document: Document) -> str:
    """The whole page as text."""
    notices: list[str] = []
    used: set[str] = set()
    layouts = [layout_view(layout, _anchor(f"layout-{layout.label}", used), notices)
               for layout in document.layouts]
    comparison = (_comparison_view(document, notices) if document.comparison is not None
                  else None)
    drawn = {layout.topology.name for layout in document.layouts if layout.topology}
    sweeps = [_sweep_view(result, None if topology and topology.name in drawn else topology,
                          _anchor(f"sweep-{result.topology}", used), notices)
              for result, topology in document.sweeps]
    toc = ([("comparison", "Comparison")] if comparison else []) + [
        (view["anchor"], view["heading"]) for view in layouts + sweeps]
    return environment().get_template("report.html.j2").render(
        title=document.title, version=__version__, toc=toc, comparison=comparison,
        layouts=layouts, sweeps=sweeps, notices=list(dict.fromkeys(notices)))


def write_html(document: Document, path: str) -> None:
    """Write the page to ``path`` (UTF-8).

    Raises
    ------
    ArchsimError
        When the file cannot be written.
    """
    text = render_html(document)
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise ArchsimError(f"cannot write {path}: {exc.strerror or exc}") from None


def render_fragment(layout: Layout) -> str:
    """One layout's section with its styles, for a notebook cell (``Report._repr_html_``)."""
    notices: list[str] = []
    view = layout_view(layout, _anchor(f"layout-{layout.label}", set()), notices,
                       diagram_notice=False)
    return environment().get_template("fragment.html.j2").render(
        layout=view, notices=notices)


def layout_view(layout: Layout, anchor: str, notices: list[str],
                diagram_notice: bool = True) -> dict[str, Any]:
    """What the template needs for one layout: diagram, tables, charts, timeline, warnings."""
    run = layout.run
    view: dict[str, Any] = {
        "anchor": anchor, "heading": layout.label, "summary": _summary(run) if run else "",
        "description": layout.topology.description if layout.topology else "",
        "diagram": None, "flows": None, "tables": [], "charts": [], "timeline": [],
        "timeline_raw": "", "warnings": list(run.get("warnings", [])) if run else []}
    if layout.topology is not None:
        view.update(_diagram(layout.topology, anchor, run))
    elif run is not None and diagram_notice:
        notices.append("Diagrams need the topology: pass the topology files with --from-json.")
    if run is None:
        return view
    view["tables"] = run_tables(run, f"{anchor}-")
    view["charts"] = _charts(notices, _run_chart, run, layout.samples, f"{anchor}-chart")
    if run.get("timeline") is not None:
        from archsim.report.timeline_charts import timeline_svgs

        view["timeline"] = _charts(notices, timeline_svgs, run["timeline"],
                                   f"{anchor}-timeline")
        if not view["timeline"]:
            import json

            view["timeline_raw"] = json.dumps(run["timeline"], indent=1)[:RAW_TIMELINE_CHARS]
    return view


def _diagram(topology: Topology, anchor: str, run: dict[str, Any] | None) -> dict[str, Any]:
    from markupsafe import Markup

    from archsim.report.diagram import flows, topology_svg

    svg = topology_svg(topology, (run or {}).get("components"), (run or {}).get("bottleneck"),
                       ident=f"{anchor}-diagram")
    return {"diagram": Markup(svg), "flows": flows_table(flows(topology), f"{anchor}-")}


def _comparison_view(document: Document, notices: list[str]) -> dict[str, Any]:
    data = document.comparison or {}
    samples = {layout.label: layout.samples for layout in document.layouts}
    sim = data.get("simulation", {})
    seeds = ("the same seeds in every layout (common random numbers), differences paired by "
             "replication" if sim.get("common_random_numbers") else "independent seeds")
    summary = (f"{sim.get('replications')} replication(s) x {sim.get('duration_s')} s after "
               f"{sim.get('warmup_s')} s warm-up, {seeds}; baseline {data.get('baseline')}")
    return {"summary": summary, "tables": comparison_tables(data),
            "charts": _charts(notices, _comparison_charts, data, samples, "comparison-chart")}


def _sweep_view(result: SweepResult, topology: Topology | None, anchor: str,
                notices: list[str]) -> dict[str, Any]:
    from archsim.report.sweep_render import summary_lines

    sim = result.simulation
    summary = (f"{sim['replications']} replication(s) x {sim['duration_s']:g} s after "
               f"{sim['warmup_s']:g} s warm-up, seed {sim['seed']}, the same seeds at every "
               "point" if sim else "")
    view: dict[str, Any] = {
        "anchor": anchor, "heading": f"Sweep of {result.parameter}: {result.topology}",
        "summary": summary, "lines": summary_lines(result), "diagram": None, "flows": None,
        "table": sweep_table(result, f"{anchor}-"),
        "charts": _charts(notices, _sweep_chart, result, f"{anchor}-chart")}
    if topology is not None:
        view.update(_diagram(topology, anchor, None))
    return view


def _charts(notices: list[str], draw: Any, *arguments: Any) -> list[Any]:
    """Inline SVG charts from ``draw``, or [] and a notice when matplotlib is missing."""
    from markupsafe import Markup

    try:
        charts = draw(*arguments)
    except ArchsimError as exc:
        notices.append(f"Charts are missing: {exc}")
        return []
    return [Markup(svg) for svg in (charts if isinstance(charts, list) else [charts])]


def _run_chart(run: dict[str, Any], samples: Any, ident: str) -> str:
    from archsim.report.figures import draw_run, figure_svg, slide_figure

    with slide_figure() as (figure, axes):
        draw_run(run, samples, axes[0][0], axes[0][1])
        figure.tight_layout()
        return figure_svg(figure, ident)


def _comparison_charts(data: dict[str, Any], samples: dict[str, Any], ident: str) -> list[str]:
    from archsim.report.figures import (
        draw_comparison,
        figure_svg,
        latency_by_class,
        slide_figure,
    )

    with slide_figure() as (figure, axes):
        draw_comparison(data, axes[0][0], axes[0][1])
        figure.tight_layout()
        charts = [figure_svg(figure, ident)]
    series: dict[str, list[tuple[str, Any, Any]]] = {}
    for layout in data["layouts"]:
        label = layout["label"]
        for name, entry in data["reports"][label]["requests"].items():
            series.setdefault(name, []).append(
                (label, (samples.get(label) or {}).get(name), entry["latency_ms"]))
    if series:
        charts.append(latency_by_class(series, f"{ident}-latency"))
    return charts


def _sweep_chart(result: SweepResult, ident: str) -> str:
    import tempfile

    from archsim.report.figures import inline_svg
    from archsim.report.plot import plot_sweep, require_matplotlib

    require_matplotlib()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "sweep.svg")
        plot_sweep(result, path)
        return inline_svg(Path(path).read_text(encoding="utf-8"), ident)


def _summary(run: dict[str, Any]) -> str:
    sim = run.get("simulation", {})
    auto = " (auto, MSER-5)" if sim.get("warmup_auto") else ""
    scale = sim.get("rate_scale", 1.0)
    load = f", rate scale {scale:g}" if scale != 1.0 else ""
    return (f"{sim.get('replications')} replication(s) x {sim.get('duration_s')} s after "
            f"{sim.get('warmup_s')} s warm-up{auto}, seed {sim.get('seed')}{load}; "
            f"bottleneck: {run.get('bottleneck') or 'none'}")


def _anchor(text: str, used: set[str]) -> str:
    base = _SLUG.sub("-", text.lower()).strip("-") or "section"
    anchor, number = base, 1
    while anchor in used:
        number += 1
        anchor = f"{base}-{number}"
    used.add(anchor)
    return anchor

