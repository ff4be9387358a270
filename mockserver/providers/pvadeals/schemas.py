"""PVADeals wire shapes: every body the API sends or accepts, field names and order as the PVADeals
documentation shows them, and the webhook payload. Answers are dumped through these schemas and
the OpenAPI document is generated from them: change a shape here and nowhere else."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from marshmallow import Schema, fields, validate

from mockserver.engine.ratelimit import Rejection
from mockserver.providers.contract import ErrorWire
from mockserver.providers.pvadeals import defaults
from mockserver.providers.pvadeals.backend import LTR, ORDER_FIELDS, STR
from mockserver.providers.pvadeals.errors import InvalidCursor
from mockserver.providers.shapes import IsoTime, Itself, constant, dump, ref

# -- values -----------------------------------------------------------------------------------


def money(value: Decimal) -> int | float:
    """Amounts as a Node.js server writes them: 100.00 goes out as 100, 0.20 as 0.2.
    [assumed] the documentation prints 100.00, which no JSON encoder emits."""
    return int(value) if value == value.to_integral_value() else float(value)


class Money(fields.Field):
    def __init__(self, **kwargs):
        # The OpenAPI generator adds "null" to the type itself for allow_none.
        super().__init__(**{"metadata": {"type": "number"}, **kwargs})

    def _serialize(self, value: Decimal | None, attr, obj, **kwargs):
        return None if value is None else money(value)


def encode_cursor(request_id: str) -> str:
    """A cursor is the base64 of the node's _id, as in the documented example."""
    return base64.b64encode(request_id.encode("ascii")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor() from exc


# -- the Request object, in the variants the doc page and the collection show ------------------

_REQUEST_FIELDS = {
    "_id": lambda: fields.String(attribute="id"),
    "serviceName": lambda: fields.Function(lambda r: r.service.name, metadata={"type": "string"}),
    "serviceId": lambda: fields.Function(lambda r: r.service.id, metadata={"type": "string"}),
    "number": lambda: fields.String(),
    "status": lambda: fields.String(),
    "country": lambda: constant("US"),
    "amount": lambda: Money(),
    "numberType": lambda: constant(STR),
    "allowFlag": lambda: fields.Boolean(attribute="allow_flag"),
    "autoRenewEnable": lambda: fields.Boolean(attribute="auto_renew"),
    "allowReuse": lambda: fields.Boolean(attribute="allow_reuse"),
    "reuseCounter": lambda: fields.Integer(attribute="reuse_counter"),
    "messageCounter": lambda: fields.Integer(attribute="message_counter"),
    "endTime": lambda: IsoTime(attribute="end_ms"),
    "createdAt": lambda: IsoTime(attribute="created_ms"),
    "updatedAt": lambda: IsoTime(attribute="updated_ms"),
}


def _request_schema(name: str, field_names: str, **overrides: fields.Field) -> type[Schema]:
    """The named fields, in that order, then any override that is not one of them."""
    chosen = {key: overrides.get(key) or _REQUEST_FIELDS[key]() for key in field_names.split()}
    return Schema.from_dict({**chosen, **overrides}, name=name)


_LISTED = "_id serviceName serviceId number status country amount numberType allowFlag allowReuse reuseCounter endTime createdAt"
_DETAILED = _LISTED.replace("endTime", "messageCounter endTime") + " updatedAt"
_REUSED = _LISTED.replace(" createdAt", "")
# A rental carries autoRenewEnable after allowFlag (SPEC 1b) and says numberType LTR.
_LTR_LISTED = _LISTED.replace("allowFlag", "allowFlag autoRenewEnable")
_LTR_DETAILED = _DETAILED.replace("allowFlag", "allowFlag autoRenewEnable")
_LTR = {"numberType": constant(LTR)}

# As listed and purchased.
Request = _request_schema("Request", _LISTED)
LtrRequest = _request_schema("LtrRequest", _LTR_LISTED, **_LTR)
# GET /request/{id} adds messageCounter and updatedAt.
RequestDetail = _request_schema("RequestDetail", _DETAILED)
LtrRequestDetail = _request_schema("LtrRequestDetail", _LTR_DETAILED, **_LTR)
# The reuse answer has no createdAt; the doc page's says "USA", the collection's "US".
ReusedRequest = _request_schema("ReusedRequest", _REUSED)
ReusedRequestUSA = _request_schema("ReusedRequestUSA", _REUSED, country=constant("USA"))
LtrReusedRequest = _request_schema("LtrReusedRequest", _REUSED, **_LTR)
LtrReusedRequestUSA = _request_schema("LtrReusedRequestUSA", _REUSED, country=constant("USA"), **_LTR)
# A rental as the collection's purchase-ltr and renew-ltr answers show it.
RentalRequest = _request_schema("RentalRequest", "_id serviceName serviceId number status country amount endTime "
                                "allowFlag autoRenewEnable numberType createdAt updatedAt", **_LTR)


def _by_kind(short: type[Schema], rental: type[Schema]) -> fields.Function:
    """A request as ``short`` dumps it, or ``rental`` for a long-term one: lists and details hold both."""
    return fields.Function(lambda request: dump(rental if request.kind == LTR else short, request),
                           metadata={"oneOf": [ref(short), ref(rental)]})


def _ltr_price(days: int) -> Money:
    return Money(attribute=f"ltr{days}", allow_none=True)


# The catalog's service, from a listing {"id", "name", "price", "str_price", "picture", "ltr3", ..., "ltr30"}.
_SERVICE_FIELDS: dict[str, Callable[[], fields.Field]] = {
    "_id": lambda: fields.String(attribute="id"),
    "name": lambda: fields.String(),
    "picture": lambda: fields.String(),
    "country": lambda: constant("USA"),
    "price": lambda: Money(),
    "STRprice": lambda: Money(attribute="str_price"),
    **{f"LTR{days}price": partial(_ltr_price, days) for days in defaults.LTR_DURATIONS},
}
_PRICES = " ".join(f"LTR{days}price" for days in defaults.LTR_DURATIONS)
SERVICE_SHAPES = {"documented": "_id name country price",
                  "collection": f"_id name picture country STRprice {_PRICES}",
                  "both": f"_id name country price picture STRprice {_PRICES}"}   # the doc page's, then the collection's
ServiceDocumented, ServiceCollection, ServiceBoth = (
    Schema.from_dict({key: _SERVICE_FIELDS[key]() for key in SERVICE_SHAPES[shape].split()},
                     name=f"Service{shape.capitalize()}") for shape in defaults.SHAPES)


# -- request bodies and queries ---------------------------------------------------------------


_AREA_CODE = fields.String(load_default="", validate=validate.Regexp(
    r"^([2-9][0-9]{2})?$", error="an area code is three digits (or empty: any)"),
    metadata={"description": "A US area code the number should have; empty: any"})


class PurchaseItem(Schema):
    serviceId = fields.String(required=True, validate=validate.Length(min=1))
    areaCode = _AREA_CODE


class LtrPurchaseBody(Schema):
    serviceId = fields.String(required=True, validate=validate.Length(min=1),
                              metadata={"description": "A service's _id, or ALL_SERVICES for the number that takes "
                                                       "SMS from any service"})
    duration = fields.Integer(required=True, strict=True, metadata={
        "description": "Days: 3, 7, 14 or 30; 28 for ALL_SERVICES"})
    areaCode = _AREA_CODE


class PurchaseBody(Schema):
    services = fields.List(fields.Nested(PurchaseItem), required=True,
                           validate=validate.Length(min=1, error="must list at least one service"))


class ListQuery(Schema):
    class Meta:
        unknown = "exclude"   # like the real API, ignore query parameters it does not know

    first = fields.Integer(load_default=None, validate=validate.Range(min=1, max=defaults.MAX_PAGE_SIZE),
                           metadata={"description": f"Items after the cursor (default {defaults.PAGE_SIZE})"})
    last = fields.Integer(load_default=None, validate=validate.Range(min=1, max=defaults.MAX_PAGE_SIZE),
                          metadata={"description": "Items from the end, or before the cursor"})
    after = fields.String(load_default=None)
    before = fields.String(load_default=None)
    orderField = fields.String(load_default="_id", validate=validate.OneOf(ORDER_FIELDS))
    orderBy = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]))


# -- answers: {"success": true, "data": ..., "message": ...} ------------------------------------


def _envelope(name: str, data: fields.Field, message: str | None = None) -> type[Schema]:
    shape = {"success": constant(True), "data": data}
    if message is not None:
        shape["message"] = constant(message)
    return Schema.from_dict(shape, name=name)


class Edge(Schema):
    cursor = fields.Function(lambda request: encode_cursor(request.id), metadata={"type": "string"})
    node = _by_kind(Request, LtrRequest)


class PageInfo(Schema):
    """[assumed] not in the documented example; Relay-style, additive."""
    hasNextPage = fields.Boolean(attribute="has_next")
    hasPreviousPage = fields.Boolean(attribute="has_previous")
    startCursor = fields.Function(lambda page: encode_cursor(page.requests[0].id) if page.requests else None,
                                  metadata={"type": ["string", "null"]})
    endCursor = fields.Function(lambda page: encode_cursor(page.requests[-1].id) if page.requests else None,
                                metadata={"type": ["string", "null"]})


Connection = Schema.from_dict({"edges": fields.List(fields.Nested(Edge), attribute="requests"),
                               "pageInfo": Itself(PageInfo)}, name="Connection")

Balance = _envelope("Balance", Itself(Schema.from_dict({"credits": Money()}, name="Credits")),
                    "Balance retrieved successfully")
# The catalog, by shape profile: its services as the doc page, the collection, or both show them.
SERVICES = {shape: _envelope(f"Services{shape.capitalize()}", Itself(Schema.from_dict(
    {"services": fields.List(fields.Nested(service))}, name=f"ServiceList{shape.capitalize()}")))
    for shape, service in zip(defaults.SHAPES, (ServiceDocumented, ServiceCollection, ServiceBoth), strict=True)}
Purchased = _envelope("Purchased", Itself(Schema.from_dict({"requests": fields.List(fields.Nested(Request))},
                                                           name="RequestList")), "Numbers purchased successfully")
RentalPurchased = _envelope("RentalPurchased", Itself(RentalRequest), "LTR number purchased successfully")
AutoRenew = Schema.from_dict({"success": constant(True), "data": Itself(RentalRequest), "message": fields.Function(
    lambda request: "Auto-renew enabled successfully" if request.auto_renew else "Auto-renew disabled successfully",
    metadata={"type": "string"})}, name="AutoRenew")      # [assumed] the disabled text: the collection shows the other
Flagged = _envelope("Flagged", constant(True), "Number flagged successfully")
# The reuse answer, by shape profile: "USA" as the doc page shows it, "US" as the collection does.
_reused = {country: _envelope(f"Reused{suffix}", _by_kind(short, rental), "Number reused successfully")
           for country, suffix, short, rental in (("US", "", ReusedRequest, LtrReusedRequest),
                                                  ("USA", "USA", ReusedRequestUSA, LtrReusedRequestUSA))}
REUSED = {"documented": _reused["USA"], "collection": _reused["US"], "both": _reused["US"]}
Detail = _envelope("Detail", _by_kind(RequestDetail, LtrRequestDetail), "Service request retrieved successfully")
Page = _envelope("Page", Itself(Schema.from_dict({"data": Itself(Connection)}, name="PageData")))
# Schemas answers refer to by name only (through _by_kind), for the OpenAPI document.
REFERRED = (Request, LtrRequest, RequestDetail, LtrRequestDetail, ReusedRequest, LtrReusedRequest,
            ReusedRequestUSA, LtrReusedRequestUSA)


# -- errors -------------------------------------------------------------------------------------


class Error(Schema):
    success = constant(False)
    message = fields.String()
    status = fields.Integer()


class RateLimited(Schema):
    message = fields.Function(lambda rejection: f"API Rate limit exceeded. Maximum {rejection.rule.limit} requests "
                                                "per minute.", metadata={"type": "string"})
    status = constant(429)
    retryAfter = fields.Integer(attribute="retry_after_s")


def error_body(status: int, message: str) -> dict:
    return dump(Error, {"message": message, "status": status})


def rate_limited_body(rejection: Rejection) -> dict:
    return dump(RateLimited, rejection)


ERRORS = ErrorWire(
    body=error_body,
    # Statuses no call chooses: unknown route, wrong method, too large a body, a fault. [assumed]
    texts={404: "Route not found", 405: "Method not allowed", 413: "Request entity too large",
           500: "Internal server error", 502: "Bad gateway", 503: "Service temporarily unavailable"},
    unauthorized="Unauthorized Access! Invalid API key",
    invalid_input=lambda problem: problem,
    rate_limited=rate_limited_body,
    schema=Error,
    rate_limited_schema=RateLimited,
)
INVALID_JSON = "Invalid JSON in request body"  # [assumed]


# -- the webhook payload ------------------------------------------------------------------------


class WebhookEvent(Schema):
    """What an account's webhook URL receives, dumped from {"event", "at_ms", "request", "message"}
    (the SMS text, or "")."""
    event = fields.String()
    timestamp = IsoTime(attribute="at_ms")
    requestId = fields.Function(lambda e: e["request"].id, metadata={"type": "string"})
    serviceId = fields.Function(lambda e: e["request"].service.id, metadata={"type": "string"})
    number = fields.Function(lambda e: e["request"].number, metadata={"type": "string"})
    message = fields.String()


# -- the sandbox's own view of PVADeals state (control API, not the provider's wire) ----------


class SmsReceived(Schema):
    text = fields.String()
    code = fields.String(allow_none=True)
    at = IsoTime(attribute="at_ms")


class RenewalDone(Schema):
    at = IsoTime(attribute="at_ms")
    amount = Money()
    endTime = IsoTime(attribute="end_ms")


PvaStateRequest = _request_schema(
    "PvaStateRequest", _LTR_DETAILED, numberType=fields.String(attribute="kind"),
    durationDays=fields.Integer(attribute="duration_days", allow_none=True),
    messages=fields.List(fields.Nested(SmsReceived)), renewals=fields.List(fields.Nested(RenewalDone)),
    renewalRefusedAt=IsoTime(attribute="renewal_refused_ms", allow_none=True))


class PvaStateAccount(Schema):
    """Dumped from {"key", "credits", "webhook", "requests": a list} (console.state)."""
    key = fields.String()
    credits = Money()
    webhook = fields.String(allow_none=True)
    requests = fields.List(fields.Nested(PvaStateRequest))


class PvaDealsState(Schema):
    accounts = fields.List(fields.Nested(PvaStateAccount))
