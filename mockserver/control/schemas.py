"""Shapes of the control API (/_mock): our own, not a provider's."""
from __future__ import annotations

import json

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..engine.clock import format_iso
from ..engine.webhooks import Attempt
from ..scenario.fields import Duration, Instant
from ..sandbox import PROVIDERS


class KeyBodySchema(Schema):
    key = fields.String(validate=validate.Length(min=1))


class KeyQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    key = fields.String(validate=validate.Length(min=1))


class ClockBodySchema(Schema):
    advance = Duration(longest_ms=None)      # the clock itself says how far it may go
    set = Instant()
    freeze = fields.Boolean()
    key = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not {"advance", "set", "freeze"} & set(data):
            raise ValidationError("give advance (e.g. \"20m\"), set (ISO 8601) or freeze (true/false)")


class SmsBodySchema(Schema):
    provider = fields.String(load_default="pvadeals", validate=validate.OneOf(PROVIDERS))
    id = fields.String()
    number = fields.String()
    text = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def target(self, data, **kwargs):
        if ("id" in data) == ("number" in data):
            raise ValidationError("give exactly one of id or number")


class WebhookTargetSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1))
    url = fields.Url(required=True, allow_none=True, require_tld=False, schemes={"http", "https"})
    secret = fields.String(validate=validate.Regexp(r"^whsec_[A-Za-z0-9+/=]+$", error="a whsec_ secret"))


class WebhookQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    provider = fields.String(load_default=None, validate=validate.OneOf(PROVIDERS))
    event = fields.String(load_default=None)
    key = fields.String()


class JournalQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    provider = fields.String(load_default=None, validate=validate.OneOf(PROVIDERS))
    method = fields.String(load_default=None)
    path = fields.String(load_default=None)          # a glob
    key = fields.String(load_default=None)
    status = fields.Integer(load_default=None)
    unmatched = fields.Boolean(load_default=None)    # true: only requests no route answered
    count = fields.Boolean(load_default=False)


def error_body(status: int, message: str) -> dict:
    return {"error": message, "status": status}


def clock_body(sandbox, tenant: str | None = None) -> dict:
    return {"now": format_iso(sandbox.clock.now(tenant)), "frozen": sandbox.clock.frozen}


def health_body(scenario) -> dict:
    return {"status": "ok", "scenario": scenario.name}


def reset_body(sandbox, tenant: str | None, key: str | None) -> dict:
    return {"status": "reset", "scenario": sandbox.scenario.name, **clock_body(sandbox, tenant),
            **({"key": key} if key else {})}


def scenario_body(scenario) -> dict:
    return {"name": scenario.name, "description": scenario.description, "source": scenario.source,
            "seed": scenario.seed, "definition": scenario.raw}


def not_loaded_body(problems: list[str]) -> dict:
    return {**error_body(400, "scenario not loaded; the running one is unchanged"), "problems": problems}


def webhook_target_body(key: str, url: str | None, secret: str | None = None) -> dict:
    return {"key": key, "url": url, **({"secret": secret} if secret else {})}


def attempts_body(attempts) -> dict:
    return {"attempts": [attempt_body(a) for a in attempts]}


def journal_answer(entries, size: int, *, count_only: bool) -> dict:
    if count_only:
        return {"count": len(entries)}
    return {"size": size, "requests": [journal_body(e) for e in entries]}


def journal_body(entry) -> dict:
    return {"seq": entry.seq, "at": format_iso(entry.at_ms), "provider": entry.provider, "method": entry.method,
            "path": entry.path, "query": entry.query, "key": entry.key, "status": entry.status,
            "duration_ms": entry.duration_ms, "body": entry.body, "matched": entry.matched}


def attempt_body(attempt: Attempt) -> dict:
    message = attempt.message
    return {
        "id": message.id,
        "provider": message.provider,
        "event": message.event,
        "url": message.url,
        "attempt": attempt.number,
        "at": format_iso(attempt.at_ms),
        "ok": attempt.ok,
        "status": attempt.status,
        "error": attempt.error,
        "duration_ms": round(attempt.duration_ms, 1),
        "headers": attempt.headers,
        "body": json.loads(message.body),
    }


def event_body(event) -> dict:
    return {"at": format_iso(event.at_ms), "what": event.label}


def sms_body(provider: str, target_id: str, number: str, status: str, text: str, code: str | None, at_ms: int) -> dict:
    return {"provider": provider, "id": target_id, "number": number, "status": status,
            "text": text, "code": code, "at": format_iso(at_ms)}


# -- answers, for the OpenAPI document of the control API (control/openapi.py) ----------------


class ErrorAnswer(Schema):
    error = fields.String(required=True)
    status = fields.Integer(required=True)


class HealthAnswer(Schema):
    status = fields.String(required=True)
    scenario = fields.String(required=True)


class ClockAnswer(Schema):
    now = fields.String(required=True, metadata={"format": "date-time"})
    frozen = fields.Boolean(required=True)


class ResetAnswer(ClockAnswer):
    status = fields.String(required=True)
    scenario = fields.String(required=True)
    key = fields.String()


class ScenarioAnswer(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    source = fields.String(required=True)
    seed = fields.Raw(required=True, metadata={"anyOf": [{"type": "integer"}, {"type": "string"}]})
    definition = fields.Dict(required=True)


class ScenarioProblems(ErrorAnswer):
    problems = fields.List(fields.String(), required=True)


class SmsAnswer(Schema):
    provider = fields.String(required=True)
    id = fields.String(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    text = fields.String(required=True)
    code = fields.String(required=True, allow_none=True)
    at = fields.String(required=True)


class WebhookTargetAnswer(Schema):
    key = fields.String(required=True)
    url = fields.String(required=True, allow_none=True)
    secret = fields.String()


class AttemptAnswer(Schema):
    id = fields.String(required=True)
    provider = fields.String(required=True)
    event = fields.String(required=True)
    url = fields.String(required=True)
    attempt = fields.Integer(required=True)
    at = fields.String(required=True)
    ok = fields.Boolean(required=True)
    status = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    duration_ms = fields.Float(required=True)
    headers = fields.Dict(required=True)
    body = fields.Raw(required=True)


class AttemptsAnswer(Schema):
    attempts = fields.List(fields.Nested(AttemptAnswer), required=True)


class JournalEntryAnswer(Schema):
    seq = fields.Integer(required=True)
    at = fields.String(required=True)
    provider = fields.String(required=True, allow_none=True)
    method = fields.String(required=True)
    path = fields.String(required=True)
    query = fields.String(required=True)
    key = fields.String(required=True, allow_none=True)
    status = fields.Integer(required=True)
    duration_ms = fields.Float(required=True)
    body = fields.String(required=True)
    matched = fields.Boolean(required=True)


class JournalAnswer(Schema):
    size = fields.Integer()
    requests = fields.List(fields.Nested(JournalEntryAnswer))
    count = fields.Integer()


class StateAnswer(Schema):
    class Meta:
        unknown = "include"

    scenario = fields.String(required=True)
    now = fields.String(required=True)
    frozen = fields.Boolean(required=True)
    pending = fields.List(fields.Dict(), required=True)
    pvadeals = fields.Dict(required=True)
    provynx = fields.Dict(required=True)
