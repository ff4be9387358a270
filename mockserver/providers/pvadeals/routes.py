"""PVADeals routes: each one registration, its backend call and its answer's schema. The request
pipeline (mockserver/pipeline.py) authenticates, rate-limits, applies faults and reads the input;
a call runs under the state lock with the caller's account and virtual now."""
from __future__ import annotations

from mockserver.engine import pictures
from mockserver.providers.contract import Route
from mockserver.providers.pvadeals import defaults
from mockserver.providers.pvadeals import schemas as s
from mockserver.providers.pvadeals.backend import RESERVED
from mockserver.providers.pvadeals.errors import AfterAndBefore


def balance(backend, account, now):
    return account


def services(backend, account, now, base_url: str):
    return {"services": [_listing(service, base_url) for service in backend.services.values()]}


def _listing(service, base: str) -> dict:
    """A service as the catalog lists it: prices by kind, and a picture that loads offline."""
    # price and STRprice are one value under two names (marshmallow wants a key for each).
    return {"id": service.id, "name": service.name, "price": service.price, "str_price": service.price,
            "picture": service.picture or pictures.url(base, service.id),
            **{f"ltr{days}": service.ltr_price(days) for days in defaults.LTR_DURATIONS}}


def purchase(backend, account, now, body):
    items = [(item["serviceId"], item["areaCode"]) for item in body["services"]]
    return {"requests": backend.purchase(account, items, now)}


def purchase_ltr(backend, account, now, body):
    return backend.purchase_ltr(account, body["serviceId"], body["duration"], body["areaCode"], now)


def renew_ltr(backend, account, now, id: str):
    return backend.toggle_auto_renew(account, id, now)


def flag(backend, account, now, id: str):
    return backend.flag(account, id, now)


def reuse(backend, account, now, id: str):
    return backend.reuse(account, id, now)


def list_requests(backend, account, now, query):
    if query["after"] is not None and query["before"] is not None:
        raise AfterAndBefore()           # before decoding either: the answer says what is wrong first
    cursors = {name: None if query[name] is None else s.decode_cursor(query[name]) for name in ("after", "before")}
    return backend.list_requests(account, first=query["first"], last=query["last"], **cursors,
                                 order_field=query["orderField"], descending=query["orderBy"] == "desc")


def detail(backend, account, now, id: str):
    return backend.poll(account, id, now)


_NOT_FOUND = {404: "Service request not found"}


def _finished(request) -> bool:
    """A polled request that will not change by waiting: its SMS came, or it ended."""
    return request.status != RESERVED

ROUTES = (
    Route("GET", "/balance", balance, s.Balance, summary="Account balance"),
    Route("GET", "/services/all", services, lambda section: s.SERVICES[section.shape], needs_base_url=True,
          summary="The service catalog: prices by kind (the scenario's shape profile decides the fields)"),
    Route("POST", "/purchase", purchase, s.Purchased, body=s.PurchaseBody, summary="Buy numbers, all or nothing",
          kind="purchase",
          errors={400: "Malformed body", 404: "Service not found", 422: "Insufficient balance or area code not available"}),
    Route("POST", "/purchase-ltr", purchase_ltr, s.RentalPurchased, body=s.LtrPurchaseBody, kind="purchase",
          summary="Rent a number for 3, 7, 14 or 30 days, or the 28-day ALL_SERVICES number",
          errors={400: "Malformed body or duration", 404: "Service not found",
                  422: "Insufficient balance, area code not available, or no rental for this service"}),
    Route("POST", "/renew-ltr/<id>", renew_ltr, s.AutoRenew, summary="Turn a rental's auto-renew on or off",
          errors={**_NOT_FOUND, 422: "Not a rental, or the rental ended"}),
    Route("POST", "/flag/<id>", flag, s.Flagged, summary="Flag (cancel) a request before its SMS",
          kind="release",
          errors={**_NOT_FOUND, 422: "Flag not allowed"}),
    Route("POST", "/reuse/<id>", reuse, lambda section: s.REUSED[section.shape], summary="Reuse a number after its SMS",
          kind="purchase",
          errors={**_NOT_FOUND, 422: "Reuse not allowed or insufficient balance"}),
    Route("GET", "/requests", list_requests, s.Page, query=s.ListQuery,
          summary="Cursor pages of the account's requests, short-term and rentals", errors={400: "Bad query or cursor"}),
    Route("GET", "/request/<id>", detail, s.Detail, summary="One request with messageCounter and updatedAt",
          errors=_NOT_FOUND, kind="poll", done=_finished),
)
