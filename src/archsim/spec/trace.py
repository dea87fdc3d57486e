"""Arrival traces: ``trace: FILE.csv`` read into arrival times, bad rows as located issues.

A trace is a CSV file, one arrival per row. The first column is the arrival time: seconds
since the start of the run (warm-up included) as a number, or a duration with a unit
(``1.5s``, ``250ms``). An optional second column names the request class: a file shared by
several workload entries gives each the rows naming it. A first row whose time column is
``time`` (or ``t``, ``at``, ``timestamp``) is a header. Times are non-negative and in order.
Relative paths resolve against the topology file's folder.
"""

from __future__ import annotations

import csv
import os
from typing import TYPE_CHECKING

from archsim.errors import Issue, Loc
from archsim.spec.pydantic_errors import suggest
from archsim.spec.units import parse_duration

if TYPE_CHECKING:
    from archsim.spec.schema import Topology
    from archsim.spec.yamlload import Positions

HEADER_NAMES = frozenset({"time", "t", "at", "timestamp", "time_s"})
MAX_ROWS = 5_000_000


def _time(text: str) -> float:
    """Seconds from a CSV cell: a plain number is seconds, else a duration with a unit."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        return parse_duration(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite time, got '{value}'")
    return number


Row = tuple[float, str | None, int]


def read_trace(path: str, shown: str, loc: Loc = ()) -> tuple[list[Row], list[Issue]]:
    """Rows ``(time_s, class or None, line)`` of the trace at ``path`` and every bad row.

    ``shown`` is the file name used in issues, ``loc`` the key path of the ``trace`` key. Each
    issue names the row (line) and column.
    """
    rows: list[Row] = []
    issues: list[Issue] = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            last = 0.0
            for number, row in enumerate(reader, start=1):
                if number > MAX_ROWS:
                    issues.append(Issue(f"expected at most {MAX_ROWS} rows, got more", loc,
                                        shown, number, 1, "trace"))
                    break
                if not row or all(not cell.strip() for cell in row):
                    continue
                if number == 1 and row[0].strip().lower() in HEADER_NAMES:
                    continue
                try:
                    at = _time(row[0])
                except ValueError as exc:
                    issues.append(Issue(f"column 1 (time): {exc}", loc, shown, number, 1, "trace"))
                    continue
                if at < 0 or at < last:
                    issues.append(Issue(
                        f"column 1 (time): expected a time >= {max(last, 0):g}s (non-negative, "
                        f"in order), got {at:g}s", loc, shown, number, 1, "trace"))
                    continue
                last = at
                name = row[1].strip() if len(row) > 1 and row[1].strip() else None
                if len(row) > 2 and any(cell.strip() for cell in row[2:]):
                    issues.append(Issue(f"expected at most 2 columns (time, class), got "
                                        f"{len(row)}", loc, shown, number, 3, "trace"))
                    continue
                rows.append((at, name, number))
    except FileNotFoundError:
        issues.append(Issue("no such trace file", loc, shown, 0, 0, "io"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        issues.append(Issue(f"cannot read the trace: {exc}", loc, shown, 0, 0, "io"))
    return rows, issues


def attach_traces(topology: Topology, positions: Positions,
                  filename: str) -> tuple[Topology, list[Issue]]:
    """Read every workload's ``trace`` and store its arrival times in ``trace_times_s``.

    Returns the topology with the times filled in and the problems found (in the CSV files,
    located by row and column, or at the ``trace`` key when a file cannot be read or a class
    column names no workload using it).
    """
    folder = os.path.dirname(filename) if filename != "<string>" else "."
    traced = [(index, w) for index, w in enumerate(topology.workload) if w.trace is not None]
    if not traced:
        return topology, []
    users: dict[str, list[str]] = {}
    for _, workload in traced:
        users.setdefault(workload.trace, []).append(workload.name)  # type: ignore[arg-type]
    read: dict[str, tuple[list[Row], list[Issue]]] = {}
    issues: list[Issue] = []
    updated = list(topology.workload)
    for index, workload in traced:
        given: str = workload.trace  # type: ignore[assignment]
        path = given if os.path.isabs(given) else os.path.join(folder, given)
        shown = os.path.normpath(path) if filename != "<string>" else given
        if given not in read:
            read[given] = read_trace(path, shown, ("workload", index, "trace"))
            issues.extend(_at_key(i, index, positions, filename) for i in read[given][1])
            issues.extend(_unknown_classes(read[given][0], users[given], shown,
                                           ("workload", index, "trace")))
        rows = read[given][0]
        shared = any(name is not None for _, name, _ in rows)
        times = tuple(at for at, name, _ in rows if not shared or name == workload.name)
        updated[index] = workload.model_copy(update={"trace_times_s": times})
    return topology.model_copy(update={"workload": tuple(updated)}), issues


def _at_key(issue: Issue, index: int, positions: Positions, filename: str) -> Issue:
    """A file-level problem (unreadable) is shown at the workload's ``trace`` key."""
    if issue.kind != "io":
        return issue
    line, column = positions.of_value(issue.path)
    return Issue(f"{issue.message}: {issue.file}", issue.path, filename, line, column, "io")


def _unknown_classes(rows: list[Row], names: list[str],
                     shown: str, loc: Loc) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for _, name, number in rows:
        if name is None or name in names or name in seen:
            continue
        seen.add(name)
        hint = suggest(name, names)
        issues.append(Issue(
            f"column 2 (class): expected a workload using this trace ({', '.join(names)}), got "
            f"'{name}'" + (f".{hint}" if hint else ""), loc, shown, number, 2, "trace"))
    return issues
