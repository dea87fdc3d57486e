"""Every ``$ archsim ...`` command shown in the READMEs prints what the README shows.

A shown command is a line starting with ``$ archsim`` in a ```console block of
``examples/*/README.md`` or ``README.md``; the lines after it, up to the next ``$`` line or
the end of the block, are its expected output (stdout and stderr as a terminal shows them, with
trailing spaces stripped). A line ``...`` stands for any number of lines left out, so a README
may show a trimmed output. Commands run through typer's CliRunner with the README's folder as
the working directory; simulating commands get ``--jobs 1`` (results do not depend on it).

Runs are deterministic, so any difference means the engine, a model or a renderer changed.
After a deliberate change, ``ARCHSIM_UPDATE_DOCS=1 pytest tests/test_docs.py`` rewrites the
outputs in place, keeping each ``...`` cut where the new output has the same layout.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = [*sorted(ROOT.glob("examples/*/README.md")), ROOT / "README.md"]
SIMULATING = {"run", "compare", "sweep", "capacity", "check"}
GAP = "..."
UPDATE = os.environ.get("ARCHSIM_UPDATE_DOCS") == "1"


@dataclass
class Shown:
    """One command of a README and the output shown under it (lines ``start``..``end``)."""

    line: int
    command: str
    expected: list[str]
    start: int
    end: int


def shown_commands(lines: list[str]) -> list[Shown]:
    """The ``$ archsim`` commands of the ```console blocks, with their shown output."""
    found: list[Shown] = []
    in_console = False
    current: Shown | None = None
    for index, line in enumerate(lines):
        if line.startswith("```"):
            if current is not None:
                current.end = index
                found.append(current)
                current = None
            in_console = not in_console and line.strip() == "```console"
        elif in_console and line.startswith("$ "):
            if current is not None:
                current.end = index
                found.append(current)
            current = (Shown(index + 1, line[2:], [], index + 1, index + 1)
                       if line.startswith("$ archsim ") else None)
        elif current is not None:
            current.expected.append(line.rstrip())
    return found


def run_shown(command: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run one shown command in ``folder``; its output lines, trailing blanks stripped."""
    args = shlex.split(command)[1:]
    if args and args[0] in SIMULATING and "--jobs" not in args:
        args += ["--jobs", "1"]
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{command!r} raised {result.exception!r}")
    assert result.exit_code in (0, 1), f"{command!r} exited {result.exit_code}:\n{result.output}"
    return trim([line.rstrip() for line in result.output.splitlines()])


def trim(lines: list[str]) -> list[str]:
    """Lines without trailing blank ones."""
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


def segments(pattern: list[str]) -> list[list[str]]:
    """The shown lines split at each ``...`` line (an empty segment where one starts or ends)."""
    parts: list[list[str]] = [[]]
    for line in pattern:
        if line.strip() == GAP:
            parts.append([])
        else:
            parts[-1].append(line)
    return parts


def matches(pattern: list[str], output: list[str]) -> bool:
    """Whether ``output`` is ``pattern`` with each ``...`` standing for any lines."""
    parts = segments(trim(pattern))
    if len(parts) == 1:
        return parts[0] == output
    first, *middle, last = parts
    if output[:len(first)] != first or (last and output[-len(last):] != last):
        return False
    cursor, stop = len(first), len(output) - len(last)
    for part in middle:
        cursor = find(part, output, cursor, stop, key=lambda line: line)
        if cursor < 0:
            return False
        cursor += len(part)
    return cursor <= stop


def find(part: list[str], output: list[str], start: int, stop: int,
         key: Callable[[str], str]) -> int:
    """First index >= start where ``part`` matches ``output`` under ``key``, or -1."""
    wanted = [key(line) for line in part]
    for index in range(start, stop - len(part) + 1):
        if [key(line) for line in output[index:index + len(part)]] == wanted:
            return index
    return -1


def layout(line: str) -> str:
    """A line with numbers and runs of spaces masked: what survives a change of figures."""
    return re.sub(r"\s+", " ", re.sub(r"[-+]?\d[\d,.]*", "#", line)).strip()


def refreshed(pattern: list[str], output: list[str]) -> list[str]:
    """``output`` cut as ``pattern`` was, segment by segment, or all of it if its layout moved."""
    parts = segments(trim(pattern))
    if len(parts) == 1:
        return output
    first, *middle, last = parts
    new = output[:len(first)]
    cursor, stop = len(first), len(output) - len(last)
    for part in middle:
        index = find(part[:1], output, cursor, stop, key=layout)
        if index < 0:
            return output
        new += [GAP, *output[index:index + len(part)]]
        cursor = index + len(part)
    new.append(GAP)
    return new + (output[-len(last):] if last else [])


@pytest.mark.parametrize("readme", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_readme_commands_print_what_the_readme_shows(readme: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    lines = readme.read_text(encoding="utf-8").splitlines()
    shown = shown_commands(lines)
    if readme.parent != ROOT:
        assert shown, f"{readme} shows no ```console block with a '$ archsim' command"
    failures = []
    for item in reversed(shown):  # from the end, so rewriting keeps earlier line numbers
        output = run_shown(item.command, readme.parent, monkeypatch)
        if matches(item.expected, output):
            continue
        if UPDATE:
            lines[item.start:item.end] = refreshed(item.expected, output)
        else:
            failures.append(f"{readme.relative_to(ROOT)}:{item.line}: $ {item.command}\n"
                            + "\n".join(output))
    if UPDATE:
        readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not failures, "output differs from the README (ARCHSIM_UPDATE_DOCS=1 rewrites it):\n" \
        + "\n\n".join(reversed(failures))


def test_matching_with_gaps() -> None:
    output = ["head", "a", "b", "c", "tail"]
    assert matches(["head", "a", "b", "c", "tail"], output)
    assert matches(["head", "...", "c", "tail"], output)
    assert matches(["...", "b", "...", "tail"], output)
    assert matches(["head", "..."], output)
    assert not matches(["head", "...", "x", "..."], output)
    assert not matches(["head", "a"], output)
    assert refreshed(["head", "...", "1 ms", "..."], ["head", "x", "2 ms", "y"]) == [
        "head", "...", "2 ms", "..."]
