"""PVADeals routes: HTTP in, the gate, backend call under the engine lock, documented body out."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, request
from marshmallow import Schema

from ...journaling import TENANT
from ...wire import BodyError, apply_fault, bearer_token, json_response, read_json, validate
from ..tenancy import TenantLimitReached
from . import schemas as s
from .backend import PvaDealsError, tenant_of

PREFIX = "/v3/api"
bp = Blueprint("pvadeals", __name__, url_prefix=PREFIX)
# Routes take strict_slashes=False: PVADeals is an Express API, whose router answers "/balance/"
# as "/balance".


def _error(status: int, message: str):
    return json_response(s.error_body(status, message), status)


def gated(*, body: type[Schema] | None = None, query: type[Schema] | None = None):
    """The gate every PVADeals route passes: authenticate, catch the timeline up, count the request
    against the rate limits, apply the scenario's faults. Then the route's ``body`` or ``query``,
    if it takes one, is read and validated (so a 400 comes after a 401 or a 429), and the view runs
    with the state lock held, given the backend, the caller's account and its virtual now.

    A decorator rather than a before_request hook: none of Flask's per-hook dispatch, which cost
    about a tenth of a balance request, and one lock hold for a route that reads no input."""
    def decorate(view):
        @wraps(view)
        def gated_view(**route_args):
            sandbox = current_app.extensions["mockserver"]
            environ = request.environ       # read once: each access through Flask's request proxy costs
            key = bearer_token(environ)
            with sandbox.lock:
                sandbox.catch_up()
                try:
                    account = sandbox.pvadeals.account(key)
                except TenantLimitReached as exc:
                    return _error(s.UNAUTHORIZED[0], f"{s.UNAUTHORIZED[1]} ({exc})")
                if account is None:
                    return _error(*s.UNAUTHORIZED)
                tenant = environ[TENANT] = tenant_of(key)
                path = environ["PATH_INFO"]
                local_path = path[len(PREFIX):]
                now = sandbox.clock.now(tenant)
                rejection = sandbox.pvadeals.admit(key, environ.get("REMOTE_ADDR", ""), local_path, now)
                fault = None if rejection else sandbox.fault_for("pvadeals", environ["REQUEST_METHOD"], path,
                                                                 local_path, key, tenant)
                if rejection is None and fault is None and body is None and query is None:
                    return view(sandbox.pvadeals, account, now, **route_args)
            if rejection is not None:
                return json_response(s.rate_limited_body(rejection.rule.limit, rejection.retry_after_s), 429,
                                     {"Retry-After": str(rejection.retry_after_s)})
            # A fault waits or breaks the connection outside the lock; one that only delays lets the
            # request through, which then sees the state as it is after the wait.
            answer = None if fault is None else apply_fault(fault, s.route_error_body)
            if answer is not None:
                return answer
            if body is not None:
                route_args["body"] = validate(body, read_json(request, invalid_json=s.INVALID_JSON,
                                                                         limits=sandbox.limits))
            if query is not None:
                route_args["query"] = validate(query, request.args.to_dict())
            with sandbox.lock:
                sandbox.catch_up()
                return view(sandbox.pvadeals, account, sandbox.clock.now(tenant), **route_args)

        return gated_view
    return decorate


@bp.errorhandler(PvaDealsError)
def refused(exc: PvaDealsError):
    return _error(*s.ERRORS[type(exc)])


@bp.errorhandler(BodyError)
def bad_request(exc: BodyError):
    return _error(400, str(exc))


@bp.get("/balance", strict_slashes=False)
@gated()
def balance(backend, account, now):
    return json_response(s.balance_body(account.credits))


@bp.get("/services/all", strict_slashes=False)
@gated()
def services(backend, account, now):
    return json_response(s.services_body(backend.services.values()))


@bp.post("/purchase", strict_slashes=False)
@gated(body=s.PurchaseBodySchema)
def purchase(backend, account, now, body):
    bought = backend.purchase(account, [item["serviceId"] for item in body["services"]], now)
    return json_response(s.purchase_body(bought))


@bp.post("/flag/<request_id>", strict_slashes=False)
@gated()
def flag(backend, account, now, request_id: str):
    backend.flag(account, request_id, now)
    return json_response(s.flag_body())


@bp.post("/reuse/<request_id>", strict_slashes=False)
@gated()
def reuse(backend, account, now, request_id: str):
    return json_response(s.reuse_body(backend.reuse(account, request_id, now)))


@bp.get("/requests", strict_slashes=False)
@gated(query=s.ListQuerySchema)
def list_requests(backend, account, now, query):
    if query["after"] is not None and query["before"] is not None:
        raise BodyError(s.AFTER_AND_BEFORE)
    after = s.decode_cursor(query["after"]) if query["after"] is not None else None
    before = s.decode_cursor(query["before"]) if query["before"] is not None else None
    page = backend.list_requests(account, first=query["first"], after=after, before=before,
                                 order_field=query["orderField"], descending=query["orderBy"] == "desc")
    return json_response(s.list_body(page))


@bp.get("/request/<request_id>", strict_slashes=False)
@gated()
def detail(backend, account, now, request_id: str):
    return json_response(s.detail_body(backend.poll(account, request_id, now)))
