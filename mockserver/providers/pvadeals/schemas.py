"""PVADeals wire shapes: every body the API sends or accepts, field names and order as the
PVADeals documentation shows them. Change a shape here and nowhere else."""
from __future__ import annotations

import base64
import binascii
from decimal import Decimal

from marshmallow import Schema, fields, validate

from ...engine.clock import format_iso
from ...wire import status_text
from . import backend as b

# -- values -----------------------------------------------------------------------------------


def money(value: Decimal) -> int | float:
    """Amounts as a Node.js server writes them: 100.00 goes out as 100, 0.20 as 0.2.
    [assumed] the documentation prints 100.00, which no JSON encoder emits."""
    return int(value) if value == value.to_integral_value() else float(value)


class Money(fields.Field):
    def __init__(self, **kwargs):
        super().__init__(**{"metadata": {"type": "number"}, **kwargs})

    def _serialize(self, value: Decimal, attr, obj, **kwargs):
        return money(value)


class IsoTime(fields.Field):
    def __init__(self, **kwargs):
        super().__init__(**{"metadata": {"type": "string", "format": "date-time"}, **kwargs})

    def _serialize(self, value: int, attr, obj, **kwargs):
        return format_iso(value)


def encode_cursor(request_id: str) -> str:
    """A cursor is the base64 of the node's _id, as in the documented example."""
    return base64.b64encode(request_id.encode("ascii")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise b.InvalidCursor(cursor) from exc


# -- the Request object, in its three documented variants -------------------------------------

_REQUEST_FIELDS = {
    "_id": lambda: fields.String(attribute="id"),
    "serviceName": lambda: fields.Function(lambda r: r.service.name, metadata={"type": "string"}),
    "serviceId": lambda: fields.Function(lambda r: r.service.id, metadata={"type": "string"}),
    "number": lambda: fields.String(),
    "status": lambda: fields.String(),
    "country": lambda: fields.Constant("US", metadata={"type": "string", "enum": ["US"]}),
    "amount": lambda: Money(),
    "numberType": lambda: fields.Constant("STR", metadata={"type": "string", "enum": ["STR"]}),
    "allowFlag": lambda: fields.Boolean(attribute="allow_flag"),
    "allowReuse": lambda: fields.Boolean(attribute="allow_reuse"),
    "reuseCounter": lambda: fields.Integer(attribute="reuse_counter"),
    "messageCounter": lambda: fields.Integer(attribute="message_counter"),
    "endTime": lambda: IsoTime(attribute="end_ms"),
    "createdAt": lambda: IsoTime(attribute="created_ms"),
    "updatedAt": lambda: IsoTime(attribute="updated_ms"),
}


def _request_schema(name: str, field_names: str, **overrides) -> type[Schema]:
    chosen = {key: overrides.get(key) or _REQUEST_FIELDS[key]() for key in field_names.split()}
    return Schema.from_dict(chosen, name=name)


_LISTED = "_id serviceName serviceId number status country amount numberType allowFlag allowReuse reuseCounter endTime createdAt"
# As listed and purchased.
RequestSchema = _request_schema("Request", _LISTED)
# GET /request/{id} adds messageCounter and updatedAt.
RequestDetailSchema = _request_schema("RequestDetail", _LISTED.replace("endTime", "messageCounter endTime") + " updatedAt")
# The documented reuse answer has no createdAt and says "USA".
ReusedRequestSchema = _request_schema("ReusedRequest", _LISTED.replace(" createdAt", ""),
                                      country=fields.Constant("USA", metadata={"type": "string", "enum": ["USA"]}))


class ServiceSchema(Schema):
    _id = fields.String(attribute="id")
    name = fields.String()
    country = fields.Constant("USA", metadata={"type": "string", "enum": ["USA"]})
    price = Money()


# -- request bodies and queries ---------------------------------------------------------------


class PurchaseItemSchema(Schema):
    serviceId = fields.String(required=True, validate=validate.Length(min=1))


class PurchaseBodySchema(Schema):
    services = fields.List(fields.Nested(PurchaseItemSchema), required=True,
                           validate=validate.Length(min=1, error="must list at least one service"))


MAX_PAGE_SIZE = 100  # [assumed]
DEFAULT_PAGE_SIZE = 20


class ListQuerySchema(Schema):
    class Meta:
        unknown = "exclude"   # like the real API, ignore query parameters it does not know

    first = fields.Integer(load_default=DEFAULT_PAGE_SIZE,
                           validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    after = fields.String(load_default=None)
    before = fields.String(load_default=None)
    orderField = fields.String(load_default="_id", validate=validate.OneOf(b.ORDER_FIELDS))
    orderBy = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]))


# -- response bodies --------------------------------------------------------------------------

_request = RequestSchema()
_detail = RequestDetailSchema()
_reused = ReusedRequestSchema()
_service = ServiceSchema()


def balance_body(credits: Decimal) -> dict:
    return {"success": True, "data": {"credits": money(credits)},
            "message": "Balance retrieved successfully"}


def services_body(services) -> dict:
    return {"success": True, "data": {"services": _service.dump(services, many=True)}}


def purchase_body(requests) -> dict:
    return {"success": True, "data": {"requests": _request.dump(requests, many=True)},
            "message": "Numbers purchased successfully"}


def flag_body() -> dict:
    return {"success": True, "data": True, "message": "Number flagged successfully"}


def reuse_body(request) -> dict:
    return {"success": True, "data": _reused.dump(request), "message": "Number reused successfully"}


def detail_body(request) -> dict:
    return {"success": True, "data": _detail.dump(request), "message": "Service request retrieved successfully"}


def list_body(page: b.RequestPage) -> dict:
    edges = [{"cursor": encode_cursor(r.id), "node": _request.dump(r)} for r in page.requests]
    page_info = {  # [assumed] not in the documented example; Relay-style, additive
        "hasNextPage": page.has_next,
        "hasPreviousPage": page.has_previous,
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return {"success": True, "data": {"data": {"edges": edges, "pageInfo": page_info}}}


def error_body(status: int, message: str) -> dict:
    return {"success": False, "message": message, "status": status}


def rate_limited_body(limit: int, retry_after_s: int) -> dict:
    return {"message": f"API Rate limit exceeded. Maximum {limit} requests per minute.",
            "status": 429, "retryAfter": retry_after_s}


def webhook_payload(event: str, at_ms: int, request, message: str) -> dict:
    return {"event": event, "timestamp": format_iso(at_ms), "requestId": request.id,
            "serviceId": request.service.id, "number": request.number, "message": message}


UNAUTHORIZED = (401, "Unauthorized Access! Invalid API key")
INVALID_JSON = "Invalid JSON in request body"  # [assumed]
AFTER_AND_BEFORE = "Use either after or before, not both"  # [assumed]
# Statuses no view chooses: unknown route, wrong method, an unexpected failure, a fault. [assumed]
ROUTE_ERRORS = {404: "Route not found", 405: "Method not allowed", 413: "Request entity too large",
                500: "Internal server error",
                502: "Bad gateway", 503: "Service temporarily unavailable"}


def route_error_body(status: int) -> dict:
    return error_body(status, ROUTE_ERRORS.get(status) or status_text(status))

# Each backend refusal: its status and message. [assumed] where SPEC marks the text so.
ERRORS: dict[type, tuple[int, str]] = {
    b.ServiceNotFound: (404, "Service not found"),
    b.RequestNotFound: (404, "Service request not found"),
    b.FlagNotAllowed: (422, "Flag not allowed for this request"),
    b.ReuseNotAllowed: (422, "Reuse not allowed for this request"),
    b.InsufficientBalance: (422, "Insufficient balance"),
    b.InvalidCursor: (400, "Invalid cursor"),
}


# -- the sandbox's own view of PVADeals state (control API, not the provider's wire) ----------


def state_body(backend: b.PvaDeals) -> dict:
    return {"accounts": [
        {"key": account.key, "credits": money(account.credits), "webhook": account.webhook,
         "requests": [{**_detail.dump(r), "messages": [
             {"text": m.text, "code": m.code, "at": format_iso(m.at_ms)} for m in r.messages]}
             for r in account.requests.values()]}
        for account in backend.accounts.values()]}
