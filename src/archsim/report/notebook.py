"""A Report in a notebook: rich HTML display and pandas DataFrames (``archsim[notebook]``).

``Report._repr_html_`` shows the run's tables and charts in Jupyter (charts need matplotlib);
``Report.to_frame(section)`` gives one section as a DataFrame, one row per request class,
component or subscriber and one column per (flattened) metric: ``latency_ms.p99``,
``ci95.throughput_rps.low``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.report.build import Report

SECTIONS = {"requests": "class", "components": "component", "subscribers": "subscriber"}
OTHER_SECTIONS = ("slos", "long")
MISSING_PANDAS = ("Report.to_frame needs pandas, which is not installed; install it with: "
                  "pip install 'archsim[notebook]'")


def report_html(report: Report) -> str:
    """The run as an HTML fragment with its own (scoped) styles."""
    from archsim.report.document import Layout
    from archsim.report.html import render_fragment

    return render_fragment(Layout(report.topology, None, report.to_dict(),
                                  report.latency_samples_s))


def report_frame(report: Report, section: str = "requests") -> Any:
    """One section of the report as a pandas DataFrame.

    Parameters
    ----------
    section:
        ``requests``, ``components`` or ``subscribers`` (indexed by name), ``slos`` (one row
        per objective and class), or ``long`` (the rows of ``archsim run --csv``).

    Raises
    ------
    ImportError
        When pandas is not installed (``pip install 'archsim[notebook]'``).
    ValueError
        For an unknown section.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(MISSING_PANDAS) from None
    data = report.to_dict()
    if section in SECTIONS:
        rows = {name: dict(_flatten(entry, "")) for name, entry in data[section].items()}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = SECTIONS[section]
        return frame
    if section == "slos":
        return pd.DataFrame(data["slos"])
    if section == "long":
        import io

        from archsim.report.jsonout import to_csv

        return pd.read_csv(io.StringIO(to_csv(report)), dtype={"value": object},
                           keep_default_na=False)
    choices = ", ".join([*SECTIONS, *OTHER_SECTIONS])
    raise ValueError(f"unknown section {section!r}; choose one of {choices}")


def _flatten(entry: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    """Nested dicts to dotted columns; a 95% interval ``[low, high]`` to two columns."""
    columns: list[tuple[str, Any]] = []
    for key, value in entry.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            columns.extend(_flatten(value, name + "."))
        elif "ci95" in name and _interval(value):
            low, high = value if value is not None else (None, None)
            columns.extend([(f"{name}.low", low), (f"{name}.high", high)])
        else:
            columns.append((name, value))
    return columns


def _interval(value: Any) -> bool:
    return value is None or (isinstance(value, list) and len(value) == 2)
