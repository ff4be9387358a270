"""Provynx wire shapes: every body the API takes or sends, and the webhook payload.

The public Provynx page shows no bodies, so nearly every shape here is [assumed] (SPEC §2);
they all live in this one module, and the OpenAPI document is generated from these classes,
so changing a shape here changes the document with it.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...engine.clock import format_iso
from ...wire import status_text
from . import backend as b

SERVERS = [1, 2, 3]


def _required(field: fields.Field) -> fields.Field:
    field.required = True
    return field


# -- query strings and request bodies ---------------------------------------------------------


class _Query(Schema):
    class Meta:
        unknown = "exclude"   # like most HTTP APIs, ignore query parameters it does not know

    server = fields.Integer(load_default=1, validate=validate.OneOf(SERVERS),
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


class UsPurchaseBody(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1))
    operator = fields.String(load_default="any", validate=validate.Length(min=1))
    # strict: in JSON a server is a whole number; "1" or 1.5 is a client's mistake, not server 1
    server = fields.Integer(load_default=1, strict=True, validate=validate.OneOf(SERVERS))


class GlobalPurchaseBody(UsPurchaseBody):
    country = fields.String(required=True, validate=validate.Length(min=1))


# -- response bodies --------------------------------------------------------------------------


class Balance(Schema):
    balance = _required(fields.Float())
    currency = _required(fields.Constant("USD", metadata={"type": "string", "enum": ["USD"]}))
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
    id = _required(fields.String())
    name = _required(fields.String())
    price = _required(fields.Float())
    available = _required(fields.Integer(metadata={"description": "Numbers in stock [assumed: a count]"}))


class Services(Schema):
    server = _required(fields.Integer())
    country = _required(fields.String())
    operator = _required(fields.String())
    services = _required(fields.List(fields.Nested(Service)))


class Country(Schema):
    code = _required(fields.String())
    name = _required(fields.String())


class Countries(Schema):
    server = _required(fields.Integer())
    countries = _required(fields.List(fields.Nested(Country)))


_STATUSES = [b.PENDING, b.RECEIVED, b.CANCELED, b.EXPIRED]


class Number(Schema):
    id = _required(fields.String())
    region = _required(fields.String(validate=validate.OneOf([b.US, b.GLOBAL])))
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
    created_at = _required(fields.Function(lambda n: format_iso(n.created_ms),
                                           metadata={"type": "string", "format": "date-time"}))
    expires_at = _required(fields.Function(lambda n: format_iso(n.expires_ms),
                                           metadata={"type": "string", "format": "date-time"}))


class Code(Schema):
    id = _required(fields.String())
    status = _required(fields.String(validate=validate.OneOf(_STATUSES)))
    code = _required(fields.String(allow_none=True))
    sms = _required(fields.String(allow_none=True))


class Error(Schema):
    error = _required(fields.String())


class OtpReceived(Schema):
    type = _required(fields.Constant("otp.received", metadata={"type": "string", "enum": ["otp.received"]}))
    timestamp = _required(fields.String(metadata={"format": "date-time"}))
    data = _required(fields.Nested(Number, only=("id", "region", "country", "number", "service", "code", "sms",
                                                 "sandbox")))


_balance, _number, _code, _service, _operator, _country = Balance(), Number(), Code(), Service(), Operator(), Country()
_otp = OtpReceived()


def balance_body(amount, sandbox: bool) -> dict:
    return _balance.dump({"balance": float(amount), "sandbox": sandbox})


def operators_body(catalog_country, server: int, region: str) -> dict:
    operators = _operator.dump(catalog_country.operators, many=True)
    if region == b.US:
        return {"server": server, "operators": operators}
    return {"server": server, "country": catalog_country.code, "operators": operators}


def services_body(catalog: b.Catalog) -> dict:
    return {"server": catalog.server.id, "country": catalog.country.code, "operator": catalog.operator,
            "services": [{**_service.dump(service), "available": stock} for service, stock in catalog.services]}


def countries_body(server) -> dict:
    return {"server": server.id, "countries": _country.dump(server.countries, many=True)}


def number_body(number: b.Number) -> dict:
    return _number.dump(number)


def code_body(number: b.Number) -> dict:
    return _code.dump(number)


def webhook_payload(number: b.Number, at_ms: int) -> dict:
    return _otp.dump({"timestamp": format_iso(at_ms), "data": number})


def error_body(message: str) -> dict:
    return {"error": message}


# -- error texts ------------------------------------------------------------------------------

UNAUTHORIZED = "Missing or invalid API key"
INVALID_JSON = "the body is not valid JSON"
RATE_LIMITED = "Rate limit exceeded"
IDEMPOTENCY_IN_FLIGHT = "Purchase already in progress (retry with same idempotency key)"
IDEMPOTENCY_MISMATCH = "Idempotency-Key was already used with a different request"
# Statuses no view chooses (unknown route, wrong method, crash) or a fault injects.
STATUS_TEXTS = {404: "Not found", 405: "Method not allowed", 413: "Request body too large",
                500: "Internal server error",
                502: "Temporary service failure", 503: "SMS numbers are temporarily unavailable"}


def status_error_body(status: int) -> dict:
    return error_body(STATUS_TEXTS.get(status) or status_text(status))


def refusal(exc: b.ProvynxError) -> tuple[int, str]:
    """The status and message for a backend refusal."""
    args = exc.args
    if isinstance(exc, b.UnknownCountry):
        return 400, f"Unknown country '{args[0]}' on server {args[1]}"
    if isinstance(exc, b.UnknownOperator):
        return 400, f"Unknown operator '{args[0]}' for country '{args[1]}' on server {args[2]}"
    if isinstance(exc, b.PricingNotFound):
        return 404, f"Pricing not found for service '{args[0]}' on server {args[1]}"
    if isinstance(exc, b.ProductUnavailable):
        return 400, f"Product unavailable: '{args[0]}' is not offered on operator '{args[1]}'"
    if isinstance(exc, b.OutOfStock):
        return 503, STATUS_TEXTS[503]
    if isinstance(exc, b.InsufficientFunds):
        return 402, f"Insufficient wallet balance: the number costs ${args[0]:.2f}, the wallet holds ${args[1]:.2f}"
    if isinstance(exc, b.NumberNotFound):
        return 404, "Number not found"
    if isinstance(exc, b.GlobalCancelRefused):
        return 400, "Global numbers cannot be canceled via the API"
    if isinstance(exc, b.CancelNotAllowed):
        return 400, f"Number cannot be canceled (status: {args[0]})"
    return 400, str(exc)


# -- the sandbox's own view of Provynx state (control API, not the provider's wire) -----------


def state_body(backend: b.Provynx) -> dict:
    return {"idempotency_in_flight": [{"scope": scope, "key": key} for scope, key in backend.idempotency.in_flight()],
            "accounts": [
        {"name": account.name, "keys": sorted(account.keys), "balance": float(account.balance),
         "webhook": {"url": account.webhook_url, "secret": account.webhook_secret},
         "numbers": [{**_number.dump(n), "polls": n.polls} for n in account.numbers.values()]}
        for account in backend.accounts.values()]}
