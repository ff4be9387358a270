"""The control API under /_mock: drive the sandbox's clock, SMS and state from tests and tools."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from ..engine.clock import ClockError, format_iso
from ..providers.provynx import backend as provynx_backend
from ..providers.provynx import schemas as provynx_schemas
from ..providers.pvadeals import backend as pvadeals_backend
from ..providers.pvadeals import schemas as pvadeals_schemas
from ..scenario import ScenarioError, bundled_names, load_scenario, load_text
from ..providers.tenancy import TenantLimitReached
from ..sandbox import UnknownKey
from ..wire import BodyError, json_response, read_json, read_json_text, validate
from . import schemas as s
from .access import JSON_TYPES, YAML_TYPES, Access, refusal

PREFIX = "/_mock"
bp = Blueprint("control", __name__, url_prefix=PREFIX)


def _sandbox():
    return current_app.extensions["mockserver"]


def _access() -> Access:
    return current_app.extensions["mockserver.access"]


def _error(status: int, message: str):
    return json_response(s.error_body(status, message), status)


@bp.errorhandler(BodyError)
def bad_request(exc: BodyError):
    return _error(400, str(exc))


@bp.errorhandler(ClockError)
def bad_clock(exc: ClockError):
    return _error(409, str(exc))


def _body(schema):
    return validate(schema, read_json(request, invalid_json="the body is not valid JSON", limits=_sandbox().limits))


@bp.before_request
def guard():
    """Who may drive the sandbox (access.py); health answers anyone, for health checks."""
    if request.endpoint == "control.health":
        return None
    body_types = JSON_TYPES | YAML_TYPES if request.endpoint == "control.scenario" else JSON_TYPES
    refused = refusal(request, _access(), body_types=body_types)
    return None if refused is None else _error(*refused)


def _tenant(key: str | None) -> str | None:
    """The tenant an optional ``key`` names (provisioned on first use), or None for all."""
    if key is None:
        return None
    tenant = _sandbox().tenant_for_key(key)
    if tenant is None:
        raise UnknownKey(key)
    return tenant


@bp.errorhandler(TenantLimitReached)
def tenant_limit(exc: TenantLimitReached):
    return _error(409, str(exc))


@bp.errorhandler(UnknownKey)
def unknown_key(exc: UnknownKey):
    return _error(404, f"no account has the key {exc} (and it matches no tenant pattern)")


@bp.get("/openapi/<name>.json")
def openapi(name: str):
    """OpenAPI documents for what has none at its own path: PVADeals publishes none, and this API."""
    if name == "pvadeals":
        from ..providers.pvadeals.openapi import document
    elif name == "control":
        from .openapi import document
    else:
        return _error(404, f"no OpenAPI document {name!r}; there are pvadeals.json and control.json here, "
                           "and /api/v1/sms/openapi.json for Provynx")
    return json_response(document())


@bp.get("/health")
def health():
    return json_response(s.health_body(_sandbox().scenario))


@bp.post("/reset")
def reset():
    sandbox = _sandbox()
    key = _body(s.KeyBodySchema).get("key")
    tenant = _tenant(key)         # before the reset: asking after it would provision the key anew
    sandbox.reset(key)
    return json_response(s.reset_body(sandbox, tenant, key))


@bp.route("/scenario", methods=["GET", "PUT"])
def scenario():
    sandbox = _sandbox()
    if request.method == "PUT":
        try:
            loaded = _scenario_from_request()
        except ScenarioError as exc:
            return json_response(s.not_loaded_body(exc.problems), 400)
        sandbox.load(loaded)
    return json_response(s.scenario_body(sandbox.scenario))


def _scenario_from_request():
    """JSON {"name": bundled name} or {"path": a scenario file in an allowed folder}, or a whole
    scenario as YAML (or JSON) text."""
    limits, folders = _sandbox().limits, _access().scenario_dirs
    try:
        text = request.get_data().decode("utf-8")
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


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    sandbox = _sandbox()
    if request.method == "POST":
        body = _body(s.ClockBodySchema)
        tenant = _tenant(body.get("key"))
        if "freeze" in body and tenant is not None:
            raise BodyError("freeze: the clock is frozen or running for every tenant at once; drop key")
        if "set" in body and body["set"] is None:
            raise BodyError("set: give an ISO 8601 instant")
        sandbox.move_clock(freeze=body.get("freeze"), set_ms=body.get("set"), advance_ms=body.get("advance"),
                           tenant=tenant)
    else:
        tenant = _tenant(validate(s.KeyQuerySchema, request.args.to_dict()).get("key"))
        sandbox.catch_up()
    return json_response(s.clock_body(sandbox, tenant))


@bp.post("/sms")
def sms():
    body = _body(s.SmsBodySchema)
    sandbox = _sandbox()
    deliver = _deliver_pvadeals if body["provider"] == "pvadeals" else _deliver_provynx
    with sandbox.lock:
        sandbox.catch_up()
        answer = deliver(sandbox, body)
    if isinstance(answer, tuple):
        return _error(*answer)
    sandbox.settle()
    return json_response(answer)


def _deliver_pvadeals(sandbox, body):
    backend = sandbox.pvadeals
    try:
        target = backend.find_request(request_id=body.get("id"), number=body.get("number"))
    except pvadeals_backend.RequestNotFound:
        return 404, _not_found(body)
    now = sandbox.clock.now(target.tenant)
    try:
        received = backend.receive_sms(target, now, text=body.get("text"))
    except pvadeals_backend.NotReceiving as exc:
        return 409, f"request {target.id} does not take SMS now (status {exc}, end time {format_iso(target.end_ms)})"
    return s.sms_body("pvadeals", target.id, target.number, target.status, received.text, received.code, now)


def _deliver_provynx(sandbox, body):
    backend = sandbox.provynx
    try:
        target = backend.find_number(number_id=body.get("id"), phone=body.get("number"))
    except provynx_backend.NumberNotFound:
        return 404, _not_found(body)
    now = sandbox.clock.now(target.tenant)
    try:
        backend.receive_sms(target, now, text=body.get("text"))
    except provynx_backend.NotReceiving as exc:
        return 409, f"number {target.id} does not take SMS now (status {exc}, expires {format_iso(target.expires_ms)})"
    return s.sms_body("provynx", target.id, target.number, target.status, target.sms, target.code, now)


def _not_found(body) -> str:
    what = f"id {body['id']}" if "id" in body else f"number {body['number']}"
    return f"no {body['provider']} {'request' if body['provider'] == 'pvadeals' else 'number'} with {what}"


@bp.post("/webhook")
def set_webhook():
    """Point an account (by one of its keys) at a webhook URL, e.g. a test's own receiver."""
    body = _body(s.WebhookTargetSchema)
    sandbox = _sandbox()
    tenant = _tenant(body["key"])
    with sandbox.lock:
        provider, _, name = tenant.partition(":")
        if provider == "pvadeals":
            sandbox.pvadeals.accounts[name].webhook = body["url"]
            return json_response(s.webhook_target_body(body["key"], body["url"]))
        account = sandbox.provynx.accounts[name]
        if body.get("secret"):
            account.webhook_secret = body["secret"]
        account.webhook_url = body["url"]
        return json_response(s.webhook_target_body(body["key"], body["url"], account.webhook_secret))


@bp.get("/webhooks")
def webhooks():
    query = validate(s.WebhookQuerySchema, request.args.to_dict())
    sandbox = _sandbox()
    tenant = _tenant(query.get("key"))
    with sandbox.lock:
        attempts = sandbox.engine.outbox.attempts(provider=query["provider"], event=query["event"], tenant=tenant)
        return json_response(s.attempts_body(attempts))


@bp.post("/webhooks/<message_id>/redeliver")
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
    return json_response(s.attempt_body(attempt))


@bp.get("/requests")
def requests_journal():
    query = validate(s.JournalQuerySchema, request.args.to_dict())
    sandbox = _sandbox()
    entries = sandbox.journal.entries(provider=query["provider"], method=query["method"], path=query["path"],
                                      key=query["key"], status=query["status"], unmatched=query["unmatched"])
    return json_response(s.journal_answer(entries, sandbox.journal.size, count_only=query["count"]))


@bp.get("/state")
def state():
    sandbox = _sandbox()
    tenant = _tenant(validate(s.KeyQuerySchema, request.args.to_dict()).get("key"))
    with sandbox.lock:
        sandbox.catch_up()
        body = {"scenario": sandbox.scenario.name, **s.clock_body(sandbox, tenant),
                "pending": [s.event_body(e) for e in sandbox.engine.timeline.pending(tenant)],
                "pvadeals": pvadeals_schemas.state_body(sandbox.pvadeals),
                "provynx": provynx_schemas.state_body(sandbox.provynx)}
        if tenant is not None:
            provider, _, account = tenant.partition(":")
            body["pvadeals"]["accounts"] = [a for a in body["pvadeals"]["accounts"]
                                            if provider == "pvadeals" and a["key"] == account]
            body["provynx"]["accounts"] = [a for a in body["provynx"]["accounts"]
                                           if provider == "provynx" and a["name"] == account]
        return json_response(body)
