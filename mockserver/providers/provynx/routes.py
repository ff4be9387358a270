"""Provynx routes: each one registration, its backend call and its answer's schema. The request
pipeline (mockserver/pipeline.py) authenticates, rate-limits, applies faults and reads the input;
a call runs under the state lock with the caller and its virtual now."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from mockserver.providers.contract import Route
from mockserver.providers.provynx import schemas as s
from mockserver.providers.provynx.backend import GLOBAL, PENDING, US, Number
from mockserver.providers.provynx.idempotency import HEADER, IDEMPOTENCY_KEY


def openapi(section):
    from mockserver.providers.openapi import (
        provider_document,  # apispec is imported only by who asks for the document
    )
    from mockserver.providers.provynx import PROVIDER
    return provider_document(PROVIDER, section)


def balance(backend, caller, now):
    return {"balance": float(backend.balance(caller)), "sandbox": caller.sandbox}


def us_operators(backend, caller, now, query):
    return {"server": query["server"], "operators": backend.country(query["server"], US, None).operators}


def us_services(backend, caller, now, query):
    return backend.catalog(query["server"], US, None, query["operator"])


def global_countries(backend, caller, now, query):
    return backend.server(query["server"])


def global_operators(backend, caller, now, query):
    country = backend.country(query["server"], GLOBAL, query["country"])
    return {"server": query["server"], "country": country.code, "operators": country.operators}


def global_services(backend, caller, now, query):
    return backend.catalog(query["server"], GLOBAL, query["country"], query["operator"])


def us_buy(backend, caller, now, body):
    return _buy(backend, caller, now, US, body)


def global_buy(backend, caller, now, body):
    return _buy(backend, caller, now, GLOBAL, body)


def _buy(backend, caller, now, region: str, body: dict):
    return backend.buy(caller, region=region, service_id=body["service"], operator=body["operator"],
                       server_id=body["server"], country_code=body.get("country"), now_ms=now)


def us_number(backend, caller, now, id: str):
    return backend.number(caller, US, id)


def global_number(backend, caller, now, id: str):
    return backend.number(caller, GLOBAL, id)


def us_code(backend, caller, now, id: str):
    return backend.poll_code(caller, US, id, now)


def global_code(backend, caller, now, id: str):
    return backend.poll_code(caller, GLOBAL, id, now)


def us_cancel(backend, caller, now, id: str):
    return backend.cancel(caller, US, id, now)


def global_cancel(backend, caller, now, id: str):
    return backend.cancel(caller, GLOBAL, id, now)      # refused: global numbers stay


_PURCHASE_ERRORS = {
    400: "Invalid request body, unknown operator or country, product unavailable, or the Idempotency-Key "
         "was used with another body",
    402: "Insufficient wallet balance (live keys)",
    404: "Pricing not found on that server",
    409: "Purchase already in progress for this Idempotency-Key",
    502: "Temporary service failure",
    503: "SMS numbers are temporarily unavailable",
}
_NOT_FOUND = {404: "Number not found"}


class _Kind(TypedDict, total=False):
    """What the client report makes of a route (Route's kind, done and retry_header)."""
    kind: str
    done: Callable[[Number], bool]
    retry_header: str


_POLL: _Kind = {"kind": "poll", "done": lambda number: number.status != PENDING}    # a code came, or it ended
_PURCHASE: _Kind = {"kind": "purchase", "retry_header": HEADER}

ROUTES = (
    Route("GET", "/openapi.json", openapi, public=True, summary="This document"),
    Route("GET", "/balance", balance, s.Balance, summary="Wallet balance (test keys: the fixed sandbox balance)"),
    Route("GET", "/us/operators", us_operators, s.UsOperators, query=s.ServerQuery, summary="US operators on a server",
          errors={400: "Invalid query"}),
    Route("GET", "/us/services", us_services, s.Services, query=s.UsServicesQuery,
          summary="US services with price and stock", errors={400: "Invalid query or unknown operator"}),
    Route("POST", "/us/numbers", us_buy, s.Number, status=201, body=s.UsPurchase, summary="Buy a US number",
          errors=_PURCHASE_ERRORS, guards=(IDEMPOTENCY_KEY,), **_PURCHASE),
    Route("GET", "/us/numbers/<id>", us_number, s.Number, summary="A US number", errors=_NOT_FOUND, **_POLL),
    Route("GET", "/us/numbers/<id>/code", us_code, s.Code, summary="Poll a US number for its code",
          errors=_NOT_FOUND, **_POLL),
    Route("DELETE", "/us/numbers/<id>", us_cancel, s.Number,
          summary="Cancel a pending US number (live price refunded)", kind="release",
          errors={400: "The number is no longer pending", **_NOT_FOUND}),
    Route("GET", "/global/countries", global_countries, s.Countries, query=s.ServerQuery,
          summary="Countries on a server", errors={400: "Invalid query"}),
    Route("GET", "/global/operators", global_operators, s.GlobalOperators, query=s.GlobalOperatorsQuery,
          summary="A country's operators on a server", errors={400: "Invalid query or unknown country"}),
    Route("GET", "/global/services", global_services, s.Services, query=s.GlobalServicesQuery,
          summary="A country's services with price and stock", errors={400: "Invalid query, unknown country or operator"}),
    Route("POST", "/global/numbers", global_buy, s.Number, status=201, body=s.GlobalPurchase,
          summary="Buy a number in another country", errors=_PURCHASE_ERRORS, guards=(IDEMPOTENCY_KEY,), **_PURCHASE),
    Route("GET", "/global/numbers/<id>", global_number, s.Number, summary="A global number", errors=_NOT_FOUND, **_POLL),
    Route("GET", "/global/numbers/<id>/code", global_code, s.Code, summary="Poll a global number for its code",
          errors=_NOT_FOUND, **_POLL),
    Route("DELETE", "/global/numbers/<id>", global_cancel, None, status=None,
          summary="Refused: global numbers cannot be canceled via the API", kind="release",
          errors={400: "Global numbers cannot be canceled via the API", **_NOT_FOUND}),
)
