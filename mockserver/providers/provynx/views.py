"""Provynx routes. Every request passes, in order: CORS preflight, authentication, the rate
limit, the idempotency key (purchases), and the scenario's faults; then the view."""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

from flask import Blueprint, Response, current_app, g, request
from flask.globals import request_ctx
from werkzeug.exceptions import MethodNotAllowed

from ...engine.idempotency import Outcome
from ...journaling import TENANT
from ...wire import BodyError, apply_fault, bearer_token, json_response, parse_json, read_json, validate
from ..tenancy import TenantLimitReached
from . import schemas as s
from .backend import GLOBAL, US, ProvynxError

PREFIX = "/api/v1/sms"
bp = Blueprint("provynx", __name__, url_prefix=PREFIX)


def _route(method: str, path: str):
    """A route that also takes OPTIONS, for CORS preflights, which the gate answers."""
    return bp.route(path, methods=[method, "OPTIONS"], provide_automatic_options=True)


_CORS_METHODS = "GET, POST, DELETE, OPTIONS"
_CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"


def _sandbox():
    return current_app.extensions["mockserver"]


def _error(status: int, message: str, headers: dict | None = None):
    return json_response(s.error_body(message), status, headers)


# -- the gate every request passes --------------------------------------------------------------


@bp.before_request
def gate():
    if request.method == "OPTIONS":
        if _sandbox().cors_origins():
            return Response(status=204)      # a CORS preflight; after_request adds the headers
        # Without CORS, OPTIONS is a method no route takes (the Allow header lists those of every
        # route on this path: GET and DELETE on a number are two routes).
        raise MethodNotAllowed(valid_methods=sorted(set(request_ctx.url_adapter.allowed_methods()) - {"OPTIONS"}))
    if request.endpoint == "provynx.openapi":
        return None
    sandbox = _sandbox()
    environ = request.environ       # read once: each access through Flask's request proxy costs
    with sandbox.lock:
        sandbox.catch_up()
        backend = sandbox.provynx
        try:
            caller = backend.caller(bearer_token(environ))
        except TenantLimitReached as exc:
            return _error(401, f"{s.UNAUTHORIZED} ({exc})")
        if caller is None:
            return _error(401, s.UNAUTHORIZED)
        environ[TENANT] = caller.account.tenant
        local_path = environ["PATH_INFO"][len(PREFIX):]
        rejection = backend.admit(caller, environ.get("REMOTE_ADDR", ""), local_path,
                                  sandbox.clock.now(caller.account.tenant))
        if rejection is not None:
            return _error(429, s.RATE_LIMITED, {"Retry-After": str(rejection.retry_after_s)})
        g.provynx_caller = caller
        replay = _begin_idempotent(backend, caller, sandbox.clock.now(caller.account.tenant))
        if replay is not None:
            return replay
        fault = sandbox.fault_for("provynx", request.method, request.path, local_path, caller.key,
                                  caller.account.tenant)
    return None if fault is None else apply_fault(fault, s.status_error_body)


def _begin_idempotent(backend, caller, now_ms):
    """For purchases with an Idempotency-Key: replay, refuse, or reserve the key."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return None
    fingerprint = hashlib.sha256(f"{request.path}\0".encode() + _canonical_body()).hexdigest()
    begun = backend.idempotency.begin(caller.scope, key, fingerprint, now_ms)
    if begun.outcome is Outcome.REPLAY:
        return json_response(begun.stored.body, begun.stored.status, {"Idempotent-Replayed": "true"})
    if begun.outcome is Outcome.MISMATCH:
        return _error(400, s.IDEMPOTENCY_MISMATCH)
    if begun.outcome is Outcome.IN_FLIGHT:
        return _error(409, s.IDEMPOTENCY_IN_FLIGHT)
    g.provynx_idempotency = (caller.scope, key)
    return None


def _canonical_body() -> bytes:
    """The body as JSON with sorted keys, so spacing or key order does not make a repeat differ.
    Only its hash is kept: a key is remembered for a day, and a body may be large."""
    raw = request.get_data(cache=True)
    try:
        return json.dumps(parse_json(raw, invalid_json="", limits=_sandbox().limits), sort_keys=True,
                          separators=(",", ":")).encode()
    except BodyError:
        return raw


@bp.after_request
def finish(response: Response) -> Response:
    reserved = g.pop("provynx_idempotency", None)
    if reserved is not None:
        sandbox = _sandbox()
        with sandbox.lock:
            # Answers worth repeating are kept. A 5xx (a fault) frees the key for a retry, and so does a
            # body refused before the purchase began: the retry with a corrected body is no repeat.
            if response.status_code < 500 and not g.pop("provynx_input_refused", False):
                sandbox.provynx.idempotency.finish(*reserved, response.status_code, json.loads(response.get_data()))
            else:
                sandbox.provynx.idempotency.release(*reserved)
    return _with_cors(response)


@bp.teardown_request
def release_on_crash(exc):
    reserved = g.pop("provynx_idempotency", None)
    if reserved is not None:
        sandbox = _sandbox()
        with sandbox.lock:
            sandbox.provynx.idempotency.release(*reserved)


def _with_cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    allowed = _sandbox().cors_origins()
    if origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After, Idempotent-Replayed"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = _CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    if allowed:
        response.vary.add("Origin")
    return response


@contextmanager
def _state():
    """The backend, the caller and its virtual now, with the state lock held."""
    sandbox = _sandbox()
    caller = g.provynx_caller
    with sandbox.lock:
        yield sandbox.provynx, caller, sandbox.clock.now(caller.account.tenant)


@bp.errorhandler(ProvynxError)
def refused(exc: ProvynxError):
    return _error(*s.refusal(exc))


@bp.errorhandler(BodyError)
def bad_request(exc: BodyError):
    g.provynx_input_refused = True
    return _error(400, f"Invalid request: {exc}")


def _query(schema):
    return validate(schema, request.args.to_dict())


def _body(schema):
    return validate(schema, read_json(request, invalid_json=s.INVALID_JSON, limits=_sandbox().limits))


# -- routes -------------------------------------------------------------------------------------


@_route("GET", "/openapi.json")
def openapi():
    from .openapi import document      # apispec is imported only by who asks for the document
    return json_response(document())


@_route("GET", "/balance")
def balance():
    with _state() as (backend, caller, _now):
        return json_response(s.balance_body(backend.balance(caller), caller.sandbox))


@_route("GET", "/us/operators")
def us_operators():
    query = _query(s.ServerQuery)
    with _state() as (backend, _, _now):
        return json_response(s.operators_body(backend.country(query["server"], US, None), query["server"], US))


@_route("GET", "/us/services")
def us_services():
    query = _query(s.UsServicesQuery)
    with _state() as (backend, _, _now):
        return json_response(s.services_body(backend.catalog(query["server"], US, None, query["operator"])))


@_route("GET", "/global/countries")
def global_countries():
    query = _query(s.ServerQuery)
    with _state() as (backend, _, _now):
        return json_response(s.countries_body(backend.server(query["server"])))


@_route("GET", "/global/operators")
def global_operators():
    query = _query(s.GlobalOperatorsQuery)
    with _state() as (backend, _, _now):
        country = backend.country(query["server"], GLOBAL, query["country"])
        return json_response(s.operators_body(country, query["server"], GLOBAL))


@_route("GET", "/global/services")
def global_services():
    query = _query(s.GlobalServicesQuery)
    with _state() as (backend, _, _now):
        return json_response(s.services_body(
            backend.catalog(query["server"], GLOBAL, query["country"], query["operator"])))


@_route("POST", "/us/numbers")
def us_buy():
    return _buy(US, _body(s.UsPurchaseBody))


@_route("POST", "/global/numbers")
def global_buy():
    return _buy(GLOBAL, _body(s.GlobalPurchaseBody))


def _buy(region: str, body: dict):
    with _state() as (backend, caller, now):
        number = backend.buy(caller, region=region, service_id=body["service"], operator=body["operator"],
                             server_id=body["server"], country_code=body.get("country"), now_ms=now)
        return json_response(s.number_body(number), 201)


@_route("GET", "/<any(us, global):region>/numbers/<number_id>")
def number(region: str, number_id: str):
    with _state() as (backend, caller, _now):
        return json_response(s.number_body(backend.number(caller, region, number_id)))


@_route("GET", "/<any(us, global):region>/numbers/<number_id>/code")
def code(region: str, number_id: str):
    with _state() as (backend, caller, now):
        return json_response(s.code_body(backend.poll_code(caller, region, number_id, now)))


@_route("DELETE", "/<any(us, global):region>/numbers/<number_id>")
def cancel(region: str, number_id: str):
    with _state() as (backend, caller, now):
        return json_response(s.number_body(backend.cancel(caller, region, number_id, now)))
