"""sms-activate wire shapes: the parameters every action reads, the JSON answers of the V2 and
list actions, the error wire (text tokens; a dialect may answer JSON), the webhook payload and its
part of GET /_mock/state. Text answers (ACCESS_NUMBER:...) are made in routes.py."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, fields, validate

from mockserver.providers.contract import ErrorWire
from mockserver.providers.shapes import constant

# Every parameter the actions read; others are ignored, as the real servers ignore them. Each
# is bounded (the whole query is bounded by the server's request line).
MAX_PARAM_CHARS = 512


def _text() -> fields.String:
    return fields.String(load_default=None, validate=validate.Length(max=MAX_PARAM_CHARS))


class Params(Schema):
    class Meta:
        unknown = EXCLUDE

    api_key = _text()
    action = _text()
    service = _text()
    country = _text()
    operator = _text()
    id = _text()
    activationId = _text()
    status = _text()
    maxPrice = _text()
    max_price = _text()
    phoneException = _text()
    freePrice = _text()
    forward = _text()
    start = _text()
    end = _text()
    offset = _text()
    limit = _text()
    size = _text()
    page = _text()
    lang = _text()
    currency = _text()


def wire_time(ms: int | None) -> str | None:
    """The protocol's time: "YYYY-MM-DD HH:MM:SS" (aiosmsactivate parses exactly this), UTC [inferred]."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class NumberV2(Schema):
    """getNumberV2 (and HeroSMS's reactivate): field names and types the pydantic clients require."""
    activationId = fields.String(required=True)
    phoneNumber = fields.String(required=True)
    activationCost = fields.String(required=True, metadata={"description": "a decimal, e.g. \"12.50\""})
    currency = fields.Integer(required=True, metadata={"description": "ISO 4217 numeric: 643 RUB, 840 USD"})
    countryCode = fields.String(required=True)
    countryPhoneCode = fields.Integer(required=True)
    canGetAnotherSms = fields.Boolean(required=True)
    activationTime = fields.String(required=True, metadata={"description": "YYYY-MM-DD HH:MM:SS"})
    activationEndTime = fields.String(required=True)
    activationOperator = fields.String(required=True)


class SmsV2(Schema):
    dateTime = fields.String()
    code = fields.String(allow_none=True)
    text = fields.String()


class StatusV2(Schema):
    verificationType = fields.Integer(required=True)
    sms = fields.Nested(SmsV2, allow_none=True, required=True)
    call = fields.Raw(allow_none=True, required=True, metadata={"type": "object", "nullable": True})


class ServiceName(Schema):
    code = fields.String()
    name = fields.String()


class ServicesList(Schema):
    status = constant("success")
    services = fields.List(fields.Nested(ServiceName))


class Operators(Schema):
    status = constant("success")
    countryOperators = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class Webhook(Schema):
    """The incoming-SMS payload (sms.online's documentation; herosms models the same)."""
    activationId = fields.Integer()
    service = fields.String()
    text = fields.String()
    code = fields.String(allow_none=True)
    country = fields.Integer()
    receivedAt = fields.String()


class HeroError(Schema):
    """An error as a dialect that answers JSON (HeroSMS) writes it; vanilla answers a bare token."""
    title = fields.String(metadata={"description": "the token, e.g. BAD_KEY"})
    details = fields.String()


def error_body(status: int, message: str) -> str:
    return message


ERRORS = ErrorWire(
    body=error_body,
    # Statuses no call chooses: unknown route, wrong method, too large a body, a fault. [inferred]
    texts={404: "BAD_ACTION", 405: "BAD_ACTION", 413: "ERROR_SQL", 500: "SERVER_ERROR", 502: "SERVER_ERROR",
           503: "SERVER_ERROR"},
    unauthorized="BAD_KEY",
    invalid_input=lambda problem: "ERROR_SQL",
    # [inferred] no source shows a rate-limited answer.
    rate_limited=lambda rejection: "TOO_MANY_REQUESTS",
    schema=HeroError,
    rate_limited_schema=HeroError,
)
INVALID_JSON = "ERROR_SQL"


# -- GET /_mock/state -------------------------------------------------------------------------

class StateSms(Schema):
    text = fields.String()
    code = fields.String(allow_none=True)
    at = fields.Function(lambda sms: wire_time(sms.at_ms), metadata={"type": "string"})


class StateActivation(Schema):
    id = fields.Integer()
    service = fields.Function(lambda a: a.service.code, metadata={"type": "string"})
    country = fields.Function(lambda a: a.country.id, metadata={"type": "integer"})
    operator = fields.String()
    number = fields.String()
    cost = fields.Float()
    status = fields.String()
    created = fields.Function(lambda a: wire_time(a.created_ms), metadata={"type": "string"})
    ends = fields.Function(lambda a: wire_time(a.end_ms), metadata={"type": "string"})
    refunded = fields.Boolean()
    messages = fields.List(fields.Nested(StateSms))


class StateAccount(Schema):
    key = fields.String()
    balance = fields.Float()
    webhook = fields.String(allow_none=True)
    activations = fields.List(fields.Nested(StateActivation))


class SmsActivateState(Schema):
    accounts = fields.List(fields.Nested(StateAccount))
