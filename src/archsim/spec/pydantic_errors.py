"""Turn pydantic validation errors into located :class:`~archsim.errors.Issue` objects.

Pydantic reports a ``loc`` tuple per error; we drop our union tags (``<service>``), look the
path up in the YAML positions, and rewrite the message as "expected X, got Y", adding a
did-you-mean suggestion for unknown keys and literal values (difflib, as click does).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from archsim.errors import Issue, Loc
from archsim.spec.components import COMPONENT_SPECS, COMPONENT_TAGS
from archsim.spec.dists import Dist
from archsim.spec.steps import STEP_CLASSES, STEP_KEYS
from archsim.spec.types import is_tag
from archsim.spec.yamlload import Positions

Message = tuple[str, str]
"""A message and the issue kind."""

TAG_CLASSES: dict[str, type[BaseModel]] = {**COMPONENT_TAGS, **STEP_CLASSES}
STEP_CLASSES_KEYS = tuple(STEP_KEYS)
SPREAD_WORDS = frozenset({"sd", "std", "stdev", "stddev", "sigma", "variance", "var"})


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest choice, or an empty string."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and len(word) >= 3:
        close = [o for o in options if o.startswith(word)][:1]
    return f" Did you mean '{close[0]}'?" if close else ""


def tidy(message: str) -> str:
    """Drop the full stop left at the end of a message when no suggestion followed it."""
    if message.endswith(".") and not message.endswith(".."):
        return message[:-1]
    return message


def _owners(key: str) -> str:
    """`` 'capacity' is a key of queue components.`` when other component types take it."""
    kinds = [name for name, cls in COMPONENT_SPECS.items() if key in cls.model_fields]
    return f" '{key}' is a key of {' and '.join(kinds)} components." if kinds else ""


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at the end of ``loc`` (tags guide unions)."""
    current: Any = root
    for part in loc:
        if is_tag(part):
            current = TAG_CLASSES.get(part)
            continue
        current = _step_into(current, part)
        if current is None:
            return None
    return _unwrap_model(current)


def _unwrap_model(tp: Any) -> type[BaseModel] | None:
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return tp


def _step_into(tp: Any, part: Any) -> Any:
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is dict and isinstance(part, str):
        return args[1]
    if origin is tuple and isinstance(part, int):
        return args[0]
    return tp  # a union: the next element is its tag


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()
            if name != "source"]


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in value)
        return f"a mapping with keys: {keys}" if keys else "an empty mapping"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
}
"""Pydantic error type -> what we say was expected."""

STEP_EXAMPLE = "{to: COMPONENT/ENDPOINT}, {parallel: [...]}, {work: 1ms} or {publish: TOPIC}"
DIST_EXAMPLE = "a duration such as '4ms' or a distribution such as {dist: exponential, mean: 4ms}"


def _literal_options(expected: str) -> list[str]:
    """The allowed values of a Literal, from pydantic's ``ctx['expected']`` text."""
    return [quoted or bare for quoted, bare in re.findall(r"'([^']*)'|(-?\d+)", expected)]


def _bound(ctx: dict[str, Any], kind: str) -> str:
    words = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
             "less_than": "<"}
    for key in ("ge", "gt", "le", "lt"):
        if key in ctx:
            return f"{words[kind]} {ctx[key]}"
    return "in range"


def _key_hint(given: Any, choices: typing.Iterable[str]) -> str:
    """A did-you-mean for the first key of ``given`` close to one of ``choices``."""
    if not isinstance(given, dict):
        return ""
    for key in given:
        hint = suggest(str(key), choices)
        if hint:
            return hint.replace("Did you mean", f"Instead of '{key}', did you mean")
    return ""


def _unknown_key(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    key = str(raw_loc[-1])
    model = _model_at(root, raw_loc[:-1])
    allowed = _allowed_keys(model)
    hint = suggest(key, allowed)
    if not hint and model in COMPONENT_SPECS.values():
        hint = _owners(key)
    if not hint and model is Dist and key in SPREAD_WORDS:
        hint = " Give the spread as 'cv' (standard deviation / mean)."
    elif not hint and model is Dist and key == "rate":
        hint = " Give 'mean' (1 / rate) with a unit, such as mean: 4ms."
    expected = f"; expected one of: {', '.join(allowed)}" if allowed else ""
    return f"unknown key '{key}'{expected}.{hint}", "unknown_key"


def _literal(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    given = error.get("input")
    options = _literal_options(str((error.get("ctx") or {}).get("expected", "")))
    if raw_loc == ("archsim",):
        return (f"unsupported schema version {_describe(given)}; this archsim reads "
                f"'archsim: {options[0] if options else 1}'"), "value"
    return (f"expected one of {', '.join(repr(o) for o in options)}, got {_describe(given)}."
            f"{suggest(str(given), options)}"), "value"


def _component_type(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    given = error.get("input")
    if isinstance(given, dict) and "type" in given:
        tag = given["type"]
        return (f"unknown component type {_describe(tag)}; expected one of "
                f"{', '.join(COMPONENT_SPECS)}.{suggest(str(tag), COMPONENT_SPECS)}"), "type_name"
    return f"{error['msg']}, got {_describe(given)}.{_key_hint(given, ['type'])}", "missing"


def _step_kind(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    given = error.get("input")
    hint = _key_hint(given, STEP_CLASSES_KEYS)
    if isinstance(given, str) and given.count("/") == 1:
        hint = f" Did you mean '- to: {given}'?"
    elif isinstance(given, str) and given and "/" not in given:
        hint = f" Did you mean '- publish: {given}' or '- to: {given}/ENDPOINT'?"
    example = "" if isinstance(given, dict) else f" ({STEP_EXAMPLE})"
    return (f"a step needs one of the keys 'to', 'parallel', 'work' or 'publish'{example}, "
            f"got {_describe(given)}.{hint}"), "missing"


def _pattern(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    if raw_loc and raw_loc[-1] == "to":
        return f"expected 'component/endpoint', got {_describe(error.get('input'))}", "value"
    return f"expected a name without '/' or blanks, got {_describe(error.get('input'))}", "value"


def _generic(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), "value"
    if kind == "model_type" and ctx.get("class_name") == "Dist":
        return f"expected {DIST_EXAMPLE}, got {_describe(given)}", "type"
    if kind in EXPECTED:
        return f"expected {EXPECTED[kind]}, got {_describe(given)}", "type"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"expected a value {_bound(ctx, kind)}, got {_describe(given)}", "value"
    if kind == "too_short":
        what = "item" if ctx.get("min_length") == 1 else "items"
        return f"expected at least {ctx.get('min_length')} {what}, got {_describe(given)}", "value"
    text = str(error["msg"])
    text = text[:1].lower() + text[1:]
    return (text if "got" in text else f"{text}, got {_describe(given)}"), "type"


MESSAGES: dict[str, typing.Callable[[Any, type[BaseModel], tuple[Any, ...]], Message]] = {
    "extra_forbidden": _unknown_key,
    "missing": lambda error, root, loc: (f"missing required key '{loc[-1]}'", "missing"),
    "literal_error": _literal,
    "component_type": _component_type,
    "step_kind": _step_kind,
    "string_pattern_mismatch": _pattern,
}
"""Pydantic error type -> its message writer; others go to ``_generic``."""


def _message(error: Any, root: type[BaseModel], raw_loc: tuple[Any, ...]) -> Message:
    """``(message, kind)`` for one pydantic error: what was expected, what was given."""
    return MESSAGES.get(error["type"], _generic)(error, root, raw_loc)


def _is_spurious(error: Any) -> bool:
    """A ``too_short`` that only repeats that the container's items failed validation."""
    if error["type"] != "too_short":
        return False
    given = error.get("input")
    minimum = (error.get("ctx") or {}).get("min_length", 0)
    return isinstance(given, (list, tuple, dict)) and len(given) >= minimum


def _drop_renamed(issues: list[Issue]) -> list[Issue]:
    """Drop "missing key 'x'" when the same mapping has an unknown key that is a typo of x."""
    unknown = [i for i in issues if i.kind == "unknown_key"]
    out = []
    for issue in issues:
        if issue.kind == "missing" and issue.path and any(
                u.path[:-1] == issue.path[:-1]
                and difflib.get_close_matches(str(u.path[-1]), [str(issue.path[-1])], 1, 0.6)
                for u in unknown):
            continue
        out.append(issue)
    return out


def _name_message(error: Any, loc: Loc, message: str) -> str:
    """The message for a bad mapping key (a component or endpoint name)."""
    owner = {"components": "component ", "endpoints": "endpoint "}.get(
        str(loc[-2]) if len(loc) > 1 else "", "")
    reason = ("a name has no '/' or blanks" if error["type"] == "string_pattern_mismatch"
              else message)
    return f"invalid {owner}name {error.get('input')!r}: {reason}"


def issues_from(exc: ValidationError, root: type[BaseModel], positions: Positions,
                filename: str, prefix: Loc = ()) -> list[Issue]:
    """Convert every error of ``exc`` into a located Issue (prefix is prepended to paths)."""
    found: list[Issue] = []
    for error in exc.errors(include_url=False):
        if _is_spurious(error):
            continue
        raw_loc = tuple(error["loc"])
        is_key = bool(raw_loc) and raw_loc[-1] == "[key]"
        raw_loc = raw_loc[:-1] if is_key else raw_loc
        loc: Loc = (*prefix, *(p for p in raw_loc if not is_tag(p)))
        message, kind = _message(error, root, raw_loc)
        if kind == "type_name":
            loc, kind = (*loc, "type"), "value"
        if is_key:
            message = _name_message(error, loc, message)
        if kind == "unknown_key" or is_key:
            line, col = positions.of_key(loc)
        elif kind == "missing" and error["type"] == "missing":
            line, col = positions.of_key(loc[:-1])
        else:
            line, col = positions.of_value(loc)
        found.append(Issue(tidy(message), loc, filename, line, col, kind))
    return _drop_renamed(found)
