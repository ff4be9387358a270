"""How `mockserver verify pvadeals` checks the sandbox against the real PVADeals API: the calls it
makes (spending nothing unless asked), how it gives the sandbox the same kind of requests to list,
and how it turns the real catalog into a fixture file."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from mockserver.providers.contract import Verification
from mockserver.providers.pvadeals import defaults
from mockserver.providers.verifying import dig, pace_for

PAGE = 5                                   # requests per listed page: small, so paging is tried
NO_SUCH_REQUEST = "0" * 24                 # a well-formed id no account has
WRONG_KEY = "API-verify-no-such-key"


def script(s, spend: bool, full_catalog: bool = False) -> None:
    s.call("balance", "GET", "GET /balance")
    catalog = s.call("services", "GET", "GET /services/all")
    listed = s.call("requests", "GET", "GET /requests", query={"first": PAGE, "orderField": "_id", "orderBy": "desc"})
    info = dig(listed.json(), "data", "data", "pageInfo") or {}
    if info.get("hasNextPage") and info.get("endCursor"):
        s.call("requests, next page", "GET", "GET /requests",
               query={"first": PAGE, "orderField": "_id", "orderBy": "desc", "after": info["endCursor"]})
    newest = dig(listed.json(), "data", "data", "edges", 0, "node", "_id")
    if isinstance(newest, str):
        s.call("newest request", "GET", "GET /request/<id>", id=newest)
    s.call("no key", "GET", "GET /balance", key=None, unauthorized=True)
    s.call("wrong key", "GET", "GET /balance", key=WRONG_KEY, unauthorized=True)
    s.call("unknown request", "GET", "GET /request/<id>", id=NO_SUCH_REQUEST)
    s.call("malformed purchase", "POST", "POST /purchase", json_body={"services": "none"})
    s.call("unknown route", "GET", None, path="/verify-no-such-route")
    if spend:
        cheapest = _cheapest(dig(catalog.json(), "data", "services") or [])
        if cheapest is None:
            return
        s.spend(f"one {cheapest['name']} number for {_price(cheapest)} credits, flagged at once (refunded: no SMS "
                "will have come)")
        bought = s.call("purchase", "POST", "POST /purchase", json_body={"services": [{"serviceId": cheapest["_id"]}]})
        request_id = dig(bought.json(), "data", "requests", 0, "_id")
        if isinstance(request_id, str):
            s.call("flag", "POST", "POST /flag/<id>", id=request_id)


def prime(s, real: list) -> None:
    """Buy the sandbox as many requests, of the same kinds, as the real account listed (oldest
    first), one more if the real list went on: both then page and look up the same way."""
    by_name = {exchange.name: exchange for exchange in real}
    kinds = []
    for name in ("requests, next page", "requests"):           # oldest first
        edges = dig(by_name[name].json(), "data", "data", "edges") if name in by_name else None
        kinds += [dig(edge, "node", "numberType") for edge in reversed(edges or [])]
    last = by_name.get("requests, next page") or by_name.get("requests")
    if last is not None and dig(last.json(), "data", "data", "pageInfo", "hasNextPage"):
        kinds.insert(0, "STR")
    services = dig(s.call("prime: services", "GET", "GET /services/all").json(), "data", "services") or []
    cheapest = _cheapest(services)
    if cheapest is None:
        return
    for number_type in kinds:
        if number_type == "LTR":
            s.call("prime: rental", "POST", "POST /purchase-ltr",
                   json_body={"serviceId": cheapest["_id"], "duration": defaults.LTR_DURATIONS[0]})
        else:
            s.call("prime: purchase", "POST", "POST /purchase", json_body={"services": [{"serviceId": cheapest["_id"]}]})


def catalog(real: list) -> dict[str, tuple[object, str | None]]:
    """The real catalog as a services fixture: ids, names, prices by kind, pictures."""
    answer = next((e for e in real if e.name == "services"), None)
    services = dig(answer.json(), "data", "services") if answer is not None else None
    if not isinstance(services, list):
        return {}
    fixture = []
    for service in services:
        entry = {"id": service.get("_id"), "name": service.get("name"), "price": _price(service)}
        rentals = {days: service.get(f"LTR{days}price") for days in defaults.LTR_DURATIONS}
        if any(price is not None for price in rentals.values()):
            entry["ltr_prices"] = {days: price for days, price in rentals.items() if price is not None}
        if isinstance(service.get("picture"), str) and service["picture"].startswith(("http://", "https://")):
            entry["picture"] = service["picture"]
        fixture.append(entry)
    return {"": (fixture, None)}


def _price(service: dict):
    return service.get("STRprice", service.get("price"))


def _cheapest(services: list) -> dict | None:
    priced = [s for s in services if isinstance(s, dict) and isinstance(_price(s), (int, float))
              and isinstance(s.get("_id"), str)]
    return min(priced, key=lambda s: Decimal(str(_price(s))), default=None)


def _sandbox_key(section, key: str) -> str:
    return section.accounts[0].key


VERIFICATION = Verification(
    script=script, prime=prime, catalog=catalog,
    # The API's own words: answers' messages and flags, and the constants it writes.
    value_keys=frozenset({"success", "message", "country", "numberType"}),
    pace_s=pace_for(defaults.RATE_LIMITS[0]),
    sandbox_key=_sandbox_key,
    profiles=defaults.SHAPES,
    with_profile=lambda section, profile: replace(section, shape=profile),
)
