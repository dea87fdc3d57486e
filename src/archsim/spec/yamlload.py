"""YAML text to plain data plus a position for every key path.

Only PyYAML's safe composer is used (no object construction). While building plain dicts and
lists we record, for each key path, the 1-based (line, column) of the key and of its value,
reject duplicate keys with both positions, and refuse files whose size exceeds ``MAX_BYTES``
or whose aliases would add more than ``MAX_ALIAS_NODES`` nodes in all (an "alias bomb", the
billion-laughs pattern), located at the alias that crosses the limit. Nodes written out in
the file are bounded by its size alone: an alias-free file of any size up to 5 MiB loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from archsim.errors import Issue, Loc

MAX_BYTES = 5 * 1024 * 1024
MAX_ALIAS_NODES = 100_000
"""Most nodes that aliases may add in all (beyond the alias itself): reuse of an endpoint or a
component by alias adds tens of nodes each; a billion-laughs file adds about a billion."""
_SIZE_CAP = 2**62  # expanded sizes are counted up to here (keeps the integers small)
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


class _Alias:
    """One use of an alias (``*name``): the node it refers to and where the alias is written.

    PyYAML's composer hands back the anchored node itself for every alias, so without this
    wrapper the place of each use (the place an expansion happens) would be lost.
    """

    __slots__ = ("anchor", "node", "start_mark")

    def __init__(self, node: yaml.Node, anchor: str, start_mark: yaml.Mark) -> None:
        self.node = node
        self.anchor = anchor
        self.start_mark = start_mark


def _mark(node: yaml.Node | _Alias) -> tuple[int, int]:
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
        self.sizes: dict[int, int] = {}  # id(collection node) -> nodes once aliases expand
        self.open_anchors = 0  # anchored collections being composed around the current node
        self.document_marks: list[yaml.Mark] = []  # where each document starts ('---')

    def compose_document(self) -> Any:
        self.document_marks.append(self.peek_event().start_mark)
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                return _Alias(super().compose_node(parent, index), event.anchor,
                              event.start_mark)
            anchored = self.peek_event().anchor is not None
            self.open_anchors += anchored
            try:
                node = super().compose_node(parent, index)
            finally:
                self.open_anchors -= anchored
            if anchored or self.open_anchors:  # only what an alias can refer to needs a size
                self._measure(node)
            return node
        finally:
            self.depth -= 1

    def _measure(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            return
        self.sizes[id(node)] = min(1 + sum(map(self.size, children)), _SIZE_CAP)

    def size(self, node: yaml.Node | _Alias) -> int:
        """Nodes under ``node``, itself included, once aliases are expanded.

        An alias to a collection still being composed (one that contains the alias) counts
        as 1: expanding it never ends, which the nesting limit reports.
        """
        target = node.node if isinstance(node, _Alias) else node
        return self.sizes.get(id(target), 1)


def _compose_all(text: str) -> tuple[list[yaml.Node], _Loader]:
    """The documents' root nodes, and the loader that knows their expanded sizes and starts."""
    loader = _Loader(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes, loader
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
    def __init__(self, filename: str, size: Callable[[yaml.Node | _Alias], int]) -> None:
        self.filename = filename
        self.positions = Positions()
        self.issues: list[Issue] = []
        self.size = size
        self.added = 0  # nodes added by the aliases expanded so far
        self.expanding = False
        self.constructor = _Loader("")
        self.constructors = self.constructor.yaml_constructors

    def issue(self, node: yaml.Node | _Alias, loc: Loc, message: str, kind: str) -> Issue:
        line, col = _mark(node)
        return Issue(message, loc, self.filename, line, col, kind)

    def build(self, node: yaml.Node | _Alias, loc: Loc, depth: int = 0) -> Any:
        if isinstance(node, _Alias):
            if self.expanding:  # counted in the size of the alias being expanded
                return self.build(node.node, loc, depth)
            self._count(node, loc)
            self.positions.values.setdefault(loc, _mark(node))
            self.expanding = True
            try:
                return self.build(node.node, loc, depth)
            finally:
                self.expanding = False
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

    def _count(self, alias: _Alias, loc: Loc) -> None:
        """Add what ``alias`` expands to; refuse an alias bomb before building any of it."""
        added = self.size(alias) - 1
        self.added += added
        if self.added > MAX_ALIAS_NODES:
            raise YamlProblem(self.issue(
                alias, loc[:MAX_PATH_PARTS], f"aliases expand to more than {MAX_ALIAS_NODES:,} "
                f"nodes (this '*{alias.anchor}' adds {added:,}); refusing to load it (an alias "
                "bomb?)", "too_large"))

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_seen: dict[Any, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            target = key_node.node if isinstance(key_node, _Alias) else key_node
            if target.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(self.issue(
                    key_node, loc, "merge keys ('<<') are not supported; write the keys out",
                    "yaml"))
            key = self.build(key_node, loc, depth + 1) if not isinstance(
                target, yaml.ScalarNode) else self._scalar(target, loc)
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
        try:  # what construct_object does for a scalar, without its bookkeeping
            construct = self.constructors.get(node.tag, self.constructors[None])
            return construct(self.constructor, node)
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
        nodes, loader = _compose_all(text)
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
    if len(nodes) > 1:  # located at the '---' that starts the second document
        mark = loader.document_marks[1]
        raise YamlProblem(Issue("expected one YAML document, found several ('---')", (),
                                filename, mark.line + 1, mark.column + 1, "yaml"))
    builder = _Builder(filename, loader.size)
    if not nodes:
        return None, builder.positions, []
    data = builder.build(nodes[0], ())
    return data, builder.positions, builder.issues
