"""How `mockserver verify smsactivate` checks the sandbox against a real provider of the family
(base URL: the provider's host and /stubs, e.g. https://api.sms-activate.ae/stubs): the calls it
makes (spending nothing unless asked), and how it turns the real catalogue into fixture files.
The key travels as ``api_key``, as the protocol sends it, never as a header."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from mockserver.providers.contract import Verification
from mockserver.providers.smsactivate import defaults
from mockserver.providers.verifying import pace_for

ROUTE = "GET " + defaults.ROUTE_PATH
WRONG_KEY = "verify-no-such-key"
NO_SUCH_ACTIVATION = "1"                  # a well-formed id no account has
COUNTRY = "0"


def _ask(s, name: str, action: str, key=None, unauthorized: bool = False, **params):
    query = {"action": action, **params}
    if key is not False:
        query = {"api_key": s.key if key is None else key, **query}
    return s.call(name, "GET", ROUTE, query=query, key=None, unauthorized=unauthorized)


def script(s, spend: bool, full_catalog: bool = False) -> None:
    _ask(s, "balance", "getBalance")
    _ask(s, "countries", "getCountries")
    _ask(s, "services", "getServicesList")
    prices = _ask(s, "prices", "getPrices") if full_catalog else _ask(s, "prices", "getPrices", country=COUNTRY)
    _ask(s, "operators", "getOperators", country=COUNTRY)
    _ask(s, "numbers status", "getNumbersStatus", country=COUNTRY)
    _ask(s, "active activations", "getActiveActivations")
    _ask(s, "no key", "getBalance", key=False, unauthorized=True)
    _ask(s, "wrong key", "getBalance", key=WRONG_KEY, unauthorized=True)
    _ask(s, "unknown activation", "getStatus", id=NO_SUCH_ACTIVATION)
    _ask(s, "unknown action", "verifyNoSuchAction")
    _ask(s, "no action", "")
    if spend:
        cheapest = _cheapest(prices.json())
        if cheapest is None:
            return
        service, cost = cheapest
        s.spend(f"one {service} number in country {COUNTRY} for {cost}; a cancel is tried at once (refused in "
                "the first 2 minutes), and the activation then runs out in 20 minutes with no SMS (refunded)")
        bought = _ask(s, "purchase", "getNumber", service=service, country=COUNTRY)
        parts = bought.answer.body.decode("utf-8", "replace").split(":")
        if len(parts) == 3 and parts[0] == "ACCESS_NUMBER":
            _ask(s, "status", "getStatus", id=parts[1])
            _ask(s, "early cancel", "setStatus", id=parts[1], status="8")


def _cheapest(prices) -> tuple[str, Decimal] | None:
    """The cheapest service of the country with numbers, from getPrices' country -> service map."""
    offers = prices.get(COUNTRY) if isinstance(prices, dict) else None
    best = None
    for service, offer in (offers or {}).items():
        if not isinstance(offer, dict) or not offer.get("count"):
            continue
        try:
            cost = Decimal(str(offer.get("cost")))
        except InvalidOperation:
            continue
        if best is None or cost < best[1]:
            best = (service, cost)
    return best


def catalog(real: list) -> dict[str, tuple[object, str | None]]:
    """The real catalogue as the three fixtures a scenario names: services, countries, prices."""
    answers = {exchange.name: exchange.json() for exchange in real}
    saved: dict[str, tuple[object, str | None]] = {}
    services = (answers.get("services") or {}).get("services") if isinstance(answers.get("services"), dict) else None
    if isinstance(services, list):
        saved["-services"] = ([{"code": s.get("code"), "name": s.get("name")} for s in services
                               if isinstance(s, dict)], "Each service's SMS wording is the default one: edit it.")
    countries = answers.get("countries")
    if isinstance(countries, dict):
        saved["-countries"] = ([{"id": c.get("id"), "eng": c.get("eng"), "rus": c.get("rus"), "chn": c.get("chn")}
                                for c in countries.values() if isinstance(c, dict)],
                               "Add each country's phone_code and number shape before a scenario can use it.")
    prices = answers.get("prices")
    if isinstance(prices, dict):
        saved["-prices"] = ([{"country": int(country), "service": service, "cost": offer.get("cost"),
                              "count": offer.get("count")}
                             for country, offers in prices.items() if str(country).isdigit() and isinstance(offers, dict)
                             for service, offer in offers.items() if isinstance(offer, dict)], None)
    return saved


def _sandbox_key(section, key: str) -> str:
    return section.accounts[0].key


VERIFICATION = Verification(
    script=script, catalog=catalog,
    # The protocol's own words: JSON answers' status and error titles.
    value_keys=frozenset({"status", "title", "error"}),
    pace_s=pace_for(defaults.RATE_LIMITS[0]),
    sandbox_key=_sandbox_key,
)
