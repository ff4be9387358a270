"""Shapes of the control API (/_mock): our own, not a provider's."""
from __future__ import annotations

import json

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..engine.clock import format_iso
from ..engine.webhooks import Attempt
from ..scenario.fields import Duration, Instant
from ..sandbox import PROVIDERS


class ClockBodySchema(Schema):
    advance = Duration()
    set = Instant()
    freeze = fields.Boolean()

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
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


class WebhookQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    provider = fields.String(load_default=None, validate=validate.OneOf(PROVIDERS))
    event = fields.String(load_default=None)


def error_body(status: int, message: str) -> dict:
    return {"error": message, "status": status}


def clock_body(sandbox) -> dict:
    return {"now": format_iso(sandbox.clock.now()), "frozen": sandbox.clock.frozen}


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
