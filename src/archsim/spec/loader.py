"""``load``: text or file -> validated, immutable :class:`Topology`, or one SpecError."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archsim.errors import Issue, Loc, SpecError
from archsim.spec.checks import check_references
from archsim.spec.overrides import apply_override, parse_key, relocate, split_override
from archsim.spec.pydantic_errors import issues_from
from archsim.spec.schema import Topology
from archsim.spec.yamlload import MAX_BYTES, Positions, YamlProblem, load_yaml

Source = str | os.PathLike[str]


def read_source(source: Source) -> tuple[str, str]:
    """Return ``(text, filename)`` for a path or a YAML string.

    A ``str`` is YAML text when it is blank, has a newline, or has a ``": "`` or starts with
    ``{`` or ``#`` on its one line and names no existing file; otherwise it is a path (so a
    mistyped file name is reported as "no such file", not as a one-word topology).

    Raises
    ------
    SpecError
        When the file cannot be read (missing, a directory, too large, not UTF-8).
    """
    is_path = isinstance(source, os.PathLike) or ("\n" not in source and (
        os.path.exists(source) or source.endswith((".yaml", ".yml"))
        or (bool(source.strip()) and ": " not in source
            and not source.lstrip().startswith(("{", "#")))))
    if not is_path:
        return str(source), "<string>"
    path = Path(source)
    name = str(source)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError([Issue(f"file is larger than {MAX_BYTES // 2**20} MiB; refusing to "
                                   "load it", (), name, 0, 0, "too_large")])
        with path.open("rb") as stream:  # bounded: /dev/zero or a pipe reports size 0
            raw = stream.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise SpecError([Issue(f"file is larger than {MAX_BYTES // 2**20} MiB; refusing to "
                                   "load it", (), name, 0, 0, "too_large")])
        return raw.decode("utf-8"), name
    except FileNotFoundError:
        raise SpecError([Issue("no such file", (), name, 0, 0, "io")]) from None
    except IsADirectoryError:
        raise SpecError([Issue("is a directory, expected a YAML file", (), name, 0, 0,
                               "io")]) from None
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        raise SpecError([Issue(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} ({exc.reason}); "
                               "save the file as UTF-8", (), name, line, col, "io")]) from None
    except OSError as exc:
        raise SpecError([Issue(f"cannot read: {exc.strerror}", (), name, 0, 0, "io")]) from None


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset`` of a UTF-8 file."""
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _apply_overrides(data: Any, overrides: Sequence[str]) -> tuple[dict[Loc, str], list[Issue]]:
    """Apply ``--set`` flags in order; return the resolved paths and any bad flags."""
    applied: dict[Loc, str] = {}
    problems: list[Issue] = []
    for flag in overrides:
        loc: Loc = ()
        try:
            loc = parse_key(flag.partition("=")[0]) if "=" in flag else ()
            loc, value = split_override(flag)
            applied[apply_override(data, loc, value)] = flag
        except ValueError as exc:
            problems.append(Issue(str(exc), loc, f"--set {flag}", 0, 0, "override"))
    return applied, problems


def parse(text: str, filename: str = "<string>",
          overrides: Sequence[str] = ()) -> tuple[Topology | None, list[Issue]]:
    """Validate YAML text; return the topology (None when invalid) and every issue found."""
    try:
        data, positions, issues = load_yaml(text, filename)
    except YamlProblem as problem:
        return None, [problem.issue]
    if data is None:
        return None, [Issue("the file is empty; expected a topology mapping starting with "
                            "'archsim: 1'", (), filename, 1, 1, "missing")]
    if not isinstance(data, dict):
        line, col = positions.of_value(())
        return None, [Issue(f"expected a mapping of sections (archsim, name, workload, "
                            f"components, ...), got {type(data).__name__}", (), filename, line,
                            col, "type")]
    applied, problems = _apply_overrides(data, overrides)
    if problems:
        return None, problems
    topology = None
    try:
        topology = Topology.model_validate(data).model_copy(update={"source": filename})
    except ValidationError as exc:
        issues.extend(issues_from(exc, Topology, positions, filename))
    if topology is not None:
        from archsim.spec.trace import attach_traces

        topology, trace_issues = attach_traces(topology, positions, filename)
        issues.extend(trace_issues)
    issues.extend(check_references(data, positions, filename))
    issues = _dedupe(issues)
    if applied:
        issues = relocate(issues, applied, positions.values.keys() | positions.keys.keys())
    issues.sort(key=lambda i: (i.file != filename, i.line, i.column))
    return (topology if not issues else None), issues


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for issue in issues:
        key = (issue.path, issue.message)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def load(source: Source, overrides: Sequence[str] = ()) -> Topology:
    """Load and validate a topology.

    Parameters
    ----------
    source:
        A path to a YAML file, or YAML text.
    overrides:
        ``KEY=VALUE`` strings applied before validation (``components.web.replicas=5``);
        lists of named entries may be indexed by name (``workload.browse.rate=500``).

    Returns
    -------
    Topology
        The validated, immutable topology, values in seconds and per second.

    Raises
    ------
    SpecError
        With every problem found, each located by file, line, column and key path.

    Examples
    --------
    >>> topo = load("archsim: 1\\nname: t\\nworkload: [{name: a, to: s/e, rate: 10}]\\n"
    ...             "components: {s: {type: service, endpoints: {e: {work: 10ms}}}}")
    >>> topo.components["s"].endpoints["e"].work.mean
    0.01
    """
    text, filename = read_source(source)
    topology, issues = parse(text, filename, overrides)
    if topology is None:
        raise SpecError(issues)
    return topology


def validate(source: Source, overrides: Sequence[str] = ()) -> list[Issue]:
    """Every problem in a topology (empty list when valid); never raises for bad input."""
    try:
        text, filename = read_source(source)
    except SpecError as exc:
        return exc.issues
    try:
        return parse(text, filename, overrides)[1]
    except SpecError as exc:
        return exc.issues


__all__ = ["Positions", "load", "parse", "read_source", "validate"]
