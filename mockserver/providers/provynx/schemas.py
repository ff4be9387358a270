"""Provynx wire shapes: every body the API takes or sends, and the webhook payload.

The public Provynx page shows no bodies, so nearly every shape here is [assumed] (SPEC §2); they
all live in this one module, answers are dumped through these schemas, and the OpenAPI document
is generated from them, so changing a shape here changes the document with it.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from mockserver.providers.contract import ErrorWire
from mockserver.providers.provynx import defaults
from mockserver.providers.provynx.backend import (
    CANCELED,
    EXPIRED,
    GLOBAL,
    PENDING,
    RECEIVED,
    US,
)
from mockserver.providers.shapes import IsoTime, constant, dump


def _required(field: fields.Field) -> fields.Field:
    field.required = True
    return field


# -- query strings and request bodies ---------------------------------------------------------


class _Query(Schema):
    class Meta:
        unknown = "exclude"   # like most HTTP APIs, ignore query parameters it does not know

    # The servers there are come from the scenario's catalogs: the backend checks the number.
    server = fields.Integer(load_default=defaults.DEFAULT_SERVER,
                            metadata={"description": "Upstream server; keep one for catalog and purchase"})


class ServerQuery(_Query):
    pass


class UsServicesQuery(_Query):
    operator = fields.String(load_default="any", validate=validate.Length(min=1))


class GlobalOperatorsQuery(_Query):
    country = fields.String(required=True, validate=validate.Length(min=1),
                            metadata={"description": "Two-letter country code, e.g. gb"})


class GlobalServicesQuery(GlobalOperatorsQuery):
    operator = fields.String(load_default="any", validate=validate.Length(min=1))


class UsPurchase(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1))
    operator = fields.String(load_default="any", validate=validate.Length(min=1))
    # strict: in JSON a server is a whole number; "1" or 1.5 is a client's mistake, not server 1
    server = fields.Integer(load_default=defaults.DEFAULT_SERVER, strict=True)


class GlobalPurchase(UsPurchase):
    country = fields.String(required=True, validate=validate.Length(min=1))


# -- response bodies --------------------------------------------------------------------------


class Balance(Schema):
    balance = _required(fields.Float())
    currency = _required(constant("USD"))
    sandbox = _required(fields.Boolean())


class Operator(Schema):
    id = _required(fields.String())
    name = _required(fields.String())


class UsOperators(Schema):
    server = _required(fields.Integer())
    operators = _required(fields.List(fields.Nested(Operator)))


class GlobalOperators(Schema):
    server = _required(fields.Integer())
    country = _required(fields.String())
    operators = _required(fields.List(fields.Nested(Operator)))


class Service(Schema):
    """A service as a catalog lists it (an Offer: the service and its stock)."""
    id = _required(fields.Function(lambda offer: offer.service.id, metadata={"type": "string"}))
    name = _required(fields.Function(lambda offer: offer.service.name, metadata={"type": "string"}))
    price = _required(fields.Function(lambda offer: float(offer.service.price), metadata={"type": "number"}))
    available = _required(fields.Integer(metadata={"description": "Numbers in stock [assumed: a count]"}))


class Services(Schema):
    server = _required(fields.Integer())
    country = _required(fields.Function(lambda catalog: catalog.country.code, metadata={"type": "string"}))
    operator = _required(fields.String())
    services = _required(fields.List(fields.Nested(Service)))


class Country(Schema):
    code = _required(fields.String())
    name = _required(fields.String())


class Countries(Schema):
    server = _required(fields.Integer(attribute="id"))
    countries = _required(fields.List(fields.Nested(Country)))


_STATUSES = [PENDING, RECEIVED, CANCELED, EXPIRED]


class Number(Schema):
    id = _required(fields.String())
    region = _required(fields.String(validate=validate.OneOf([US, GLOBAL])))
    country = _required(fields.String())
    number = _required(fields.String())
    service = _required(fields.Function(lambda n: n.service.id, metadata={"type": "string"}))
    operator = _required(fields.String())
    server = _required(fields.Integer())
    price = _required(fields.Float())
    status = _required(fields.String(validate=validate.OneOf(_STATUSES)))
    code = _required(fields.String(allow_none=True))
    sms = _required(fields.String(allow_none=True))
    sandbox = _required(fields.Boolean())
    created_at = _required(IsoTime(attribute="created_ms"))
    expires_at = _required(IsoTime(attribute="expires_ms"))


class Code(Schema):
    id = _required(fields.String())
    status = _required(fields.String(validate=validate.OneOf(_STATUSES)))
    code = _required(fields.String(allow_none=True))
    sms = _required(fields.String(allow_none=True))


# -- errors -------------------------------------------------------------------------------------


class Error(Schema):
    error = _required(fields.String())


def error_body(status: int, message: str) -> dict:
    return dump(Error, {"error": message})


ERRORS = ErrorWire(
    body=error_body,
    # Statuses no call chooses (unknown route, wrong method, too large a body) or a fault injects.
    texts={404: "Not found", 405: "Method not allowed", 413: "Request body too large", 500: "Internal server error",
           502: "Temporary service failure", 503: "SMS numbers are temporarily unavailable"},
    unauthorized="Missing or invalid API key",
    invalid_input=lambda problem: f"Invalid request: {problem}",
    rate_limited=lambda rejection: error_body(429, "Rate limit exceeded"),
    schema=Error,
    rate_limited_schema=Error,
)
INVALID_JSON = "the body is not valid JSON"


# -- the webhook payload ------------------------------------------------------------------------


class OtpReceived(Schema):
    """``otp.received``, dumped from {"at_ms": virtual instant, "number": the number}."""
    type = _required(constant("otp.received"))
    timestamp = _required(IsoTime(attribute="at_ms"))
    data = _required(fields.Nested(Number, attribute="number",
                                   only=("id", "region", "country", "number", "service", "code", "sms", "sandbox")))


# -- the sandbox's own view of Provynx state (control API, not the provider's wire) -----------


class PnxStateNumber(Number):
    polls = fields.Integer()


class PnxStateWebhook(Schema):
    url = fields.String(attribute="webhook_url", allow_none=True)
    secret = fields.String(attribute="webhook_secret")


class PnxStateAccount(Schema):
    """Dumped from {"name", "keys": sorted, "balance", "webhook": the account, "numbers": a list} (console.state)."""
    name = fields.String()
    keys = fields.List(fields.String())
    balance = fields.Float()
    webhook = fields.Nested(PnxStateWebhook)
    numbers = fields.List(fields.Nested(PnxStateNumber))


class PnxInFlight(Schema):
    scope = fields.Function(lambda held: held[0], metadata={"type": "string"})
    key = fields.Function(lambda held: held[1], metadata={"type": "string"})


class ProvynxState(Schema):
    idempotency_in_flight = fields.List(fields.Nested(PnxInFlight))
    accounts = fields.List(fields.Nested(PnxStateAccount))
