"""Terminal tables that never cut a number: columns split over several tables when narrow.

Rich shrinks columns that do not fit the console and ends their cells with an ellipsis, so a
report read in an 80-column terminal showed ``1,76…`` for ``1,769.2``. :func:`fit_tables`
measures each column's widest cell, gives it that as a ``min_width``, and when the whole row
is wider than the console it deals the columns over several tables, each repeating the key
columns (the class or component name) so every row stays readable. Only a free-text column
(``wrap``, such as a sweep's note) wraps, at spaces.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich import box
    from rich.console import Console

Cell = str | Text
WRAP_MIN = 24
"""A wrapping column gets at least this many cells before the table is split instead."""


def _width(cell: Cell) -> int:
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.splitlines()), default=0)
    return max((cell_len(line) for line in cell.splitlines()), default=0)


def _table_width(widths: Sequence[int]) -> int:
    """Cells a rich table takes: padding 1 each side, one rule between columns, two edges."""
    return sum(widths) + 3 * len(widths) + 1


def fit_tables(console: Console, headers: Sequence[tuple[Cell, str]],
               rows: Sequence[Sequence[Cell]], style: box.Box, *, title: str | None = None,
               keys: int = 1, wrap: int | None = None,
               breaks: Collection[int] = ()) -> list[Table]:
    """Tables holding ``rows`` under ``headers`` ((text, justify) pairs) within the console.

    Parameters
    ----------
    keys:
        How many leading columns identify a row; every table repeats them.
    wrap:
        Index of a free-text column that may wrap at spaces (it goes last and takes the width
        left, at least ``WRAP_MIN``); every other column keeps its widest cell whole.
    breaks:
        Row indices before which a section rule is drawn.
    """
    widths = [max([_width(header), *(_width(row[i]) for row in rows)])
              for i, (header, _) in enumerate(headers)]
    limit = max(console.width, 1)
    groups: list[list[int]] = []
    current = list(range(keys))
    for index in range(keys, len(headers)):
        need = [widths[i] for i in current] + [WRAP_MIN if index == wrap else widths[index]]
        if len(current) > keys and _table_width(need) > limit:
            groups.append(current)
            current = list(range(keys))
        current.append(index)
    groups.append(current)
    tables = []
    for number, group in enumerate(groups):
        heading = title if number == 0 else (f"{title} (continued)" if title else None)
        table = Table(title=heading, box=style, title_justify="left")
        for index in group:
            header, justify = headers[index]
            if index == wrap:
                table.add_column(header, justify=justify)  # type: ignore[arg-type]
            else:
                table.add_column(header, justify=justify, no_wrap=True,  # type: ignore[arg-type]
                                 min_width=widths[index])
        for row_number, row in enumerate(rows):
            if row_number in breaks:
                table.add_section()
            table.add_row(*(row[i] for i in group))
        tables.append(table)
    return tables
