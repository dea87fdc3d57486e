"""Shared pieces of the command line: consoles, issue rendering, model-name resolution."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from archsim.errors import Issue


class StreamConsole(Console):
    """A rich console that styles and draws boxes only on an interactive terminal.

    rich's own ``is_terminal`` says yes for a pipe when FORCE_COLOR or TTY_COMPATIBLE=1 is set
    (CI sets them), which would put escape codes and rounded boxes into piped output; here a
    pipe or a file always gets plain, byte-stable text. TTY_COMPATIBLE=0 and NO_COLOR still
    turn a terminal's styling off.
    """

    @property
    def is_terminal(self) -> bool:
        """Whether the stream is a real terminal (its ``isatty``), whatever the environment."""
        if os.environ.get("TTY_COMPATIBLE") == "0":
            return False
        isatty = getattr(self.file, "isatty", None)
        try:
            return isatty is not None and bool(isatty())
        except ValueError:  # a closed stream
            return False


stdout = StreamConsole(highlight=False, soft_wrap=True)
stderr = StreamConsole(stderr=True, highlight=False, soft_wrap=True)


def print_issues(issues: Iterable[Issue]) -> None:
    """Print issues to stderr in the parsable ``file:line:col: [level] path: message`` form."""
    for issue in issues:
        stderr.print(str(issue), markup=False)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code`` (1 failure, 2 usage)."""
    stderr.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def warn_if_closed(topology: Any, rate_scale: float | None, sweeping: bool = False) -> None:
    """Warn on stderr that ``--rate-scale`` changes nothing when every workload is closed.

    The rate scale multiplies open workloads' rates; closed ones keep their users and think
    time. ``sweeping``: the rate scale is the swept parameter.
    """
    if (not sweeping and rate_scale in (None, 1.0)) or any(w.is_open for w in topology.workload):
        return
    first = topology.workload[0]
    if sweeping:
        hint = f"archsim sweep --param workload.{first.name}.users=A,B,C"
    else:
        hint = f"--set workload.{first.name}.users={max(1, round(first.users * rate_scale))}"
    stderr.print(f"warning: --rate-scale only scales open workloads (rates); every workload of "
                 f"'{topology.name}' is closed and keeps its users and think time, so the load "
                 f"does not change. Change the users instead, e.g. {hint}", markup=False)


def bundled_models_dir() -> Path:
    """The folder of bundled reference topologies shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "models"


def resolve_topology(name: str) -> str:
    """A path as given, or the bundled model called ``name`` (``monolith``)."""
    if os.path.exists(name) or os.sep in name or name.endswith((".yaml", ".yml")):
        return name
    candidate = bundled_models_dir() / f"{name}.yaml"
    return str(candidate) if candidate.exists() else name


def is_terminal() -> bool:
    """Whether stdout is an interactive terminal (rich tables) or piped (plain text)."""
    return sys.stdout.isatty()


def check_writable(path: str | None, flag: str = "--output") -> None:
    """Exit 1 with a clear message, before any work, when ``path`` cannot be written."""
    if not path:
        return
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        fail(f"cannot write {path} ({flag}): it is a directory", 1)
    if not parent.is_dir():
        fail(f"cannot write {path} ({flag}): no such directory {parent}", 1)
    if (target.exists() and not os.access(target, os.W_OK)) or not os.access(parent, os.W_OK):
        fail(f"cannot write {path} ({flag}): permission denied", 1)
