"""HTTP plumbing every API shares: the app's request (with its body and Exchange), JSON answers,
which error shape a path gets when no route answers it (unknown route, wrong method, crash), and
a dropped connection."""
from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from typing import cast

import flask
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from mockserver.engine.exchange import Exchange
from mockserver.http.inputs import parse_json
from mockserver.providers.contract import under
from mockserver.settings import DEFAULT_LIMITS, Limits


class Request(flask.Request):
    """Flask's request as the app makes it (its ``request_class``): the pipeline's front
    (pipeline.Front) reads the body first, once, within its API's limit, and begins the
    Exchange of a request outside the control API, before any view or hook runs."""
    body: bytes = b""
    exchange: Exchange

# The body for a status no route chose (unknown route, wrong method, crash), per API.
ErrorShape = Callable[[int], object]


def _plain(value):
    """Values YAML or Decimal arithmetic can leave in a body: dates as ISO text, amounts as numbers."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Compact like Express's res.json, keys in the order the shapes give them. One encoder for every
# answer: json.dumps with options builds a new one per call, a third of the cost of a small body.
# No NaN or Infinity: they are not JSON, and no client could read the answer.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain)
# For text UTF-8 cannot carry (a lone surrogate a client sent as "\ud800", echoed in a message):
# escaped, as JSON allows, rather than failing the answer.
_ASCII_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_plain)


def json_bytes(body) -> bytes:
    """The body as UTF-8 JSON, whatever strings it holds."""
    try:
        return _ENCODER.encode(body).encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII_ENCODER.encode(body).encode("ascii")


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json_bytes(body), status=status, headers=headers, mimetype="application/json")


def answer_response(body, status: int = 200, headers: dict | None = None) -> Response:
    """An answer's body as JSON, or, when it is a str (a protocol of text tokens such as
    sms-activate's ``ACCESS_BALANCE:100.00``), as UTF-8 text/plain; None: no body."""
    if body is None:
        return Response(status=status, headers=headers)
    if isinstance(body, str):
        return Response(body.encode("utf-8", "backslashreplace"), status=status, headers=headers,
                        content_type="text/plain; charset=utf-8")
    return json_response(body, status, headers)


def read_json(req: flask.Request, *, invalid_json: str, limits: Limits = DEFAULT_LIMITS):
    """The parsed body (as the front read it), or BodyError. An empty body reads as an empty object."""
    return parse_json(body_of(req), invalid_json=invalid_json, limits=limits)


def body_of(req: flask.Request) -> bytes:
    """The body the front read, from the request as Flask's ``request`` proxy types it."""
    return cast(Request, req).body


class ErrorShapes:
    """Which API a path belongs to, that API's error body for a status, and the headers every
    answer of that API carries (Provynx's CORS headers: without them a browser client sees a
    CORS failure where the API answered 404 or 500)."""

    def __init__(self, shapes: dict[str, ErrorShape], default: ErrorShape,
                 headers: dict[str, Callable[[flask.Request], dict]] | None = None):
        self._shapes = shapes
        self._default = default
        self._headers = headers or {}

    def headers_for(self, path: str, req: flask.Request) -> dict:
        prefix = self.prefix_of(path)
        headers_of = None if prefix is None else self._headers.get(prefix)
        return {} if headers_of is None else headers_of(req)

    def prefix_of(self, path: str) -> str | None:
        for prefix in self._shapes:
            if under(path, prefix):
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
        # OPTIONS is not listed: it is there to answer CORS preflights, not a method to call.
        allowed = sorted(set(getattr(exc, "valid_methods", None) or ()) - {"OPTIONS"})
        headers = shapes.headers_for(request.path, request)
        if status == 405 and allowed:
            headers["Allow"] = ", ".join(allowed)
        return answer_response(shape_for(request.path)(status), status, headers)

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        try:
            headers = shapes.headers_for(request.path, request)
        except Exception:                  # the crash may be in the very code that makes them
            headers = {}
        return answer_response(shape_for(request.path)(500), 500, headers)


class DroppedConnection(ConnectionAbortedError):
    """Raised mid-answer on purpose by a drop fault."""


def dropped_connection() -> Response:
    """Headers promising a body, part of it, then an error: the server closes the connection
    mid-answer, which the client sees as a broken connection."""
    def body():
        yield b'{"'
        raise DroppedConnection("fault: connection dropped")

    return Response(body(), status=200, headers={"Content-Length": "4096"}, mimetype="application/json")
