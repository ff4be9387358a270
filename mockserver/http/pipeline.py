"""The one request pipeline every provider route passes, read top to bottom (like stripe-mock's
HandleRequest). A provider states its routes, error shapes and extra steps (providers/contract.py);
this module runs them, the same way for every provider:

1. preflight: an OPTIONS request is the provider's (a CORS preflight, 204) or a method no route takes (405);
2. catch up: whatever fell due on the timeline runs first, so no answer shows stale state;
3. authenticate: the key's caller, or 401 in the provider's shape (a key past the tenant limit: 401 saying so);
4. tenant: the caller's, left in the environ for the journal;
5. rate limit: 429 in the provider's shape with Retry-After; refused requests are not counted;
6. guards: the route's own steps (Provynx's Idempotency-Key), which may answer instead (a replay);
7. fault: the scenario's, if one applies (engine/faults.py): a delay, an error status, a dropped
   connection, or an answer carried out by http/faulting.py (any answer, a cut, garbage, an empty
   reply, a reset, a trickle, a mutated answer), with or without the backend call as it says;
8. input: the route's body or query, read and validated outside the lock (400 in the provider's shape);
   fields a body should not have are ignored and noted in the journal, unless the scenario says
   strict_requests (then they are a 400 naming them);
9. call: the backend call under the lock; a refusal answers with its own status and message;
10. answer: dumped through the route's schema, the guards told what it was, the provider's headers added.

Steps 2 to 7 and, when a route reads no input and no fault applies, 9 run in one hold of the
state lock; otherwise 9 runs in a second hold, after a fault's wait or the input's reading (and
if a reset came in between, against the state there is then). Waiting, parsing input and
encoding JSON happen outside the lock; nothing here does network I/O.
A dropped connection or a crash tells the guards there will be no answer, so a reservation they
hold (an Idempotency-Key in flight) is freed."""
from __future__ import annotations

import time

from flask import Response, current_app
from flask import request as current_request
from flask.globals import request_ctx
from werkzeug.exceptions import MethodNotAllowed

from mockserver.engine.faults import Taken
from mockserver.http import faulting
from mockserver.http.faulting import FAULT
from mockserver.http.inputs import BodyError, validate, validate_leniently
from mockserver.http.shapes import dump, status_text
from mockserver.http.wire import answer_response, dropped_connection, read_json
from mockserver.providers.contract import Call, Provider, ProviderError, Route
from mockserver.providers.tenancy import TenantLimitReached

TENANT = "mockserver.tenant"          # set once the caller is known; the journal reads it
IGNORED = "mockserver.ignored"        # fields of the body that were ignored, for the journal
# For the client report (engine/observe.py), read by the journal's layer: the route that took the
# request and its path's arguments; the rate limit's Rejection of a 429; a connection dropped on
# purpose; a poll whose answer showed the number finished.
ROUTE, PATH_ARGS, REJECTION, DROPPED_ON_PURPOSE, POLL_DONE = (
    "mockserver.route", "mockserver.path_args", "mockserver.rejection", "mockserver.dropped", "mockserver.done")
IGNORED_QUERY = "mockserver.ignored_query"     # query parameters the route does not know ("?name")
# The key the provider read (Provider.credentials), the number a request is about when a
# parameter names it (Route.subject), and a refusal whatever its status (a protocol may answer
# refusals with 200 and a token), for the journal and the client report.
KEY, SUBJECT, REFUSED = "mockserver.key", "mockserver.subject", "mockserver.refused"


class _Plan:
    """What the pipeline needs of one route, worked out once, when the app is built."""
    __slots__ = ("provider", "route", "errors", "reads_input", "guards", "adds_headers", "query_names")

    def __init__(self, provider: Provider, route: Route):
        self.provider, self.route, self.errors = provider, route, provider.errors
        self.reads_input = route.body is not None or route.query is not None
        self.guards = route.guards
        self.adds_headers = type(provider).answer_headers is not Provider.answer_headers
        self.query_names = frozenset() if route.query is None else frozenset(
            field.data_key or name for name, field in route.query().load_fields.items())


def view_for(provider: Provider, route: Route):
    """The Flask view of one route: the pipeline, for that provider and route."""
    plan = _Plan(provider, route)

    def view(**path_args):
        # The request itself, once: each access through Flask's request proxy costs a lookup.
        return run(current_app.extensions["mockserver"], plan, current_request._get_current_object(), path_args)
    view.__name__ = route.name
    return view


def run(sandbox, plan: _Plan, request, path_args: dict) -> Response:
    provider, route, errors = plan.provider, plan.route, plan.errors
    environ = request.environ
    section = sandbox.scenario.section(provider.name)
    if environ["REQUEST_METHOD"] == "OPTIONS":
        if provider.preflight(section):
            return _answer(plan, section, request, 204, None)
        # The Allow header lists the methods of every route on this path (GET and DELETE on a
        # number are two routes).
        raise MethodNotAllowed(valid_methods=sorted(set(request_ctx.url_adapter.allowed_methods()) - {"OPTIONS"}))
    if route.public:
        return _answer(plan, section, request, route.status, route.call(section))
    key = environ[KEY] = provider.credentials(request)
    environ[ROUTE], environ[PATH_ARGS] = route, path_args
    call = fault = outcome = None
    with sandbox.lock:
        sandbox.catch_up()
        resets = sandbox.resets
        backend = sandbox.backends[provider.name]
        try:
            caller = backend.authenticate(key)
        except TenantLimitReached as exc:
            return _answer(plan, section, request, *_refusal(provider, section, request, 401,
                                                                     f"{errors.unauthorized} ({exc})"))
        if caller is None:
            return _answer(plan, section, request, *_refusal(provider, section, request, 401, errors.unauthorized))
        tenant = environ[TENANT] = caller.tenant
        now = sandbox.clock.now(tenant)
        local_path = provider.local_path(environ["PATH_INFO"]) or ""
        rejection = backend.admit(caller, environ.get("REMOTE_ADDR", ""), local_path, now)
        if rejection is None:
            call = Call(sandbox, section, backend, caller, request, now)
            if plan.guards:
                outcome = _guarded(plan, call)
            if outcome is None:
                fault = sandbox.fault_for(provider.name, environ["REQUEST_METHOD"], environ["PATH_INFO"],
                                          local_path, caller.key, tenant)
                if fault is None and not plan.reads_input:
                    try:
                        outcome = _call(plan, call, path_args)
                    except BaseException:
                        _abandon(sandbox, plan, call)
                        raise
    if rejection is not None:
        environ[REJECTION] = rejection
        return _answer(plan, section, request, 429, errors.rate_limited(rejection),
                       {"Retry-After": str(rejection.retry_after_s)})
    if outcome is None:
        try:
            outcome = _rest(sandbox, plan, call, fault, path_args, resets)
        except BaseException:
            _abandon(sandbox, plan, call)
            raise
        if outcome is DROPPED:
            environ[DROPPED_ON_PURPOSE] = True
            return dropped_connection()
        if isinstance(outcome, Response):
            return outcome
    answer = _answer(plan, section, request, *outcome)
    return answer if fault is None else _faulted(sandbox, fault, answer, environ)


def _faulted(sandbox, taken: Taken, answer: Response, environ: dict) -> Response:
    """The answer as the scenario's fault gives it to the client (http/faulting.py)."""
    tenant = environ.get(TENANT)
    return faulting.shaped(taken, answer, lambda: sandbox.clock.now(tenant) / 1000,
                           sandbox.limits.fault_trickle_patience_s)


DROPPED = object()      # the outcome of a fault that breaks the connection


def _rest(sandbox, plan: _Plan, call: Call, taken: Taken | None, path_args: dict, resets: int):
    """Steps 7 to 9 when they cannot all run in the first hold of the lock: a fault to carry out,
    or input to read. The outcome (status, body[, headers]), or DROPPED. ``resets``: the
    sandbox's count of resets when the first hold ended."""
    errors, route = plan.errors, plan.route
    if taken is not None:
        # A fault waits or breaks the connection outside the lock; one that only delays lets the
        # request through, which then sees the state as it is after the wait.
        fault = taken.rule
        if fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        call.request.environ[FAULT] = taken
        if fault.drop:
            _abandon(sandbox, plan, call)
            return DROPPED
        early = faulting.instead(taken)
        if early is not None:               # answered without the call: nothing was begun
            _abandon(sandbox, plan, call)
            return early
        if fault.status:
            body = errors.for_status(fault.status, status_text(fault.status))
            _tell_guards(sandbox, plan, call, fault.status, body, refused_input=False)
            return fault.status, body
    args = dict(path_args)
    try:
        if route.body is not None:
            body = read_json(call.request, invalid_json=plan.provider.invalid_json, limits=sandbox.limits)
            if sandbox.scenario.strict_requests:
                args["body"] = validate(route.body, body)
            else:
                # As an Express-style API does, fields it does not know are ignored; the journal notes them.
                args["body"], ignored = validate_leniently(route.body, body)
                if ignored:
                    call.request.environ[IGNORED] = ignored
        if route.query is not None:
            query = plan.provider.parameters(call.request)
            args["query"] = validate(route.query, query)
            if route.subject is not None:
                call.request.environ[SUBJECT] = query.get(route.subject)
            if not plan.query_names.issuperset(query):     # ignored, as the real APIs do; the report notes them
                call.request.environ[IGNORED_QUERY] = tuple(f"?{name}" for name in query if name not in plan.query_names)
    except BodyError as problem:
        status, body = _refusal(plan.provider, call.section, call.request, 400, errors.invalid_input(str(problem)))
        _tell_guards(sandbox, plan, call, status, body, refused_input=True)
        return status, body
    with sandbox.lock:
        sandbox.catch_up()
        if sandbox.resets != resets:
            refused = _after_reset(sandbox, plan, call)
            if refused is not None:
                return refused
        call.now_ms = sandbox.clock.now(call.caller.tenant)
        return _call(plan, call, args)


def _after_reset(sandbox, plan: _Plan, call: Call):
    """A reset (or a scenario load) came while the input was read outside the lock: the caller's
    account, or every account, was replaced. The call runs as if it had come in now, against
    what is there now (a 401 if its key opens nothing any more); what guards held belonged to
    the old state, so it is let go, and the answer is not remembered for a replay."""
    _abandon_guards(plan, call)
    backend = sandbox.backends[plan.provider.name]
    try:
        caller = backend.authenticate(call.caller.key)
    except TenantLimitReached as exc:
        return _refusal(plan.provider, call.section, call.request, 401, f"{plan.errors.unauthorized} ({exc})")
    if caller is None:
        return _refusal(plan.provider, call.section, call.request, 401, plan.errors.unauthorized)
    call.backend, call.caller, call.section = backend, caller, sandbox.scenario.section(plan.provider.name)
    return None


def _refusal(provider: Provider, section, request, status: int, message: str) -> tuple[int, object]:
    """A refusal as the provider answers it, marked for the client report."""
    request.environ[REFUSED] = True
    return provider.refusal(section, request, status, message)


def _guarded(plan: _Plan, call: Call):
    """Step 6: the route's guards, in order; the first answer one gives, or None."""
    try:
        for guard in plan.guards:
            early = guard.before(call)
            if early is not None:
                return early
    except ProviderError as refusal:
        return refusal.status, plan.errors.body(refusal.status, refusal.text)
    return None


def _call(plan: _Plan, call: Call, args: dict) -> tuple[int, object]:
    """Step 9 and the answer, dumped (under the lock: it reads live state); the guards are told."""
    route = plan.route
    if route.needs_base_url:
        args = {**args, "base_url": call.request.host_url.rstrip("/")}
    refused_input = False
    try:
        result = route.call(call.backend, call.caller, call.now_ms, **args)
    except ProviderError as refusal:
        status, body = _refusal(plan.provider, call.section, call.request, refusal.status, refusal.text)
        # A refusal of the input itself (a provider's error marked refuses_input) is told to the
        # guards as a refused body is: nothing was begun, so there is nothing to replay.
        refused_input = refusal.refuses_input
    else:
        answer = route.answer_for(call.section)
        status, body = route.status, result if answer is None else dump(answer, result)
        if route.done is not None and route.done(result):
            call.request.environ[POLL_DONE] = True
    if plan.guards:
        for guard in plan.guards:
            guard.after(call, status, body, refused_input)
    return status, body


def _tell_guards(sandbox, plan: _Plan, call: Call, status: int, body, *, refused_input: bool) -> None:
    if plan.guards:
        with sandbox.lock:
            for guard in plan.guards:
                guard.after(call, status, body, refused_input)


def _abandon(sandbox, plan: _Plan, call: Call | None) -> None:
    if plan.guards and call is not None:
        with sandbox.lock:
            _abandon_guards(plan, call)


def _abandon_guards(plan: _Plan, call: Call) -> None:
    for guard in plan.guards:
        guard.abandon(call)


def _answer(plan: _Plan, section, request, status: int, body, headers: dict | None = None) -> Response:
    if plan.adds_headers:
        extra = plan.provider.answer_headers(section, request)
        if extra:
            headers = {**(headers or {}), **extra}
    return answer_response(body, status, headers)
