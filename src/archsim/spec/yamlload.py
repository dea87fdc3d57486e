"""YAML text to plain data plus a position for every key path.

Only PyYAML's safe composer is used (no object construction). While building plain dicts and
lists we record, for each key path, the 1-based (line, column) of the key and of its value,
reject duplicate keys with both positions, and refuse files whose aliases would expand past
``MAX_NODES`` nodes (an "alias bomb") or whose size exceeds ``MAX_BYTES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from archsim.errors import Issue, Loc

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 100_000  # a large real topology has a few thousand
MAX_DEPTH = 100
PLAIN_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
MAX_PATH_PARTS = 8  # key paths in "too large" issues are cut to this many parts


@dataclass
class Positions:
    """1-based (line, column) of each key path's key and value."""

    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, loc: Loc) -> tuple[int, int]:
        """Position of the value at ``loc``, or of its nearest located ancestor."""
        return _nearest(self.values, loc)

    def of_key(self, loc: Loc) -> tuple[int, int]:
        """Position of the key at ``loc`` (falls back to the value, then to ancestors)."""
        if loc in self.keys:
            return self.keys[loc]
        return _nearest(self.values, loc)


def _nearest(table: dict[Loc, tuple[int, int]], loc: Loc) -> tuple[int, int]:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in table:
            return table[loc[:cut]]
    return (1, 1)


class YamlProblem(Exception):
    """Raised internally with a located issue that stops the YAML stage."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("too deep")
        self.mark = mark


if yaml.__with_libyaml__:  # LibYAML scans and parses about ten times faster
    _Events: type = yaml.cyaml.CParser
else:  # pragma: no cover - PyYAML built without LibYAML
    class _Events(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class _Loader(yaml.composer.Composer, _Events, yaml.constructor.SafeConstructor,
              yaml.resolver.Resolver):
    """A safe loader: events from LibYAML when present, composed here with nesting bounded.

    PyYAML's composer recurses once per nesting level, so a document such as ``[[[[...]]]]``
    would otherwise exhaust the interpreter's stack before any of our checks run. No topology
    value is a date, so ``2024-01-01`` stays the string the user wrote.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        _Events.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _compose_all(text: str) -> list[yaml.Node]:
    loader = _Loader(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    finally:
        loader.dispose()


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 1-based line and column ('' past the end)."""
    lines = text.split("\n")
    if 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return ""


def _line_col(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a reader error's ``position``.

    LibYAML counts bytes of the UTF-8 text, PyYAML counts characters.
    """
    if yaml.__with_libyaml__:
        raw = text.encode("utf-8")
        start = raw.rfind(b"\n", 0, position) + 1
        column = len(raw[start:position].decode("utf-8", errors="replace"))
        return raw.count(b"\n", 0, position) + 1, column + 1
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


class _Builder:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.positions = Positions()
        self.issues: list[Issue] = []
        self.count = 0
        self.built: set[int] = set()
        self.alias_at: Loc | None = None
        self.constructor = _Loader("")

    def issue(self, node: yaml.Node, loc: Loc, message: str, kind: str) -> Issue:
        line, col = _mark(node)
        return Issue(message, loc, self.filename, line, col, kind)

    def build(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self._too_many(loc)
        if isinstance(node, yaml.CollectionNode) and self.alias_at is None:
            if id(node) in self.built:  # an alias: remember where its expansion started
                self.alias_at = loc
                try:
                    return self.build(node, loc, depth)
                finally:
                    self.alias_at = None
            self.built.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlProblem(self.issue(
                node, loc[:MAX_PATH_PARTS], f"nesting deeper than {MAX_DEPTH} levels once "
                "aliases are expanded (does an alias refer to a node that contains it?)",
                "too_large"))
        self.positions.values.setdefault(loc, _mark(node))
        if isinstance(node, yaml.CollectionNode) and node.tag not in PLAIN_COLLECTION_TAGS:
            raise YamlProblem(self.issue(node, loc, f"invalid YAML value: unsupported YAML tag "
                                         f"{node.tag!r}; write a plain list or mapping", "yaml"))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, loc)

    def _too_many(self, loc: Loc) -> None:
        """Refuse an alias bomb, located where the alias that expands too far is used."""
        where = self.alias_at if self.alias_at is not None else loc
        if where in self.positions.keys or not where:
            line, col = self.positions.of_key(where)
        else:
            line, col = self.positions.of_value(where[:-1])
        raise YamlProblem(Issue(
            f"the document expands to more than {MAX_NODES} nodes (aliases expanding too "
            "far?); refusing to load it", where[:MAX_PATH_PARTS], self.filename, line, col,
            "too_large"))

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_seen: dict[Any, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(self.issue(
                    key_node, loc, "merge keys ('<<') are not supported; write the keys out",
                    "yaml"))
            key = self.build(key_node, loc, depth + 1) if not isinstance(
                key_node, yaml.ScalarNode) else self._scalar(key_node, loc)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.issues.append(self.issue(
                    key_node, loc, f"keys must be names, got {key!r}", "type"))
                continue
            key = str(key)
            if key in out:
                line, col = first_seen[key]
                self.issues.append(self.issue(
                    key_node, (*loc, key),
                    f"duplicate key '{key}' (first defined at line {line}, column {col})",
                    "duplicate_key"))
                continue
            first_seen[key] = _mark(key_node)
            self.positions.keys[(*loc, key)] = _mark(key_node)
            out[key] = self.build(value_node, (*loc, key), depth + 1)
        return out

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            what = exc.problem or "invalid value"
            if "could not determine a constructor" in what:
                what = (f"unsupported YAML tag {node.tag!r}; write a plain value "
                        "(string, number, list or mapping)")
            raise YamlProblem(self.issue(node, loc, f"invalid YAML value: {what}",
                                         "yaml")) from None
        except Exception as exc:  # PyYAML's constructors raise assorted errors on odd tags
            raise YamlProblem(self.issue(
                node, loc, f"invalid YAML value {node.value!r} for tag {node.tag!r} ({exc})",
                "yaml")) from None


def load_yaml(text: str, filename: str = "<string>") -> tuple[Any, Positions, list[Issue]]:
    """Parse YAML text into plain data, positions and any non-fatal located issues.

    Parameters
    ----------
    text:
        The YAML document (one document only).
    filename:
        Name used in issues.

    Returns
    -------
    tuple
        ``(data, positions, issues)``; ``issues`` holds duplicate keys and bad key types.

    Raises
    ------
    YamlProblem
        For syntax errors, more than one document, oversized input or alias bombs.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlProblem(Issue(
            f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; refusing to load it",
            (), filename, 1, 1, "too_large"))
    try:
        nodes = _compose_all(text)
    except _TooDeep as exc:
        raise YamlProblem(Issue(f"nesting deeper than {MAX_DEPTH} levels", (), filename,
                                exc.mark.line + 1, exc.mark.column + 1, "too_large")) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise YamlProblem(Issue(
            f"the file contains the control character #x{exc.character:04x}, which YAML "
            "does not allow", (), filename, line, col, "yaml")) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        if exc.context_mark and ("end of stream" in what or "<stream end>" in what):
            mark = exc.context_mark  # point at the unclosed quote or bracket, not the end
            context = f" ({exc.context}, which starts here)"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "tab character" in what or _char_at(text, line, col) == "\t":
            what, context = "found a tab character; indent YAML with spaces", ""
        if what.startswith("mapping values are not allowed"):
            what += ("; is a ':' missing on the line above, the indentation off, or a value "
                     "with ': ' in it unquoted?")
        if exc.context and exc.context.endswith("; first occurrence") and exc.context_mark:
            first = exc.context_mark
            what = exc.context.removesuffix("; first occurrence").removeprefix("found ")
            context = f" (first at line {first.line + 1}, column {first.column + 1})"
        raise YamlProblem(Issue(f"YAML syntax error: {what}{context}", (), filename, line, col,
                                "yaml")) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Issue(f"YAML error: {exc}", (), filename, 1, 1, "yaml")) from None
    if len(nodes) > 1:
        line, col = _mark(nodes[1])
        raise YamlProblem(Issue("expected one YAML document, found several ('---')", (),
                                filename, line, col, "yaml"))
    builder = _Builder(filename)
    if not nodes:
        return None, builder.positions, []
    data = builder.build(nodes[0], ())
    return data, builder.positions, builder.issues
