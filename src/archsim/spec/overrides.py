"""``--set KEY=VALUE`` overrides applied to the plain data before validation."""

from __future__ import annotations

import difflib
import re
from collections.abc import Container, Iterable
from typing import Any

import yaml

from archsim.errors import Issue, Loc, format_path


def suggest(word: str, choices: list[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key(key: str) -> Loc:
    """``"components.web.calls[1].to"`` -> ``("components", "web", "calls", 1, "to")``.

    Raises
    ------
    ValueError
        For an empty or malformed key.
    """
    parts: list[str | int] = []
    pos = 0
    key = key.strip()
    while pos < len(key):
        if key[pos] == "." and parts:
            pos += 1
        match = _PART.match(key, pos)
        if not match:
            raise ValueError(f"malformed key path {key!r} at character {pos + 1}")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if not parts:
        raise ValueError("empty key path")
    return tuple(parts)


class FlagOverride(str):
    """A ``KEY=VALUE`` override standing for another flag; issues it causes name that flag.

    ``FlagOverride("simulation.duration='10s'", "--duration 10s")`` is applied like
    ``--set simulation.duration='10s'`` but reported as ``--duration 10s``. ``written``: the
    user wrote the ``KEY=VALUE`` (a part of ``--variant``), so it is checked exactly like
    ``--set``; a flag that stands for a value (``--duration``) also settles the file's
    warm-up check.
    """

    label: str
    written: bool

    def __new__(cls, text: str, label: str, written: bool = False) -> FlagOverride:
        override = super().__new__(cls, text)
        override.label = label
        override.written = written
        return override


def variant_override(text: str) -> FlagOverride:
    """One ``KEY=VALUE`` part of ``--variant``, reported as ``--variant KEY=VALUE``."""
    return FlagOverride(text, f"--variant {text}", written=True)


def override_label(text: str) -> str:
    """What an issue caused by the override ``text`` names as its source (``--set K=V``)."""
    return text.label if isinstance(text, FlagOverride) else f"--set {text}"


def split_override(text: str) -> tuple[Loc, Any]:
    """Split ``KEY=VALUE``; the value is read as a YAML scalar or flow collection."""
    if "=" not in text:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    key, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return parse_key(key), value


def apply_override(data: Any, loc: Loc, value: Any) -> Loc:
    """Set ``value`` at ``loc`` in ``data`` (in place) and return the resolved path.

    A list may be indexed by position (``faults[0]``, or ``faults.0``) and a list of mappings
    by an entry's ``name`` (``workload.browse.rate``); a name wins over a position. A null
    ``value`` removes a mapping's key, so its default applies.

    Raises
    ------
    ValueError
        When the path runs through a scalar or past the end of a list.
    """
    node = data
    resolved: list[str | int] = []
    for depth, part in enumerate(loc):
        last = depth == len(loc) - 1
        if isinstance(node, list):
            index = _list_index(node, part, tuple(resolved))
            resolved.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise ValueError(f"cannot set {'.'.join(map(str, loc))}: "
                             f"{'.'.join(map(str, resolved)) or 'the top level'} is not a mapping")
        key = str(part)
        resolved.append(key)
        if last:
            if value is None:  # null removes the key: its default applies
                node.pop(key, None)
            else:
                node[key] = value
            continue
        if key not in node:
            hint = suggest(key, [str(k) for k in node])
            if hint:  # creating a mapping next to a near namesake is a typo, not a what-if
                where = ".".join(map(str, resolved[:-1])) or "the top level"
                raise ValueError(f"no key '{key}' in {where}.{hint}")
        node = node.setdefault(key, {})
    return tuple(resolved)


def _list_index(node: list[Any], part: str | int, where: Loc) -> int:
    """The position of ``part`` (an index, a numeric key part, or an entry's name)."""
    for index, item in enumerate(node):
        if isinstance(part, str) and isinstance(item, dict) and item.get("name") == part:
            return index
    if isinstance(part, str) and part.isascii() and part.isdigit():
        part = int(part)  # faults.0 as faults[0]
    name = format_path(where)
    if isinstance(part, int):
        if part >= len(node):
            raise ValueError(f"index [{part}] is past the end of {name}, which "
                             f"{_entries(node, name)}")
        return part
    names = [str(i.get("name")) for i in node if isinstance(i, dict) and "name" in i]
    if not node:
        raise ValueError(f"no entry named '{part}': {name} is empty")
    if not names:
        raise ValueError(f"no entry named '{part}' in {name}, whose entries have no 'name'; "
                         f"index by position: {name} {_entries(node, name)}")
    hint = suggest(str(part), names)
    raise ValueError(f"no entry named '{part}' (entries: {', '.join(names)}).{hint}"
                     .removesuffix("."))


def _entries(node: list[Any], name: str) -> str:
    """``has 2 entries (faults[0] .. faults[1])``, for a message about the list ``name``."""
    if not node:
        return "is empty"
    if len(node) == 1:
        return f"has 1 entry ({name}[0])"
    return f"has {len(node)} entries ({name}[0] .. {name}[{len(node) - 1}])"


def relocate(issues: list[Issue], applied: dict[Loc, str], existing: Container[Loc] = (),
             unchanged: Container[tuple[Loc, str]] | None = None) -> list[Issue]:
    """Point issues caused by an override at the flag that caused them.

    ``applied`` maps each overridden path to its flag's label (:func:`override_label`). An
    issue is the flag's when its path is under the overridden path; or above it, on a path
    the override created (``existing`` holds the paths found in the file); or above it or
    beside it (under the same parent, not the top level) and new: not among the
    ``(path, message)`` pairs of ``unchanged``, the issues without the overrides (None: such
    issues stay in the file). So ``--set faults[0].replicas_down=1`` on a fault with an
    ``error_rate`` is named in "a fault needs exactly one of ...", reported at ``faults[0]``,
    and ``--set faults[0].component=gateway`` in the complaint about the fault's
    ``latency_factor`` that a load balancer with no latency brings.
    """
    out = []
    for issue in issues:
        label = _cause(issue, applied, existing, unchanged)
        out.append(issue if label is None else
                   Issue(issue.message, issue.path, label, 0, 0, issue.kind))
    return out


def _cause(issue: Issue, applied: dict[Loc, str], existing: Container[Loc],
           unchanged: Container[tuple[Loc, str]] | None) -> str | None:
    """The label of the override behind ``issue``: one it is under, else above, else beside."""
    path = issue.path
    new = unchanged is not None and bool(path) and (path, issue.message) not in unchanged
    above: str | None = None
    beside: str | None = None
    for loc, label in applied.items():
        if path[: len(loc)] == loc:
            return label
        if loc[: len(path)] == path:  # a parent of the overridden path
            if above is None and (path not in existing or new):
                above = label
        elif beside is None and new and _beside(path, loc):
            beside = label
    return above if above is not None else beside


def _beside(path: Loc, loc: Loc) -> bool:
    """Whether ``path`` is under the parent of ``loc`` (not the top level) but not under it."""
    return len(loc) > 1 and path[: len(loc) - 1] == loc[:-1] and path[: len(loc)] != loc


def near_an_override(issues: list[Issue], applied: Iterable[Loc]) -> bool:
    """Whether an issue sits on a parent (not the top level) of an overridden path, or beside
    one: the issues whose cause :func:`relocate` decides by comparing with the file alone."""
    paths = list(applied)
    return any((0 < len(issue.path) < len(loc) and loc[: len(issue.path)] == issue.path)
               or _beside(issue.path, loc) for issue in issues for loc in paths)
