"""The control API under /_mock: drive the sandbox's clock, SMS and state from tests and tools.

Each route is one registration (``route``): its Flask rule, and its operation in the control API's
OpenAPI document (what it takes, what it answers, its errors), so the document cannot drift from
the routes. Answers are dumped through control/schemas.py."""
from __future__ import annotations

from dataclasses import replace
from functools import cache

from flask import Blueprint, Response, current_app, request

from mockserver.control import probing
from mockserver.control import schemas as s
from mockserver.control.access import JSON_TYPES, YAML_TYPES, Access, refusal
from mockserver.control.openapi import document as control_document
from mockserver.engine import pictures
from mockserver.engine.clock import ClockError
from mockserver.engine.records import SnapshotError
from mockserver.http.inputs import BodyError, read_json_text, refuse_unencodable_text, validate
from mockserver.http.wire import body_of, json_response, read_json
from mockserver.loading import ScenarioError, bundled_names, load_scenario, load_text
from mockserver.providers.contract import NotReceiving, NoWebhookUrl
from mockserver.providers.openapi import Operation
from mockserver.providers.registry import PROVIDERS, by_name
from mockserver.providers.shapes import dump
from mockserver.providers.tenancy import TenantLimitReached
from mockserver.sandbox import UnknownKey
from mockserver.settings import SNAPSHOT_PATH, Limits
from mockserver.state import document

PREFIX = "/_mock"
bp = Blueprint("control", __name__, url_prefix=PREFIX)
OPERATIONS: list[Operation] = []       # the OpenAPI document's, in registration order

_BAD = {400: "A body or query of the wrong shape"}
_KEY = {404: "The key belongs to no account and matches no tenant pattern",
        409: "The key matches a tenant pattern, but no more accounts may be made (MOCKSERVER_MAX_TENANTS)"}
_SCENARIO_TYPES = {"application/yaml": {"schema": {"type": "string"}},
                   "application/json": {"schema": {"type": "object"}}}


# Routes that answer anyone: health checks, and the catalog's pictures (pages of the client under
# test show them; they hold nothing of the sandbox's state).
_OPEN = frozenset({"control.health", "control.picture"})


def route(method: str, path: str, summary: str, answer, *, query=None, body=None, errors: dict | None = None):
    """Register a control route: the view, and its operation in the OpenAPI document."""
    def decorate(view):
        bp.add_url_rule(path, view_func=view, methods=[method])
        documented = {status: detail if isinstance(detail, tuple) else (detail, s.ErrorAnswer)
                      for status, detail in (errors or {}).items()}
        # The document's security (the admin token) holds for every operation but the open ones.
        security = [] if f"{bp.name}.{view.__name__}" in _OPEN else None
        OPERATIONS.append(Operation(method, path, summary, (200, answer), documented, query=query, body=body,
                                    security=security))
        return view
    return decorate


def _sandbox():
    return current_app.extensions["mockserver"]


def _access() -> Access:
    return current_app.extensions["mockserver_access"]


def _error(status: int, message: str):
    return json_response(s.error_body(status, message), status)


def _answer(schema, value):
    return json_response(dump(schema, value))


@bp.errorhandler(BodyError)
def bad_request(exc: BodyError):
    return _error(400, str(exc))


@bp.errorhandler(ClockError)
def bad_clock(exc: ClockError):
    return _error(409, str(exc))


@bp.errorhandler(TenantLimitReached)
def tenant_limit(exc: TenantLimitReached):
    return _error(409, str(exc))


@bp.errorhandler(UnknownKey)
def unknown_key(exc: UnknownKey):
    if request.method == "GET" and _matches_a_tenant_pattern(str(exc)):
        return _error(404, f"no account has the key {exc} (a read makes none: a key that matches a tenant "
                           "pattern becomes an account on its first provider API call)")
    return _error(404, f"no account has the key {exc} (and it matches no tenant pattern)")


def _matches_a_tenant_pattern(key: str) -> bool:
    scenario = _sandbox().scenario
    return any(tenants.admits(key) for p in PROVIDERS
               if (tenants := getattr(scenario.section(p.name), "tenants", None)) is not None)


def _json_body(limits=None):
    """The body as JSON, every text in it valid Unicode (BodyError, before anything changes)."""
    body = read_json(request, invalid_json="the body is not valid JSON", limits=limits or _sandbox().limits)
    refuse_unencodable_text(body, body_of(request))
    return body


def _body(schema):
    return validate(schema, _json_body())


def _query(schema):
    query = request.args.to_dict()
    refuse_unencodable_text(query, what="the query")
    return validate(schema, query)


@bp.before_request
def guard():
    """Who may drive the sandbox (access.py)."""
    if request.endpoint in _OPEN:
        return None
    body_types = JSON_TYPES | YAML_TYPES if request.endpoint == "control.put_scenario" else JSON_TYPES
    refused = refusal(request, _access(), body_types=body_types)
    return None if refused is None else _error(*refused)


@bp.after_request
def count_change(response):
    """A call that may have changed state: a state file (mockserver run --state) writes it."""
    if request.method not in ("GET", "HEAD"):
        _sandbox().changes += 1
    return response


def _tenant(key: str | None, *, provision: bool = True):
    """The tenant an optional ``key`` names, or None for all. A call that changes state makes the
    account of a key that matches a tenant pattern, as a provider call would; a read does not
    (a GET must change nothing), and answers 404 for a key that has no account yet."""
    if key is None:
        return None
    tenant = _sandbox().tenant_for_key(key, provision=provision)
    if tenant is None:
        raise UnknownKey(key)
    return tenant


def document_path(name: str) -> str:
    """Where the OpenAPI document ``name`` is served: "control", or a provider's name."""
    return f"{PREFIX}/openapi/{name}.json"


@cache
def _control_document() -> dict:
    return control_document(PREFIX, OPERATIONS)


@bp.get(document_path("<name>").removeprefix(PREFIX))
def openapi(name: str):
    """OpenAPI documents: this API's, and every provider's (PVADeals publishes none, so this is the
    only place its document is served: never under /v3/api, where a client could tell it apart)."""

    from mockserver.providers.openapi import (
        provider_document,  # apispec is imported only by who asks for a document
    )
    if name == "control":
        return json_response(_control_document())
    if name in {p.name for p in PROVIDERS}:
        return json_response(provider_document(by_name(name), _sandbox().scenario.section(name)))
    known = ", ".join(f"{n}.json" for n in ["control", *(p.name for p in PROVIDERS)])
    return _error(404, f"no OpenAPI document {name!r}; there are {known}")


@bp.get("/pictures/<name>.png")
def picture(name: str):
    """A catalog picture, for a provider whose catalog lists one (PVADeals' services)."""
    return Response(pictures.png(name[:64]), mimetype="image/png", headers={"Cache-Control": "max-age=86400"})


@route("GET", "/health", "Liveness, and the scenario's name", s.HealthAnswer)
def health():
    sandbox = _sandbox()
    notices = sorted(sandbox.notices.values())
    return _answer(s.HealthAnswer, {"scenario": sandbox.scenario.name, **({"notices": notices} if notices else {})})


@route("POST", "/reset", "Back to the scenario's start (one tenant with a key)", s.ResetAnswer,
       body=s.KeyBodySchema, errors={**_BAD, **_KEY})
def reset():
    sandbox = _sandbox()
    key = _body(s.KeyBodySchema).get("key")
    tenant = _tenant(key)         # before the reset: asking after it would provision the key anew
    sandbox.reset(key)
    return _answer(s.ResetAnswer, {"scenario": sandbox.scenario.name, "now": sandbox.clock.now(tenant),
                                   "frozen": sandbox.clock.frozen, **({"key": key} if key else {})})


@route("GET", "/scenario", "The loaded scenario", s.ScenarioAnswer)
def get_scenario():
    return _answer(s.ScenarioAnswer, _sandbox().scenario)


@route("PUT", "/scenario", "Load YAML, {name} or {path}", s.ScenarioAnswer, body=_SCENARIO_TYPES,
       errors={400: ("Not loaded; the running scenario is unchanged", s.ScenarioProblems)})
def put_scenario():
    sandbox = _sandbox()
    try:
        loaded = _scenario_from_request()
    except ScenarioError as exc:
        return json_response({**s.error_body(400, "scenario not loaded; the running one is unchanged"),
                              "problems": exc.problems}, 400)
    sandbox.load(loaded)
    return _answer(s.ScenarioAnswer, sandbox.scenario)


def _scenario_from_request():
    """JSON {"name": bundled name} or {"path": a scenario file in an allowed folder}, or a whole
    scenario as YAML (or JSON) text."""
    limits, folders = _sandbox().limits, _access().scenario_dirs
    try:
        text = body_of(request).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(["PUT /_mock/scenario: the body is not UTF-8 text"]) from exc
    if request.mimetype == "application/json":
        try:
            body = read_json_text(text, limits)
        except BodyError as exc:
            raise ScenarioError([f"PUT /_mock/scenario: {exc}"]) from exc
        if isinstance(body, dict) and len(body) == 1 and isinstance(next(iter(body.values())), str):
            if "name" in body:
                if body["name"] not in bundled_names():
                    raise ScenarioError([f"no bundled scenario {body['name']!r} (bundled: {', '.join(bundled_names())})"])
                return load_scenario(body["name"], limits=limits)
            if "path" in body:
                return load_scenario(body["path"], allowed_dirs=folders, limits=limits)
    return load_text(text, source="PUT /_mock/scenario", allowed_dirs=folders, limits=limits)


@route("GET", "/clock", "Virtual now", s.ClockAnswer, query=s.KeyQuerySchema, errors={**_BAD, **_KEY})
def get_clock():
    sandbox = _sandbox()
    tenant = _tenant(_query(s.KeyQuerySchema).get("key"), provision=False)
    sandbox.catch_up()
    return json_response(s.clock_body(sandbox, tenant))


@route("POST", "/clock", "Advance, set or freeze the clock; due work runs first", s.ClockAnswer,
       body=s.ClockBodySchema, errors={**_BAD, **_KEY, 409: "The clock only moves forward, and not past year 9998"})
def move_clock():
    sandbox = _sandbox()
    body = _body(s.ClockBodySchema)
    tenant = _tenant(body.get("key"))
    if "freeze" in body and tenant is not None:
        raise BodyError("freeze: the clock is frozen or running for every tenant at once; drop key")
    if "set" in body and body["set"] is None:
        raise BodyError("set: give an ISO 8601 instant")
    cut = sandbox.move_clock(freeze=body.get("freeze"), set_ms=body.get("set"), advance_ms=body.get("advance"),
                             tenant=tenant)
    return json_response({**s.clock_body(sandbox, tenant), **({"cut": cut} if cut else {})})


@route("POST", "/sms", "Deliver an SMS now", s.SmsAnswer, body=s.SmsBodySchema,
       errors={**_BAD, 404: "No such request or number", 409: "It takes no SMS now"})
def sms():
    """To a number of any provider (or of the one named), by its id or its phone number."""
    body = _body(s.SmsBodySchema)
    sandbox = _sandbox()
    searched = [by_name(body["provider"])] if body["provider"] else PROVIDERS
    with sandbox.lock:
        sandbox.catch_up()
        for provider in searched:
            backend = sandbox.backends[provider.name]
            target = backend.find(target_id=body.get("id"), number=body.get("number"))
            if target is not None:
                break
        else:
            what = f"id {body['id']}" if "id" in body else f"number {body['number']}"
            nouns = " or ".join(dict.fromkeys(p.noun for p in searched))
            whose = f"{searched[0].name} " if len(searched) == 1 else ""
            return _error(404, f"no {whose}{nouns} with {what}")
        try:
            delivered = backend.deliver_sms(target, sandbox.clock.now(target.tenant), body.get("text"))
        except NotReceiving as exc:
            return _error(409, str(exc))
    sandbox.settle()
    return _answer(s.SmsAnswer, delivered)


@route("POST", "/webhook", "Point an account at a webhook URL", s.WebhookTargetAnswer, body=s.WebhookTargetSchema,
       errors={**_BAD, **_KEY})
def set_webhook():
    """Point an account (by one of its keys) at a webhook URL, e.g. a test's own receiver."""
    body = _body(s.WebhookTargetSchema)
    sandbox = _sandbox()
    tenant = _tenant(body["key"])
    with sandbox.lock:
        url, secret = sandbox.backend_of(tenant).set_webhook(tenant, body["url"], body.get("secret"))
    return _answer(s.WebhookTargetAnswer, {"key": body["key"], "url": url, **({"secret": secret} if secret else {})})


@route("GET", "/webhooks", "Every webhook delivery attempt", s.AttemptsAnswer, query=s.WebhookQuerySchema,
       errors={**_BAD, **_KEY})
def webhooks():
    query = _query(s.WebhookQuerySchema)
    sandbox = _sandbox()
    tenant = _tenant(query.get("key"), provision=False)
    with sandbox.lock:
        attempts = sandbox.engine.outbox.attempts(provider=query["provider"], event=query["event"], tenant=tenant)
        return _answer(s.AttemptsAnswer, {"attempts": attempts})


@route("POST", "/webhooks/probe", "Test the account's webhook receiver with forged and genuine deliveries",
       s.ProbeAnswer, body=s.ProbeBodySchema,
       errors={**_BAD, **_KEY, 409: "The account has no webhook URL",
               429: "MOCKSERVER_WEBHOOK_PROBES probes are under way already"})
def probe_webhooks():
    """Send one delivery of each probe kind of the account's provider to its webhook URL, and
    judge each answer: forged kinds should be refused (4xx), genuine ones accepted (2xx)."""
    body = _body(s.ProbeBodySchema)
    tenant = _tenant(body["key"])
    try:
        return _answer(s.ProbeAnswer, probing.run(_sandbox(), tenant, body["key"]))
    except NoWebhookUrl as exc:
        return _error(409, str(exc))
    except probing.ProbesBusy as exc:
        return _error(429, str(exc))


@route("POST", "/webhooks/<message_id>/redeliver", "Send a logged webhook message once more, now", s.AttemptAnswer,
       errors={404: "No message with that id in the delivery log",
               409: "The tenant was reset while the attempt went out"})
def redeliver(message_id: str):
    """Send a logged webhook message again now, once; answers with that attempt's outcome."""
    sandbox = _sandbox()
    outbox = sandbox.engine.outbox
    with sandbox.lock:
        message = outbox.message(message_id)
        if message is None:
            return _error(404, f"no webhook message {message_id} in the delivery log")
        number = outbox.redeliver(message, sandbox.clock.now(message.tenant))
    sandbox.settle(message.tenant)
    with sandbox.lock:
        attempt = outbox.attempt(message_id, number)
    if attempt is None:        # the tenant was reset while it went out
        return _error(409, f"webhook message {message_id} was reset before attempt {number} finished")
    return _answer(s.AttemptAnswer, attempt)


@route("GET", "/requests", "The request journal", s.JournalAnswer, query=s.JournalQuerySchema, errors=_BAD)
def requests_journal():
    query = _query(s.JournalQuerySchema)
    sandbox = _sandbox()
    entries = sandbox.journal.entries(provider=query["provider"], method=query["method"], path=query["path"],
                                      key=query["key"], status=query["status"], unmatched=query["unmatched"])
    if query["count"]:
        return _answer(s.JournalAnswer, {"count": len(entries)})
    return _answer(s.JournalAnswer, {"size": sandbox.journal.size, "requests": entries})


@route("GET", "/state", "Accounts, numbers and what is due next", s.StateAnswer, query=s.KeyQuerySchema,
       errors={**_BAD, **_KEY})
def state():
    sandbox = _sandbox()
    tenant = _tenant(_query(s.KeyQuerySchema).get("key"), provision=False)
    with sandbox.lock:
        sandbox.catch_up()
        return _answer(s.StateAnswer, {
            "scenario": sandbox.scenario.name, "now": sandbox.clock.now(tenant), "frozen": sandbox.clock.frozen,
            "pending": sandbox.engine.timeline.pending(tenant),
            **{p.name: p.state(sandbox.backends[p.name], tenant) for p in PROVIDERS}})


@route("GET", "/report", "What would hurt the client under test against the real provider", s.ReportAnswer,
       query=s.KeyQuerySchema, errors={**_BAD, **_KEY})
def report():
    """The client report (mockserver/report/): findings per rule, with evidence and advice,
    of every tenant or of one key's. A read: it provisions no account."""
    from mockserver.report.summary import build
    sandbox = _sandbox()
    tenant = _tenant(_query(s.KeyQuerySchema).get("key"), provision=False)
    return _answer(s.ReportAnswer, build(sandbox, tenant))


@route("GET", SNAPSHOT_PATH.removeprefix(PREFIX),
       "The whole state (or one key's tenant's) as one versioned JSON document", s.SnapshotDocument,
       query=s.KeyQuerySchema,
       errors={**_BAD, **_KEY, 409: "Larger than MOCKSERVER_MAX_SNAPSHOT_BYTES: no server could restore it"})
def get_snapshot():
    """A read: due work runs first, as for /state, and no account is made. A snapshot larger than
    PUT takes is not handed out (409): it could never be restored."""
    sandbox = _sandbox()
    key = _query(s.KeyQuerySchema).get("key")
    snapshot = document.take_bytes(sandbox, key)
    limit = sandbox.limits.max_snapshot_bytes
    if len(snapshot) > limit:
        return _error(409, f"the snapshot is {len(snapshot)} bytes, more than MOCKSERVER_MAX_SNAPSHOT_BYTES ({limit}), "
                           "which PUT /_mock/snapshot and --state refuse; "
                           + ("reset the key's tenant, or raise the setting (on the server that restores it too)"
                              if key else "take one key's (?key=), reset, or raise the setting (on the server "
                                          "that restores it too)"))
    return Response(snapshot, mimetype="application/json")


def _snapshot_limits(limits: Limits) -> Limits:
    """What a snapshot body is read within: a snapshot holds its scenario's definition, whose
    numbers (a seed) the scenario's own bound let through, so GET's documents are read back."""
    return replace(limits, max_json_number_chars=max(limits.max_json_number_chars, limits.max_yaml_number_chars))


@route("PUT", SNAPSHOT_PATH.removeprefix(PREFIX), "Restore a snapshot: the same later requests get the same answers",
       s.RestoreAnswer, body=s.SnapshotDocument,
       errors={400: ("Not restored; the state is unchanged (the message names the field)", s.ErrorAnswer)})
def put_snapshot():
    """All or nothing: a snapshot that cannot be restored leaves the state as it was (400)."""
    sandbox = _sandbox()
    snapshot = _json_body(_snapshot_limits(sandbox.limits))
    try:
        restored = document.restore(sandbox, snapshot, scenario_dirs=_access().scenario_dirs)
    except SnapshotError as exc:
        return _error(400, f"snapshot not restored; the state is unchanged: {exc}")
    return _answer(s.RestoreAnswer, restored)
