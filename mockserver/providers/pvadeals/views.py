"""PVADeals routes: HTTP in, backend call under the engine lock, documented body out."""
from __future__ import annotations

from contextlib import contextmanager

from flask import Blueprint, current_app, g, request

from ...journaling import TENANT
from ...wire import BodyError, apply_fault, bearer_token, json_response, read_json, validate
from . import schemas as s
from .backend import PvaDealsError, tenant_of

PREFIX = "/v3/api"
bp = Blueprint("pvadeals", __name__, url_prefix=PREFIX)


def _error(status: int, message: str):
    return json_response(s.error_body(status, message), status)


@bp.before_request
def admit():
    """Authenticate, catch the timeline up, then count the request against the rate limits."""
    sandbox = current_app.extensions["mockserver"]
    environ = request.environ       # read once: each access through Flask's request proxy costs
    key = bearer_token(environ)
    with sandbox.lock:
        sandbox.catch_up()
        account = sandbox.pvadeals.account(key)
        if account is None:
            return _error(*s.UNAUTHORIZED)
        tenant = environ[TENANT] = tenant_of(key)
        path = environ["PATH_INFO"]
        local_path = path[len(PREFIX):]
        rejection = sandbox.pvadeals.admit(key, environ.get("REMOTE_ADDR", ""), local_path, sandbox.clock.now(tenant))
        fault = None if rejection else sandbox.fault_for("pvadeals", environ["REQUEST_METHOD"], path, local_path,
                                                         key, tenant)
    if rejection is not None:
        return json_response(s.rate_limited_body(rejection.rule.limit, rejection.retry_after_s), 429,
                             {"Retry-After": str(rejection.retry_after_s)})
    if fault is not None:
        answer = apply_fault(fault, s.route_error_body)
        if answer is not None:
            return answer
    g.pvadeals_account = account


@contextmanager
def _state():
    """The backend, the caller's account and its virtual now, with the state lock held."""
    sandbox = current_app.extensions["mockserver"]
    account = g.pvadeals_account
    with sandbox.lock:
        yield sandbox.pvadeals, account, sandbox.clock.now(tenant_of(account.key))


@bp.errorhandler(PvaDealsError)
def refused(exc: PvaDealsError):
    return _error(*s.ERRORS[type(exc)])


@bp.errorhandler(BodyError)
def bad_request(exc: BodyError):
    return _error(400, str(exc))


@bp.get("/balance")
def balance():
    with _state() as (_, account, _now):
        return json_response(s.balance_body(account.credits))


@bp.get("/services/all")
def services():
    with _state() as (backend, _, _now):
        return json_response(s.services_body(backend.services.values()))


@bp.post("/purchase")
def purchase():
    body = validate(s.PurchaseBodySchema(), read_json(request, invalid_json=s.INVALID_JSON))
    with _state() as (backend, account, now):
        bought = backend.purchase(account, [item["serviceId"] for item in body["services"]], now)
        return json_response(s.purchase_body(bought))


@bp.post("/flag/<request_id>")
def flag(request_id: str):
    with _state() as (backend, account, now):
        backend.flag(account, request_id, now)
        return json_response(s.flag_body())


@bp.post("/reuse/<request_id>")
def reuse(request_id: str):
    with _state() as (backend, account, now):
        return json_response(s.reuse_body(backend.reuse(account, request_id, now)))


@bp.get("/requests")
def list_requests():
    query = validate(s.ListQuerySchema(), request.args.to_dict())
    if query["after"] is not None and query["before"] is not None:
        raise BodyError(s.AFTER_AND_BEFORE)
    after = s.decode_cursor(query["after"]) if query["after"] is not None else None
    before = s.decode_cursor(query["before"]) if query["before"] is not None else None
    with _state() as (backend, account, _now):
        page = backend.list_requests(account, first=query["first"], after=after, before=before,
                                     order_field=query["orderField"], descending=query["orderBy"] == "desc")
        return json_response(s.list_body(page))


@bp.get("/request/<request_id>")
def detail(request_id: str):
    with _state() as (backend, account, now):
        return json_response(s.detail_body(backend.poll(account, request_id, now)))
