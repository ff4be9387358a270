"""The OpenAPI 3.1 document of the emulated Provynx API, generated from schemas.py.

The route table below is the document's only hand-written part; a test checks it against the
app's real routes and every response against the schema documented for it.
"""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas as s

_AUTH_ERRORS = {401: "Missing or invalid API key", 429: "Rate limit exceeded"}
_PURCHASE_ERRORS = {
    400: "Invalid request body, unknown operator or country, product unavailable, or the Idempotency-Key "
         "was used with another body",
    402: "Insufficient wallet balance (live keys)",
    404: "Pricing not found on that server",
    409: "Purchase already in progress for this Idempotency-Key",
    502: "Temporary service failure",
    503: "SMS numbers are temporarily unavailable",
}
_NUMBER_ID = {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}
_IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
                    "description": "Replays the first answer for a repeat with the same body"}

# (method, path, summary, query schema, body schema, success status, success schema, {error status: why})
ROUTES = [
    ("get", "/balance", "Wallet balance (test keys: the fixed sandbox balance)", None, None, 200, s.Balance, {}),
    ("get", "/us/operators", "US operators on a server", s.ServerQuery, None, 200, s.UsOperators,
     {400: "Invalid query"}),
    ("get", "/us/services", "US services with price and stock", s.UsServicesQuery, None, 200, s.Services,
     {400: "Invalid query or unknown operator"}),
    ("post", "/us/numbers", "Buy a US number", None, s.UsPurchaseBody, 201, s.Number, _PURCHASE_ERRORS),
    ("get", "/us/numbers/{id}", "A US number", None, None, 200, s.Number, {404: "Number not found"}),
    ("get", "/us/numbers/{id}/code", "Poll a US number for its code", None, None, 200, s.Code,
     {404: "Number not found"}),
    ("delete", "/us/numbers/{id}", "Cancel a pending US number (live price refunded)", None, None, 200, s.Number,
     {400: "The number is no longer pending", 404: "Number not found"}),
    ("get", "/global/countries", "Countries on a server", s.ServerQuery, None, 200, s.Countries,
     {400: "Invalid query"}),
    ("get", "/global/operators", "A country's operators on a server", s.GlobalOperatorsQuery, None, 200,
     s.GlobalOperators, {400: "Invalid query or unknown country"}),
    ("get", "/global/services", "A country's services with price and stock", s.GlobalServicesQuery, None, 200,
     s.Services, {400: "Invalid query, unknown country or operator"}),
    ("post", "/global/numbers", "Buy a number in another country", None, s.GlobalPurchaseBody, 201, s.Number,
     _PURCHASE_ERRORS),
    ("get", "/global/numbers/{id}", "A global number", None, None, 200, s.Number, {404: "Number not found"}),
    ("get", "/global/numbers/{id}/code", "Poll a global number for its code", None, None, 200, s.Code,
     {404: "Number not found"}),
    ("delete", "/global/numbers/{id}", "Refused: global numbers cannot be canceled via the API", None, None, None,
     None, {400: "Global numbers cannot be canceled via the API", 404: "Number not found"}),
]


def _json(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _operation(summary, query, body, status, success, errors) -> dict:
    parameters = []
    if query is not None:
        parameters.append({"in": "query", "schema": query})
    responses = {}
    if status is not None:
        responses[str(status)] = {"description": "OK", "content": _json(success)}
    for code, why in {**errors, **_AUTH_ERRORS}.items():
        responses[str(code)] = {"description": why, "content": _json(s.Error)}
        if code == 429:
            responses[str(code)]["headers"] = {"Retry-After": {
                "description": "Seconds until a request is admitted again", "schema": {"type": "integer"}}}
    operation = {"summary": summary, "parameters": parameters, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
        operation["parameters"].append(_IDEMPOTENCY_KEY)
    return operation


@lru_cache(maxsize=1)
def document() -> dict:
    spec = APISpec(
        title="Provynx SMS API (mockserver emulation)", version="1", openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "Shapes marked [assumed] in mockserver's SPEC; errors are {\"error\": \"...\"}."},
        servers=[{"url": "/api/v1/sms"}],
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "description": "nsk_live_... or nsk_test_..."})
    for name, schema in [("Balance", s.Balance), ("Operator", s.Operator), ("UsOperators", s.UsOperators),
                         ("GlobalOperators", s.GlobalOperators), ("Service", s.Service), ("Services", s.Services),
                         ("Country", s.Country), ("Countries", s.Countries), ("Number", s.Number), ("Code", s.Code),
                         ("Error", s.Error), ("UsPurchase", s.UsPurchaseBody), ("GlobalPurchase", s.GlobalPurchaseBody)]:
        spec.components.schema(name, schema=schema)
    paths: dict[str, dict] = {}
    for method, path, *rest in ROUTES:
        paths.setdefault(path, {})[method] = _operation(*rest)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations, parameters=[_NUMBER_ID] if "{id}" in path else None)
    return spec.to_dict()
