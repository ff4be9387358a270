"""HTTP plumbing every blueprint shares: bearer keys, JSON bodies, JSON responses, and
which error shape a path gets when no view answers it (unknown route, wrong method, crash)."""
from __future__ import annotations

import datetime
import json
import logging
import math
import time
from decimal import Decimal
from functools import cache
from http import HTTPStatus
from typing import Callable

from flask import Flask, Request, Response, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from .scenario.fields import flatten_messages
from .settings import DEFAULT_LIMITS, Limits
from .scenario.yamlpos import format_path

# The body for a status no view chose (unknown route, wrong method, crash), per API.
ErrorShape = Callable[[int], dict]


class BodyError(ValueError):
    """The request body or query is not what the endpoint takes; the message says why."""


def _plain(value):
    """Values YAML or Decimal arithmetic can leave in a body: dates as ISO text, amounts as numbers."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Compact like Express's res.json, keys in the order the shapes give them. One encoder for every
# answer: json.dumps with options builds a new one per call, a third of the cost of a small body.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_plain)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(_ENCODER.encode(body), status=status, headers=headers, mimetype="application/json")


def bearer_token(source) -> str | None:
    """The token of an ``Authorization: Bearer`` header, from a request or a WSGI environ."""
    header = source.get("HTTP_AUTHORIZATION", "") if isinstance(source, dict) else source.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def read_json(req: Request, *, invalid_json: str, limits: Limits = DEFAULT_LIMITS):
    """The parsed body, or BodyError. An empty body reads as an empty object."""
    return parse_json(req.get_data(cache=True), invalid_json=invalid_json, limits=limits)


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
        return _loader(schema).load(data)
    except ValidationError as exc:
        problems = "; ".join(f"{format_path(path)}: {message}" if path else message
                             for path, message in flatten_messages(exc.messages))
        raise BodyError(problems) from exc


@cache
def _loader(schema: type[Schema]) -> Schema:
    """One instance per schema, shared by every request (marshmallow's loads keep no state on it):
    a new one per request cost 100 µs, six times the load itself."""
    return schema()


def status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ErrorShapes:
    """Which API a path belongs to, and that API's error body for a status."""

    def __init__(self, shapes: dict[str, ErrorShape], default: ErrorShape):
        self._shapes = shapes
        self._default = default

    def prefix_of(self, path: str) -> str | None:
        for prefix in self._shapes:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix
        return None

    def for_path(self, path: str) -> ErrorShape:
        prefix = self.prefix_of(path)
        return self._default if prefix is None else self._shapes[prefix]


def install_error_shapes(app: Flask, shapes: ErrorShapes) -> None:
    """Unknown routes, wrong methods and unexpected failures answer in JSON, in the error
    shape of whichever API the path belongs to; never an HTML page or a traceback."""
    shape_for = shapes.for_path

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if request.url_rule is None:       # no route answered: the journal lists these apart
            request.environ["mockserver.unmatched"] = True
        allowed = getattr(exc, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if status == 405 and allowed else None
        return json_response(shape_for(request.path)(status), status, headers)

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return json_response(shape_for(request.path)(500), 500)


def apply_fault(fault, error_shape: ErrorShape) -> Response | None:
    """Carry out a scenario fault: wait (real time: a slow provider, never under the state lock),
    then answer with the status in the provider's shape, or break the connection."""
    if fault.delay_ms:
        time.sleep(fault.delay_ms / 1000)
    if fault.drop:
        return dropped_connection()
    if fault.status:
        return json_response(error_shape(fault.status), fault.status)
    return None


class DroppedConnection(ConnectionAbortedError):
    """Raised mid-answer on purpose by a drop fault."""


class HideDroppedConnections(logging.Filter):
    """The WSGI server logs an error with a traceback for every broken answer; a drop fault's
    are intended, so they are not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


def dropped_connection() -> Response:
    """Headers promising a body, part of it, then an error: the server closes the connection
    mid-answer, which the client sees as a broken connection."""
    def body():
        yield b'{"'
        raise DroppedConnection("fault: connection dropped")

    return Response(body(), status=200, headers={"Content-Length": "4096"}, mimetype="application/json")
