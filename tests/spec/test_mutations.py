"""Fuzzing the loader with mutated valid topologies: always issues or a topology, never a crash.

Each example takes a valid topology (the bundled models and the fixed SPEC example), mutates
its parsed data (drop, rename or retype a key, random scalars, random nesting), dumps it back
to YAML, sometimes damages the text (a duplicated key line, a stray character), and checks that
``parse`` returns either a topology with no issues or located issues, never an exception.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archsim
from archsim.errors import Loc
from archsim.spec.loader import parse

SOURCES = [*sorted((Path(archsim.__file__).parent / "models").glob("*.yaml")),
           Path(__file__).parent / "data" / "spec_example_fixed.yaml"]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TREES = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in SOURCES}

WORDS = ["archsim", "name", "workload", "components", "type", "to", "rate", "users", "think",
         "work", "calls", "parallel", "publish", "p", "endpoints", "target", "replicas",
         "workers", "queue", "dist", "mean", "cv", "k", "shape", "min", "max", "timeout",
         "retries", "latency", "subscribers", "group", "consumers", "partitions", "capacity",
         "service", "database", "cache", "load_balancer", "topic", "queue", "exponential",
         "lognormal", "simulation", "duration", "warmup", "faults", "slos", "request", "*"]
VALUES = ["4ms", "0s", "1.5s", "-2ms", "10%", "150%", "400/s", "24000/min", "auto",
          "db/select", "web/list", "gateway/list", "a/b/c", "", " ", "~", "&x", "*x", "1e999s"]

keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=8))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(VALUES + WORDS),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(keys, inner, max_size=3)),
    max_leaves=6,
)


def paths(node: Any, loc: Loc = ()) -> Iterator[Loc]:
    """Every key path in ``node``, parents before children."""
    yield loc
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*loc, index))


def at(tree: Any, loc: Loc) -> Any:
    for part in loc:
        tree = tree[part]
    return tree


def mutate(tree: Any, draw: st.DataObject) -> Any:
    """One random change somewhere in ``tree`` (in place where possible); the new tree."""
    loc = draw.draw(st.sampled_from(list(paths(tree))), label="where")
    operation = draw.draw(st.sampled_from(["drop", "rename", "retype", "nest", "copy"]),
                          label="operation")
    if not loc:
        return draw.draw(values, label="new root") if operation == "retype" else tree
    parent, key = at(tree, loc[:-1]), loc[-1]
    if operation == "drop":
        del parent[key]
    elif operation == "rename" and isinstance(parent, dict):
        parent[draw.draw(keys, label="new name")] = parent.pop(key)
    elif operation == "rename":
        parent.insert(draw.draw(st.integers(0, len(parent)), label="new index"), parent.pop(key))
    elif operation == "retype":
        parent[key] = draw.draw(values, label="new value")
    elif operation == "nest":
        wrap = draw.draw(st.sampled_from(["list", "dict"]), label="wrap")
        parent[key] = [parent[key]] if wrap == "list" else {
            draw.draw(keys, label="wrapper key"): parent[key]}
    else:  # copy a sibling's value here (structurally plausible, semantically wrong)
        siblings = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
        parent[key] = copy.deepcopy(parent[draw.draw(st.sampled_from(siblings), label="from")])
    return tree


def damage(text: str, draw: st.DataObject) -> str:
    """Sometimes break the text: duplicate a line (a duplicate key) or add/drop a character."""
    operation = draw.draw(st.sampled_from(["none", "none", "duplicate line", "insert", "delete"]),
                          label="text damage")
    if operation == "none" or not text:
        return text
    if operation == "duplicate line":
        lines = text.splitlines(keepends=True)
        index = draw.draw(st.integers(0, len(lines) - 1), label="line")
        return "".join(lines[: index + 1] + lines[index:])
    position = draw.draw(st.integers(0, len(text) - 1), label="position")
    if operation == "delete":
        return text[:position] + text[position + 1:]
    char = draw.draw(st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \t\n\x00")), label="char")
    return text[:position] + char + text[position:]


def check(text: str) -> None:
    topology, issues = parse(text, "fuzz.yaml")
    assert (topology is None) == bool(issues)
    lines = text.count("\n") + 2
    for issue in issues:
        assert 1 <= issue.line <= lines, issue
        assert issue.column >= 1, issue
        assert issue.file == "fuzz.yaml"
        assert issue.message and str(issue)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=st.sampled_from(sorted(TREES)), draw=st.data())
def test_mutated_topologies_give_issues_or_a_topology(source: str, draw: st.DataObject) -> None:
    tree = copy.deepcopy(TREES[source])
    for _ in range(draw.draw(st.integers(1, 3), label="mutations")):
        tree = mutate(tree, draw)
    flow = draw.draw(st.sampled_from([False, None, True]), label="flow style")
    text = yaml.dump(tree, Dumper=DUMPER, sort_keys=False, default_flow_style=flow,
                     allow_unicode=True)
    check(damage(text, draw))


def test_sources_are_valid() -> None:
    for path in SOURCES:
        assert archsim.validate(path) == [], path
