"""Exceptions and located problems.

Every problem found in a topology becomes an :class:`Issue` carrying the file, the 1-based
line and column, the dotted key path and a message saying what was expected and what was
given. All issues of a file are collected and raised together as one :class:`SpecError`.
Only the command line catches these and renders them; library callers get the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """Render a key path the way users write it: ``components.web.calls[1].to``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True, slots=True)
class Issue:
    """One located problem in a topology file.

    Attributes
    ----------
    message:
        What was expected and what was given, plus a suggestion where one is close.
    path:
        Key path as a tuple (``("components", "web", "workers")``).
    file:
        File name as given by the user, or ``"<string>"``.
    line, column:
        1-based position of the offending key or value; 0 when unknown.
    kind:
        Short machine-readable category (``unknown_key``, ``type``, ``unit``, ``reference``...).
    level:
        ``"error"`` or ``"warning"``.
    """

    message: str
    path: Loc = ()
    file: str = "<string>"
    line: int = 0
    column: int = 0
    kind: str = "error"
    level: str = "error"

    @property
    def dotted_path(self) -> str:
        """The key path in dotted form with list indices in brackets."""
        return format_path(self.path)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: [{self.level}] {self.dotted_path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form used by ``archsim validate --format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.dotted_path,
            "level": self.level,
            "kind": self.kind,
            "message": self.message,
        }


class ArchsimError(Exception):
    """Base class of every error archsim raises on purpose."""


@dataclass
class SpecError(ArchsimError):
    """A topology (file, text or override) is invalid; ``issues`` lists every problem."""

    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        count = len(self.issues)
        head = f"{count} problem{'s' if count != 1 else ''} found"
        return head + "\n" + "\n".join(str(i) for i in self.issues)


class ModelError(ArchsimError):
    """The model cannot run as asked (for example an unstable model past its in-flight bound)."""


class UsageError(ArchsimError):
    """The command line or API was called wrongly (exit code 2 on the command line)."""
