"""An OpenAPI 3.1 document of the emulated PVADeals API, generated from schemas.py.

PVADeals publishes no such document, so mockserver serves it under its own control API
(/_mock/openapi/pvadeals.json), never under /v3/api where a client could tell it apart. The
envelopes below restate the dict builders of schemas.py as schemas; the fuzz tests check the
served answers against them."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from . import schemas as s


def _envelope(name: str, data: fields.Field, message: bool = True) -> type[Schema]:
    shape = {"success": fields.Boolean(), "data": data}
    if message:
        shape["message"] = fields.String()
    return Schema.from_dict(shape, name=name)


_PAGE_INFO = Schema.from_dict({"hasNextPage": fields.Boolean(), "hasPreviousPage": fields.Boolean(),
                               "startCursor": fields.String(allow_none=True),
                               "endCursor": fields.String(allow_none=True)}, name="PageInfo")
_EDGE = Schema.from_dict({"cursor": fields.String(), "node": fields.Nested(s.RequestSchema)}, name="Edge")

COMPONENTS = {
    "Request": s.RequestSchema, "RequestDetail": s.RequestDetailSchema, "ReusedRequest": s.ReusedRequestSchema,
    "Service": s.ServiceSchema, "PageInfo": _PAGE_INFO, "Edge": _EDGE,
    "Balance": _envelope("Balance", fields.Nested(Schema.from_dict({"credits": s.Money()}, name="Credits"))),
    "Services": _envelope("Services", fields.Nested(Schema.from_dict(
        {"services": fields.List(fields.Nested(s.ServiceSchema))}, name="ServiceList")), message=False),
    "Purchased": _envelope("Purchased", fields.Nested(Schema.from_dict(
        {"requests": fields.List(fields.Nested(s.RequestSchema))}, name="RequestList"))),
    "Flagged": _envelope("Flagged", fields.Boolean()),
    "Reused": _envelope("Reused", fields.Nested(s.ReusedRequestSchema)),
    "Detail": _envelope("Detail", fields.Nested(s.RequestDetailSchema)),
    "Page": _envelope("Page", fields.Nested(Schema.from_dict({"data": fields.Nested(Schema.from_dict(
        {"edges": fields.List(fields.Nested(_EDGE)), "pageInfo": fields.Nested(_PAGE_INFO)}, name="Connection"))},
        name="PageData")), message=False),
    "Error": Schema.from_dict({"success": fields.Boolean(), "message": fields.String(), "status": fields.Integer()},
                              name="Error"),
    "RateLimited": Schema.from_dict({"message": fields.String(), "status": fields.Integer(),
                                     "retryAfter": fields.Integer()}, name="RateLimited"),
}
_ID = {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}
_AUTH = {401: "Missing or invalid API key"}

# (method, path, summary, query schema, body schema, success schema, {error status: why})
ROUTES = [
    ("get", "/balance", "Account balance", None, None, "Balance", {}),
    ("get", "/services/all", "The service catalog", None, None, "Services", {}),
    ("post", "/purchase", "Buy numbers, all or nothing", None, s.PurchaseBodySchema, "Purchased",
     {400: "Malformed body", 404: "Service not found", 422: "Insufficient balance"}),
    ("post", "/flag/{id}", "Flag (cancel) a request before its SMS", None, None, "Flagged",
     {404: "Service request not found", 422: "Flag not allowed"}),
    ("post", "/reuse/{id}", "Reuse a number after its SMS", None, None, "Reused",
     {404: "Service request not found", 422: "Reuse not allowed or insufficient balance"}),
    ("get", "/requests", "Cursor pages of the account's requests", s.ListQuerySchema, None, "Page",
     {400: "Bad query or cursor"}),
    ("get", "/request/{id}", "One request with messageCounter and updatedAt", None, None, "Detail",
     {404: "Service request not found"}),
]


def _ref(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


@lru_cache(maxsize=1)
def document() -> dict:
    spec = APISpec(title="PVADeals v3 (mockserver emulation)", version="3", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], servers=[{"url": "/v3/api"}], security=[{"bearerAuth": []}])
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    paths: dict[str, dict] = {}
    for method, path, summary, query, body, success, errors in ROUTES:
        responses = {"200": {"description": "OK", "content": _ref(success)}}
        for status, why in {**errors, **_AUTH}.items():
            responses[str(status)] = {"description": why, "content": _ref("Error")}
        responses["429"] = {"description": "Rate limit exceeded", "content": _ref("RateLimited"),
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
        operation = {"summary": summary, "responses": responses,
                     "parameters": [{"in": "query", "schema": query}] if query else []}
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        paths.setdefault(path, {})[method] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations, parameters=[_ID] if "{id}" in path else None)
    document = spec.to_dict()
    # Every answer carries every field it declares.
    for name, component in document["components"]["schemas"].items():
        if name not in ("PurchaseBody", "PurchaseItem") and "properties" in component:
            component["required"] = sorted(component["properties"])
    return document
