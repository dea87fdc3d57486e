"""Stable JSON and CSV serialisations of a report (same input, same bytes)."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsim.report.build import Report


def to_json(report: Report) -> str:
    """The SPEC section 3 JSON, indented, keys in a fixed order, newline-terminated."""
    return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"


def to_csv(report: Report) -> str:
    """Long-format CSV: ``section,name,metric,value``, one row per number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "name", "metric", "value"])
    data = report.to_dict()
    for section in ("requests", "components", "subscribers"):
        for name, entry in data[section].items():
            for metric, value in _flatten(entry):
                writer.writerow([section, name, metric, value])
    writer.writerow(["summary", "", "bottleneck", data["bottleneck"] or ""])
    return out.getvalue()


def _flatten(entry: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in entry.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_flatten(value, name + "."))
        elif isinstance(value, list):
            rows.extend((f"{name}[{i}]", v) for i, v in enumerate(value))
        else:
            rows.append((name, "" if value is None else value))
    return rows
