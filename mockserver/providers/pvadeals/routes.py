"""PVADeals routes: each one registration, its backend call and its answer's schema. The request
pipeline (mockserver/pipeline.py) authenticates, rate-limits, applies faults and reads the input;
a call runs under the state lock with the caller's account and virtual now."""
from __future__ import annotations

from ..contract import Route
from . import schemas as s
from .errors import AfterAndBefore


def balance(backend, account, now):
    return account


def services(backend, account, now):
    return {"services": list(backend.services.values())}


def purchase(backend, account, now, body):
    return {"requests": backend.purchase(account, [item["serviceId"] for item in body["services"]], now)}


def flag(backend, account, now, id: str):
    return backend.flag(account, id, now)


def reuse(backend, account, now, id: str):
    return backend.reuse(account, id, now)


def list_requests(backend, account, now, query):
    if query["after"] is not None and query["before"] is not None:
        raise AfterAndBefore()           # before decoding either: the answer says what is wrong first
    cursors = {name: None if query[name] is None else s.decode_cursor(query[name]) for name in ("after", "before")}
    return backend.list_requests(account, first=query["first"], **cursors, order_field=query["orderField"],
                                 descending=query["orderBy"] == "desc")


def detail(backend, account, now, id: str):
    return backend.poll(account, id, now)


_NOT_FOUND = {404: "Service request not found"}

ROUTES = (
    Route("GET", "/balance", balance, s.Balance, summary="Account balance"),
    Route("GET", "/services/all", services, s.Services, summary="The service catalog"),
    Route("POST", "/purchase", purchase, s.Purchased, body=s.PurchaseBody, summary="Buy numbers, all or nothing",
          errors={400: "Malformed body", 404: "Service not found", 422: "Insufficient balance"}),
    Route("POST", "/flag/<id>", flag, s.Flagged, summary="Flag (cancel) a request before its SMS",
          errors={**_NOT_FOUND, 422: "Flag not allowed"}),
    Route("POST", "/reuse/<id>", reuse, s.Reused, summary="Reuse a number after its SMS",
          errors={**_NOT_FOUND, 422: "Reuse not allowed or insufficient balance"}),
    Route("GET", "/requests", list_requests, s.Page, query=s.ListQuery,
          summary="Cursor pages of the account's requests", errors={400: "Bad query or cursor"}),
    Route("GET", "/request/<id>", detail, s.Detail, summary="One request with messageCounter and updatedAt",
          errors=_NOT_FOUND),
)
