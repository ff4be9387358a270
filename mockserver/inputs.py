"""Reading what a client sends, within bounds, with no web framework: JSON bodies (no NaN, no
number too long, nothing nested too deep) and their validation by a marshmallow schema, each
failure one readable message (BodyError)."""
from __future__ import annotations

import json
import math

from marshmallow import Schema, ValidationError

from .scenario.fields import flatten_messages
from .scenario.yamlpos import format_path
from .settings import DEFAULT_LIMITS, Limits
from .shapes import schema_instance


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


def _depth(value) -> int:
    """How deep arrays and objects nest in a parsed value, without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            todo.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def validate(schema: type[Schema], data) -> dict:
    """Load with a marshmallow schema; a failure becomes one readable BodyError."""
    try:
        return schema_instance(schema).load(data)
    except ValidationError as exc:
        problems = "; ".join(f"{format_path(path)}: {message}" if path else message
                             for path, message in flatten_messages(exc.messages))
        raise BodyError(problems) from exc
