"""A progress bar on stderr that appears only for runs longer than about a second."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from archsim.cli.common import stderr

DELAY_S = 1.0


class LazyProgress:
    """Context manager giving a ``progress(fraction)`` callback; silent when not a terminal."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, fraction: float) -> None:
        if self.bar is None:
            if not stderr_is_terminal() or time.monotonic() - self.started < DELAY_S:
                return
            from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress("{task.description}", BarColumn(), "{task.percentage:>3.0f}%",
                                TimeElapsedColumn(), TimeRemainingColumn(), console=stderr,
                                transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=1.0)
        self.bar.update(self.task, completed=fraction)

    def __enter__(self) -> LazyProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()


def stderr_is_terminal() -> bool:
    """Whether stderr is an interactive terminal, whatever stdout is.

    Not a pipe, even with FORCE_COLOR or TTY_COMPATIBLE=1 (CI sets them): a redrawn bar in a
    log is noise, so the bar needs a real terminal (:class:`~archsim.cli.common.StreamConsole`).
    """
    return stderr.is_terminal
