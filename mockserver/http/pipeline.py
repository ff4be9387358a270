"""The one way through (docs/architecture.md draws it): every request meets the front
(``Front.serve``), and a provider route then runs ``run``, top to bottom, the same for every
provider (like stripe-mock's HandleRequest), filling the request's one record, its Exchange.

The front reads the body once, within its API's limit: the app's one size check, so it holds
under any WSGI server. Outside the control API it begins the Exchange and, in a ``finally``,
hands it to the one recorder (Sandbox.record), whatever answered.

A route: 1 preflight; then, before the lock, the body parsed once and the input validated, kept
for step 8; then one hold of the state lock: 2 catch up, 3 authenticate (401), 4 tenant and its
clock, 5 rate limit (429), 6 guards (Idempotency-Key, may answer instead), 7 fault (a status or
a dropped connection), 8 the input's 400 or its ignored fields noted, 9 the backend call, 10 the
answer dumped and the guards told; the JSON is encoded after the lock is let go. Only a fault's
delay lets go of it in between: the request waits after step 7, then steps 7 to 10 run in a
second hold as if it came in then. A dropped connection or a crash tells the guards there will
be no answer, so what they hold (an Idempotency-Key in flight) is freed."""
from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import NamedTuple, cast

from flask import Response, current_app
from flask import request as current_request
from werkzeug.exceptions import MethodNotAllowed

from mockserver.engine.exchange import Exchange
from mockserver.engine.faults import FaultRule
from mockserver.http.inputs import BodyError, parse_json, validate, validate_leniently
from mockserver.http.wire import ErrorShapes, Request, answer_response, dropped_connection
from mockserver.providers.contract import Backend, Call, Caller, Provider, ProviderError, Route, bearer_token
from mockserver.providers.registry import by_path
from mockserver.providers.shapes import dump, status_text
from mockserver.providers.tenancy import TenantLimitReached
from mockserver.sandbox import Sandbox
from mockserver.settings import SNAPSHOT_PATH

Outcome = tuple            # (status, body) or (status, body, headers)
DROPPED = object()         # the outcome of a fault that breaks the connection


class Front:
    """What every request of the app meets first (``serve``, called by the app for each one)."""

    def __init__(self, sandbox: Sandbox, shapes: ErrorShapes, control_prefix: str):
        self._sandbox, self._shapes, self._control = sandbox, shapes, control_prefix

    def serve(self, request: Request, dispatch: Callable[[], Response]) -> Response:
        """The answer: ``dispatch`` (Flask's routing, views and error handlers) once the body is in."""
        environ, limits = request.environ, self._sandbox.limits
        path = environ.get("PATH_INFO", "")
        if path == self._control or path.startswith(self._control + "/"):
            limit = limits.max_snapshot_bytes if path == SNAPSHOT_PATH else limits.max_scenario_bytes
            refused = self._read_body(request, path, limit)
            return dispatch() if refused is None else refused
        provider = by_path(path)
        exchange = request.exchange = Exchange(
            environ.get("REQUEST_METHOD", ""), path, environ.get("QUERY_STRING", ""), environ.get("HTTP_HOST"),
            provider=None if provider is None else provider.name, at_ms=self._sandbox.clock.now())
        started = time.perf_counter()
        try:
            answer = self._read_body(request, path, limits.max_body_bytes)
            exchange.body = request.body
            exchange.key = bearer_token(request.headers) if provider is None else provider.credentials(request)
            if answer is None:
                answer = dispatch()
                exchange.matched = request.url_rule is not None
            exchange.status = answer.status_code
            return answer
        finally:
            exchange.duration_ms = (time.perf_counter() - started) * 1000
            self._sandbox.record(exchange)

    def _read_body(self, request: Request, path: str, limit: int) -> Response | None:
        """The body into ``request.body``, or the refusal to answer instead. What was read (nothing,
        when refused) becomes the request's stream, with a plain length, so what parses a form
        parses these bytes and never reads the connection again."""
        environ = request.environ
        if (environ.get("CONTENT_LENGTH") or "").strip() == "0" or environ.get("wsgi.input") is None:
            return None
        refused = _take_body(request, limit)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(request.body), str(len(request.body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return None if refused is None else answer_response(self._shapes.for_path(path)(refused), refused)


def _take_body(request: Request, limit: int) -> int | None:
    """Reads the body into ``request.body``, or gives the status that refuses it. One without a
    numeric length (chunked, a Transfer-Encoding list, HTTP/2) is read one byte past the limit at most."""
    declared = (request.environ.get("CONTENT_LENGTH") or "").strip()
    if declared.isdigit() and int(declared) > limit:
        return 413                                 # unread
    try:
        body = request.environ["wsgi.input"].read(int(declared) if declared.isdigit() else limit + 1)
    except TimeoutError:                           # it did not arrive in time (serving.BufferedBodies)
        return 408
    if len(body) > limit:
        return 413
    if declared.isdigit() and len(body) != int(declared):     # the client stopped short: never run half a body
        return 400
    request.body = body
    return None


class _Plan:
    """What the pipeline needs of one route, worked out once, when the app is built."""
    __slots__ = ("provider", "route", "errors", "guards", "query_names")

    def __init__(self, provider: Provider, route: Route):
        self.provider, self.route, self.errors, self.guards = provider, route, provider.errors, route.guards
        self.query_names = frozenset() if route.query is None else frozenset(
            field.data_key or name for name, field in route.query().load_fields.items())


class _Input(NamedTuple):
    """A route's input as read before the lock, for step 8."""
    args: dict                          # the call's arguments: path arguments, body=, query=
    ignored: tuple[str, ...] = ()       # body fields ignored
    ignored_query: tuple[str, ...] = ()
    problem: str | None = None          # why the body or query is refused (a 400)
    subject: str | None = None          # the number a parameter names (Route.subject)


def view_for(provider: Provider, route: Route) -> Callable[..., Response]:
    """The Flask view of one route: the pipeline, for that provider and route."""
    plan = _Plan(provider, route)

    def view(**path_args) -> Response:
        return run(current_app.extensions["mockserver"], plan, cast(Request, current_request), path_args)
    view.__name__ = route.name
    return view


def run(sandbox: Sandbox, plan: _Plan, request: Request, path_args: dict) -> Response:
    provider, route, errors = plan.provider, plan.route, plan.errors
    exchange = request.exchange
    section = sandbox.scenario.section(provider.name)
    if exchange.method == "OPTIONS":
        if provider.preflight(section):
            return _answer(plan, section, request, (204, None))
        # The Allow header lists the methods of every route on this path (GET and DELETE on a
        # number are two routes).
        adapter = current_app.create_url_adapter(request)
        assert adapter is not None          # Flask makes one for every request
        raise MethodNotAllowed(valid_methods=sorted(set(adapter.allowed_methods()) - {"OPTIONS"}))
    if route.public:
        return _answer(plan, section, request, (route.status, route.call(section)))
    exchange.route, exchange.kind, exchange.target = route.name, route.kind, path_args.get("id")
    if route.retry_header:
        exchange.retry_header, exchange.retry_value = route.retry_header, request.headers.get(route.retry_header)
    given = _read_input(sandbox, plan, request, exchange, path_args)
    call: Call | None = None
    fault: FaultRule | None = None
    outcome: object = None
    try:
        with sandbox.lock:
            sandbox.catch_up()
            resets = sandbox.resets
            backend = sandbox.backends[provider.name]
            caller, outcome = _authenticate(plan, section, request, backend)
            if caller is not None:
                tenant = exchange.tenant = caller.tenant
                now = exchange.at_ms = sandbox.clock.now(tenant)
                local_path = provider.local_path(exchange.path) or ""
                exchange.rejection = backend.admit(caller, request.environ.get("REMOTE_ADDR", ""), local_path, now)
                if exchange.rejection is None:
                    call = Call(sandbox, section, backend, caller, request, now, exchange)
                    outcome = _guarded(plan, call) if plan.guards else None
                    if outcome is None:
                        fault = sandbox.fault_for(provider.name, exchange.method, exchange.path, local_path,
                                                  caller.key, tenant)
                        if fault is None or not fault.delay_ms:
                            outcome = _rest(plan, call, fault, given)
        if call is not None and fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
            with sandbox.lock:
                sandbox.catch_up()
                outcome = None
                if sandbox.resets != resets:
                    # A reset (or a scenario load) came during the wait: the request goes on against
                    # what is there now (a 401 if its key opens nothing any more); what the guards
                    # held belonged to the old state, so it is let go, and no replay is remembered.
                    _abandon_guards(plan, call)
                    call.backend, call.section = sandbox.backends[provider.name], sandbox.scenario.section(provider.name)
                    caller, outcome = _authenticate(plan, call.section, request, call.backend)
                    if caller is not None:
                        call.caller, exchange.tenant = caller, caller.tenant
                if outcome is None:
                    call.now_ms = exchange.at_ms = sandbox.clock.now(call.caller.tenant)
                    outcome = _rest(plan, call, fault, given)
    except BaseException:
        if plan.guards and call is not None:
            with sandbox.lock:
                _abandon_guards(plan, call)
        raise
    if exchange.rejection is not None:
        rejection = exchange.rejection
        return _answer(plan, section, request, (429, errors.rate_limited(rejection),
                                                {"Retry-After": str(rejection.retry_after_s)}))
    if outcome is DROPPED:
        exchange.dropped = True
        return dropped_connection()
    return _answer(plan, section, request, cast(Outcome, outcome))


def _read_input(sandbox: Sandbox, plan: _Plan, request: Request, exchange: Exchange, path_args: dict) -> _Input:
    """Step 8's reading, before the lock: the body parsed once (the guards' fingerprint reads the
    same parse) and validated, the query validated. As an Express-style API does, body fields it
    does not know are ignored and noted, unless the scenario says strict_requests."""
    route, args = plan.route, dict(path_args)
    ignored: tuple[str, ...] = ()
    try:
        if route.body is not None:
            exchange.body_json = parse_json(exchange.body, invalid_json=plan.provider.invalid_json,
                                            limits=sandbox.limits)
            exchange.body_is_json = True
            if sandbox.scenario.strict_requests:
                args["body"] = validate(route.body, exchange.body_json)
            else:
                args["body"], ignored = validate_leniently(route.body, exchange.body_json)
            exchange.input = args["body"]
        if route.query is not None:
            query = plan.provider.parameters(request)
            args["query"] = exchange.input = validate(route.query, query)
            subject = None if route.subject is None else query.get(route.subject)
            # Names the route does not know are ignored, as the real APIs do; the report notes them.
            unknown = tuple(f"?{name}" for name in query if name not in plan.query_names)
            return _Input(args, ignored, unknown, subject=subject)
    except BodyError as problem:
        return _Input(args, ignored, problem=str(problem))
    return _Input(args, ignored)


def _authenticate(plan: _Plan, section, request: Request, backend: Backend) -> tuple[Caller | None, Outcome | None]:
    """Step 3: the key's caller, or the 401 to answer."""
    errors = plan.errors
    try:
        caller = backend.authenticate(request.exchange.key)
    except TenantLimitReached as exc:
        return None, _refusal(plan, section, request, 401, f"{errors.unauthorized} ({exc})")
    if caller is None:
        return None, _refusal(plan, section, request, 401, errors.unauthorized)
    return caller, None


def _refusal(plan: _Plan, section, request: Request, status: int, message: str) -> Outcome:
    """A refusal as the provider answers it (Provider.refusal), marked in the Exchange."""
    request.exchange.refused = True
    return plan.provider.refusal(section, request, status, message)


def _guarded(plan: _Plan, call: Call) -> Outcome | None:
    """Step 6: the route's guards, in order; the first answer one gives, or None."""
    try:
        for guard in plan.guards:
            early = guard.before(call)
            if early is not None:
                return early
    except ProviderError as refusal:
        return refusal.status, plan.errors.body(refusal.status, refusal.text)
    return None


def _rest(plan: _Plan, call: Call, fault: FaultRule | None, given: _Input) -> object:
    """Steps 7 (but a delay) to 10, under the lock: the outcome (status, body[, headers]), or DROPPED."""
    errors, exchange = plan.errors, call.exchange
    if fault is not None:
        if fault.drop:
            _abandon_guards(plan, call)
            return DROPPED
        if fault.status:
            body = errors.for_status(fault.status, status_text(fault.status))
            _tell_guards(plan, call, fault.status, body, refused_input=False)
            return fault.status, body
    exchange.ignored, exchange.ignored_query = given.ignored, given.ignored_query
    exchange.target = given.subject or exchange.target
    if given.problem is not None:
        status, body = _refusal(plan, call.section, cast(Request, call.request), 400, errors.invalid_input(given.problem))
        _tell_guards(plan, call, status, body, refused_input=True)
        return status, body
    return _call(plan, call, given.args)


def _call(plan: _Plan, call: Call, args: dict) -> Outcome:
    """Step 9 and the answer, dumped (under the lock: it reads live state); the guards are told."""
    route, exchange = plan.route, call.exchange
    if route.needs_base_url:
        args = {**args, "base_url": cast(Request, call.request).host_url.rstrip("/")}
    status: int
    body: object
    refused_input = False
    try:
        result = exchange.answer = route.call(call.backend, call.caller, call.now_ms, **args)
    except ProviderError as refusal:
        status, body = _refusal(plan, call.section, cast(Request, call.request), refusal.status, refusal.text)
        # A refusal of the input itself (a provider's error marked refuses_input) is told to the
        # guards as a refused body is: nothing was begun, so there is nothing to replay.
        refused_input = refusal.refuses_input
    else:
        answer = route.answer_for(call.section)
        # A route whose status is None only refuses (its call never returns).
        status, body = cast(int, route.status), result if answer is None else dump(answer, result)
        exchange.done = route.done is not None and route.done(result)
    _tell_guards(plan, call, status, body, refused_input=refused_input)
    return status, body


def _tell_guards(plan: _Plan, call: Call, status: int, body, *, refused_input: bool) -> None:
    for guard in plan.guards:
        guard.after(call, status, body, refused_input)


def _abandon_guards(plan: _Plan, call: Call) -> None:
    for guard in plan.guards:
        guard.abandon(call)


def _answer(plan: _Plan, section, request: Request, outcome: Outcome) -> Response:
    status, body, *rest = outcome
    headers = {**(rest[0] if rest else {}), **plan.provider.answer_headers(section, request)} or None
    return answer_response(body, status, headers)
