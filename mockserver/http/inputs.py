"""Reading what a client sends, within bounds, with no web framework: JSON bodies (no NaN, no
number too long, nothing nested too deep) and their validation by a marshmallow schema, each
failure one readable message (BodyError)."""
from __future__ import annotations

import copy
import json
import math
import re

from marshmallow import Schema, ValidationError

from mockserver.providers.shapes import schema_instance
from mockserver.scenario.fields import flatten_messages
from mockserver.scenario.paths import format_path
from mockserver.settings import DEFAULT_LIMITS, Limits


class BodyError(ValueError):
    """The request body or query is not what the endpoint takes; the message says why."""

def read_json_text(text: str, limits: Limits = DEFAULT_LIMITS):
    return parse_json(text.encode("utf-8"), invalid_json="the body is not valid JSON", limits=limits)


class _Refused(ValueError):
    """A JSON value past the limits, raised from inside the parser."""


def parse_json(raw: bytes, *, invalid_json: str, limits: Limits = DEFAULT_LIMITS):
    """JSON within bounds: no NaN or Infinity, no number longer than ``max_json_number_chars``
    (Python would take a 4,000-digit integer and fail later, converting it), nothing nested
    deeper than ``max_json_depth``. An empty body reads as an empty object."""
    if not raw.strip():
        return {}
    longest = limits.max_json_number_chars

    def number(kind):
        def parse(text: str):
            if len(text) > longest:
                raise _Refused(f"a number in the body is longer than {longest} characters")
            value = kind(text)
            if kind is float and not math.isfinite(value):
                raise _Refused("a number in the body is too large")
            return value
        return parse

    def constant(name: str):
        raise _Refused(f"{name} is not a JSON value")

    try:
        value = json.loads(raw, parse_int=number(int), parse_float=number(float), parse_constant=constant)
    except _Refused as exc:
        raise BodyError(str(exc)) from exc
    except RecursionError as exc:
        raise BodyError(f"the body is nested more than {limits.max_json_depth} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(invalid_json) from exc
    # Cheap first: a body with no more brackets than the limit cannot nest deeper.
    if raw.count(b"[") + raw.count(b"{") > limits.max_json_depth and _depth(value) > limits.max_json_depth:
        raise BodyError(f"the body is nested more than {limits.max_json_depth} levels deep")
    return value


# What can make a lone surrogate in parsed JSON: a \\uD800-\\uDFFF escape, or its UTF-8-like bytes
# (Python's json reads bytes with "surrogatepass"). A body with neither holds none, unchecked.
_MAY_HOLD_SURROGATES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def refuse_unencodable_text(value, raw: bytes | None = None, *, what: str = "the body") -> None:
    """BodyError when a text in ``value`` (a parsed body or query, keys included) is not valid
    Unicode: a lone surrogate (``"\\udc80"``), which JSON can escape but UTF-8 cannot carry, so no
    answer, page, log or webhook could hold it. ``raw``: the bytes it was parsed from, if any, so
    that a body with no escape that could make one is not walked."""
    if raw is not None and not _MAY_HOLD_SURROGATES.search(raw):
        return
    todo = [value]
    while todo:
        item = todo.pop()
        if type(item) is str:
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BodyError(f"{what} holds text that is not valid Unicode (a lone surrogate, such as "
                                "\\udc80): send UTF-8 text") from None
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)


def _depth(value) -> int:
    """How deep arrays and objects nest in a parsed value, without recursion. Only containers are
    queued (a snapshot's JSON has tens of thousands of numbers and texts, on a control route)."""
    if type(value) is not dict and type(value) is not list:
        return 0
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if depth > deepest:
            deepest = depth
        for child in (item.values() if type(item) is dict else item):
            if type(child) is dict or type(child) is list:
                todo.append((child, depth + 1))
    return deepest


def validate(schema: type[Schema], data) -> dict:
    """Load with a marshmallow schema; a failure becomes one readable BodyError."""
    try:
        return schema_instance(schema).load(data)
    except ValidationError as exc:
        raise BodyError(_readable(flatten_messages(exc.messages))) from exc


def validate_leniently(schema: type[Schema], data) -> tuple[dict, tuple[str, ...]]:
    """Load as an Express-style API does: fields it does not know are ignored, not refused.
    Returns what loaded and the paths of the fields ignored (the journal notes them); any other
    problem is a BodyError, as with validate."""
    instance = schema_instance(schema)
    try:
        return instance.load(data), ()
    except ValidationError as exc:
        problems = list(flatten_messages(exc.messages))
    unknown_field = instance.error_messages["unknown"]
    unknown = [path for path, message in problems if message == unknown_field and path]
    others = [(path, message) for path, message in problems if (path, message) not in
              {(path, unknown_field) for path in unknown}]
    if others or not unknown:
        raise BodyError(_readable(others or problems))
    cleaned = copy.deepcopy(data)
    for path in sorted(unknown, key=len, reverse=True):
        *parents, last = path
        node = cleaned
        for step in parents:
            node = node[step]
        del node[last]
    return validate(schema, cleaned), tuple(format_path(path) for path in unknown)


def _readable(problems) -> str:
    return "; ".join(f"{format_path(path)}: {message}" if path else message for path, message in problems)
