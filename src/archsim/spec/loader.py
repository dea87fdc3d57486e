"""``load``: text or file -> validated, immutable :class:`Topology`, or one SpecError."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archsim.errors import Issue, Loc, SpecError
from archsim.spec.checks import check_references
from archsim.spec.overrides import (
    FlagOverride,
    apply_override,
    near_an_override,
    override_label,
    parse_key,
    relocate,
    split_override,
)
from archsim.spec.pydantic_errors import issues_from
from archsim.spec.schema import Simulation, Topology
from archsim.spec.units import parse_duration
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


def _apply_overrides(data: Any, overrides: Sequence[str]
                     ) -> tuple[dict[Loc, str], list[Loc], list[Issue]]:
    """Apply overrides in order.

    Returns each resolved path with its flag's label, the paths set by flags that stand for
    a value (a :class:`FlagOverride` the user did not write as ``KEY=VALUE``, such as
    ``--duration``), and an issue per bad override.
    """
    applied: dict[Loc, str] = {}
    flagged: list[Loc] = []
    problems: list[Issue] = []
    for flag in overrides:
        loc: Loc = ()
        try:
            loc = parse_key(flag.partition("=")[0]) if "=" in flag else ()
            loc, value = split_override(flag)
            loc = apply_override(data, loc, value)
            applied[loc] = override_label(flag)
            if isinstance(flag, FlagOverride) and not flag.written:
                flagged.append(loc)
        except ValueError as exc:
            problems.append(Issue(str(exc), loc, override_label(flag), 0, 0, "override"))
    return applied, flagged, problems


_RUN_LENGTH: tuple[Loc, Loc] = (("simulation", "duration"), ("simulation", "warmup"))


def _check_warmup(data: dict[str, Any], positions: Positions, filename: str,
                  flagged: Sequence[Loc]) -> list[Issue]:
    """A warm-up as long as the measured duration is most likely a mistake in the file.

    A ``--duration`` or ``--warmup`` flag (a :class:`FlagOverride`) settles it: the command
    line may ask for a long warm-up before a short measurement.
    """
    sim = data.get("simulation")
    if not isinstance(sim, dict) or any(loc in flagged for loc in _RUN_LENGTH):
        return []
    given = {key: sim[key] for key in ("duration", "warmup") if key in sim}
    seconds: dict[str, float] = {}
    shown: dict[str, str] = {}
    for key in ("duration", "warmup"):
        default = Simulation.model_fields[key].default
        try:
            seconds[key] = parse_duration(given[key]) if key in given else default
        except ValueError:  # the schema reports it
            return []
        shown[key] = str(given[key]) if key in given else f"{default:g}s (the default)"
    if not 0 < seconds["duration"] <= seconds["warmup"]:  # a duration of 0: the schema's
        return []
    loc: Loc = ("simulation", "warmup" if "warmup" in given else "duration")
    line, column = positions.of_value(loc)
    return [Issue(f"the warm-up must be shorter than the duration, got warm-up "
                  f"{shown['warmup']} and duration {shown['duration']}; shorten "
                  "simulation.warmup (or set it to 'auto'), lengthen simulation.duration, or "
                  "give --warmup or --duration on the command line", loc, filename, line,
                  column, "value")]


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
    original = copy.deepcopy(data) if overrides else data
    applied, flagged, problems = _apply_overrides(data, overrides)
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
    issues.extend(_check_warmup(data, positions, filename, flagged))
    issues.extend(check_references(data, positions, filename))
    issues = _dedupe(issues)
    if applied:
        unchanged = None
        if near_an_override(issues, applied):  # the flag's, unless the file had it already
            unchanged = {(i.path, i.message) for i in _file_issues(original, positions,
                                                                   filename)}
        issues = relocate(issues, applied, positions.values.keys() | positions.keys.keys(),
                          unchanged)
    issues.sort(key=lambda i: (i.file != filename, i.line, i.column))
    return (topology if not issues else None), issues


def _file_issues(data: dict[str, Any], positions: Positions, filename: str) -> list[Issue]:
    """The schema's and the cross-reference checks' issues of ``data`` (no overrides)."""
    try:
        Topology.model_validate(data)
        issues = []
    except ValidationError as exc:
        issues = issues_from(exc, Topology, positions, filename)
    return issues + check_references(data, positions, filename)


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
        lists of named entries may be indexed by name (``workload.browse.rate=500``), any
        list by position (``faults[0].error_rate=1`` or ``faults.0.error_rate=1``).

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
