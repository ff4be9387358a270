"""sms-activate routes: one URL (/stubs/handler_api.php, GET or POST) whose ``action`` parameter
picks the call (Route.when), each with its backend call and its answer: a text token, or JSON for
the V2 and list actions. The request pipeline authenticates (``api_key``), rate-limits, applies
faults and reads the parameters; a call runs under the state lock with the caller's account, its
virtual now, the parameters and the dialect its path names (None: the scenario's default)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NoReturn

from mockserver.providers.contract import Route
from mockserver.providers.smsactivate import defaults
from mockserver.providers.smsactivate import schemas as s
from mockserver.providers.smsactivate.backend import CODE, FINISHED, WAIT_CODE, Account, Activation, SmsActivate
from mockserver.providers.smsactivate.errors import BadAction, NoAction
from mockserver.providers.smsactivate.section import SERVICE_COUNTRY, Dialect

# The parameters as schemas.Params reads them: every name it knows, None when not sent.
Query = Mapping[str, str | None]


def _money(amount: Decimal) -> str:
    """An amount with its decimal point: pysmshub reads the first \\d+\\.\\d+."""
    return f"{amount:.2f}"


def _number(amount: Decimal) -> float:
    """Prices as JSON numbers (async_sms_activate calls int() on them)."""
    return float(amount)


# -- account ----------------------------------------------------------------------------------

def get_balance(backend: SmsActivate, account: Account, now: int, query: Query,
                dialect: str | None = None) -> str:
    backend.dialect(dialect)
    return f"ACCESS_BALANCE:{_money(account.balance)}"


# -- catalogue --------------------------------------------------------------------------------

def get_numbers_status(backend: SmsActivate, account: Account, now: int, query: Query,
                       dialect: str | None = None) -> dict[str, int]:
    backend.dialect(dialect)
    country = backend.country(query["country"])
    if country is None:
        return {}
    wanted = [name for name in (query["operator"] or "").split(",") if name and name != "any"]
    if wanted and not set(wanted) & set(country.operators):
        return {}
    return {f"{p.service}_0": p.count for p in backend.offers(country=country.id)}


def get_top_countries(backend: SmsActivate, account: Account, now: int, query: Query,
                      dialect: str | None = None) -> dict[str, dict]:
    backend.dialect(dialect)
    offers = backend.offers(service=query["service"]) if query["service"] else backend.offers()
    ranked = sorted(offers, key=lambda p: (-p.count, p.country, p.service))
    free = (query["freePrice"] or "").lower() in ("true", "1")
    answer = {}
    for index, p in enumerate(ranked):
        entry: dict[str, object] = {"country": p.country, "count": p.count, "price": _number(p.cost),
                 "retail_price": _number(p.retail if p.retail is not None else p.cost * 2)}
        if free:
            entry["freePriceMap"] = {_money(p.cost): p.count}
        answer[str(index)] = entry
    return answer


def get_prices(backend: SmsActivate, account: Account, now: int, query: Query,
               dialect: str | None = None) -> dict:
    spoken = backend.dialect(dialect)
    country = None
    if query["country"]:
        found = backend.country(query["country"])
        if found is None:
            return {}
        country = found.id
    offers = backend.offers(country=country, service=query["service"] or None)
    answer: dict = {}
    for p in offers:
        if spoken.prices == SERVICE_COUNTRY:
            answer.setdefault(p.service, {})[str(p.country)] = _number(p.cost)
        else:
            answer.setdefault(str(p.country), {})[p.service] = {"cost": _number(p.cost), "count": p.count}
    return answer


def get_countries(backend: SmsActivate, account: Account, now: int, query: Query,
                  dialect: str | None = None) -> dict[str, dict]:
    backend.dialect(dialect)
    return {str(c.id): {"id": c.id, "rus": c.rus, "eng": c.eng, "chn": c.chn, "visible": int(c.visible),
                        "retry": int(c.retry), "rent": int(c.rent), "multiService": int(c.multi_service)}
            for c in backend.countries.values()}


def get_services_list(backend: SmsActivate, account: Account, now: int, query: Query,
                      dialect: str | None = None) -> dict[str, list]:
    backend.dialect(dialect)
    return {"services": [{"code": code, "name": service.name} for code, service in backend.services.items()]}


def get_operators(backend: SmsActivate, account: Account, now: int, query: Query,
                  dialect: str | None = None) -> dict[str, dict]:
    backend.dialect(dialect)
    return {"countryOperators": backend.operators(query["country"])}


# -- ordering ---------------------------------------------------------------------------------

def get_number(backend: SmsActivate, account: Account, now: int, query: Query,
               dialect: str | None = None) -> str:
    backend.dialect(dialect)
    activation = backend.buy(account, query, now)
    return f"ACCESS_NUMBER:{activation.id}:{activation.number}"


def get_number_v2(backend: SmsActivate, account: Account, now: int, query: Query,
                  dialect: str | None = None) -> dict:
    spoken = backend.dialect(dialect)
    return number_v2(backend.buy(account, query, now), spoken.currency)


def number_v2(activation: Activation, currency: int) -> dict:
    return {"activationId": str(activation.id), "phoneNumber": activation.number,
            "activationCost": _money(activation.cost), "currency": currency,
            "countryCode": str(activation.country.id), "countryPhoneCode": int(activation.country.phone_code),
            "canGetAnotherSms": activation.behavior.another_sms.allowed,
            "activationTime": s.wire_time(activation.created_ms), "activationEndTime": s.wire_time(activation.end_ms),
            "activationOperator": activation.operator}


# -- activation control -----------------------------------------------------------------------

def set_status(backend: SmsActivate, account: Account, now: int, query: Query,
               dialect: str | None = None) -> str:
    spoken = backend.dialect(dialect)
    return backend.set_status(account, query["id"], query["status"], spoken, now)


def get_status(backend: SmsActivate, account: Account, now: int, query: Query,
               dialect: str | None = None) -> str:
    backend.dialect(dialect)
    return backend.poll(account, query["id"], now).status_token()


def get_status_v2(backend: SmsActivate, account: Account, now: int, query: Query,
                  dialect: str | None = None) -> dict:
    backend.dialect(dialect)
    activation = backend.poll(account, query["id"], now)
    last = activation.last
    shows = last is not None and (activation.status == CODE or activation.status == FINISHED)
    return {"verificationType": defaults.VERIFICATION_TYPE_SMS,
            "sms": {"dateTime": s.wire_time(last.at_ms), "code": last.code, "text": last.text}
            if last is not None and shows else None,
            "call": None}


def get_full_sms(backend: SmsActivate, account: Account, now: int, query: Query,
                 dialect: str | None = None) -> str:
    backend.dialect(dialect)
    activation = backend.activation(account, query["id"])
    if activation.last is None or activation.status not in (CODE, FINISHED):
        return activation.status_token()       # [inferred] no text yet: what getStatus says
    return f"FULL_SMS:{activation.last.text}"


def _page(query: Query) -> tuple[int, int]:
    def number(name: str, default: int, top: int) -> int:
        value = query[name]
        return max(0, min(top, int(value))) if value and value.isdigit() else default
    limit = number("limit", 0, defaults.MAX_PAGE_SIZE) or number("size", defaults.PAGE_SIZE, defaults.MAX_PAGE_SIZE)
    start = number("start", 0, 1 << 31) or number("offset", 0, 1 << 31)
    return start, limit


def _listed(activation: Activation, spoken: Dialect) -> dict:
    codes = [m.code or m.text for m in activation.messages]
    hero = spoken.active_list == "data"
    return {"activationId": str(activation.id), "serviceCode": activation.service.code,
            "phoneNumber": activation.number, "activationCost": _number(activation.cost),
            "activationStatus": _ACTIVATION_STATUS[activation.status],
            "smsCode": (codes[-1] if codes else None) if hero else codes,
            "smsText": activation.last.text if activation.last else None,
            "activationTime": s.wire_time(activation.created_ms), "discount": "0.00", "repeated": "0",
            "countryCode": str(activation.country.id), "countryName": activation.country.eng,
            "canGetAnotherSms": activation.behavior.another_sms.allowed, "currency": spoken.currency}


# [inferred] getActiveActivations' activationStatus: the setStatus code the state answers to
# (4 in the sms.online example: waiting).
_ACTIVATION_STATUS = {WAIT_CODE: "4", CODE: "2", "WAIT_RETRY": "3", FINISHED: "6", "CANCELLED": "8", "EXPIRED": "8"}


def get_active_activations(backend: SmsActivate, account: Account, now: int, query: Query,
                           dialect: str | None = None) -> dict:
    spoken = backend.dialect(dialect)
    start, limit = _page(query)
    active = backend.active(account)[start:start + limit]
    if not active and spoken.active_list != "data":
        return {"status": "error", "error": "NO_ACTIVATIONS"}
    return {"status": "success", spoken.active_list: [_listed(a, spoken) for a in active]}


def get_history(backend: SmsActivate, account: Account, now: int, query: Query,
                dialect: str | None = None) -> dict:
    spoken = backend.dialect(dialect)
    start, limit = _page({**query, "start": query["offset"]})

    def instant(name: str) -> int | None:
        value = query[name]
        return int(value) * 1000 if value and value.isdigit() and len(value) <= 12 else None
    listed = backend.history(account, instant("start"), instant("end"))[start:start + limit]
    return {"status": "success", "data": [_listed(a, spoken) for a in listed]}


# -- HeroSMS's own actions ---------------------------------------------------------------------

def _hero(backend: SmsActivate, dialect: str | None, action: str) -> Dialect:
    spoken = backend.dialect(dialect)
    if action not in spoken.actions:
        raise BadAction()
    return spoken


def finish_activation(backend: SmsActivate, account: Account, now: int, query: Query,
                      dialect: str | None = None) -> None:
    _hero(backend, dialect, "finishActivation")
    backend.finish(backend.activation(account, query["id"]), now)


def cancel_activation(backend: SmsActivate, account: Account, now: int, query: Query,
                      dialect: str | None = None) -> None:
    spoken = _hero(backend, dialect, "cancelActivation")
    backend.cancel(backend.activation(account, query["id"]), spoken, now)


def get_all_sms(backend: SmsActivate, account: Account, now: int, query: Query,
                dialect: str | None = None) -> dict[str, list]:
    _hero(backend, dialect, "getAllSms")
    activation = backend.activation(account, query["id"])
    return {"data": [{"id": index + 1, "phoneFrom": activation.service.name, "code": m.code, "text": m.text,
                      "service": activation.service.code, "date": s.wire_time(m.at_ms), "type": "sms"}
                     for index, m in enumerate(activation.messages)]}


def unknown_action(backend: SmsActivate, account: Account, now: int, query: Query,
                   dialect: str | None = None) -> NoReturn:
    backend.dialect(dialect)
    raise BadAction() if query["action"] else NoAction()


def _waiting(token: object) -> bool:
    return not str(token).startswith("STATUS_WAIT")


def _v2_done(answer: dict) -> bool:
    return answer["sms"] is not None


# action name -> (call, answer schema or None, extra Route fields)
ACTIONS: dict[str, tuple] = {
    "getBalance": (get_balance, None, {"summary": "ACCESS_BALANCE:<balance>"}),
    "getBalanceAndCashBack": (get_balance, None, {"summary": "ACCESS_BALANCE:<balance plus cashback>"}),
    "getNumbersStatus": (get_numbers_status, None, {"summary": "Numbers per service in a country"}),
    "getTopCountriesByService": (get_top_countries, None, {"summary": "Countries by stock for a service"}),
    "getPrices": (get_prices, None, {"summary": "Prices and counts by country and service"}),
    "getCountries": (get_countries, None, {"summary": "Countries by id"}),
    "getServicesList": (get_services_list, s.ServicesList, {"summary": "Service codes and names"}),
    "getOperators": (get_operators, s.Operators, {"summary": "Operators by country"}),
    "getNumber": (get_number, None, {"summary": "ACCESS_NUMBER:<id>:<phone>", "kind": "purchase"}),
    "getNumberV2": (get_number_v2, s.NumberV2, {"summary": "A number, as JSON", "kind": "purchase"}),
    "setStatus": (set_status, None, {"summary": "1 ready, 3 another SMS, 6 finish, 8 cancel"}),
    "getStatus": (get_status, None, {"summary": "STATUS_WAIT_CODE, STATUS_OK:<code>...", "kind": "poll",
                                     "subject": "id", "done": _waiting}),
    "getStatusV2": (get_status_v2, s.StatusV2, {"summary": "The status as JSON", "kind": "poll", "subject": "id",
                                                "done": _v2_done}),
    "getFullSms": (get_full_sms, None, {"summary": "FULL_SMS:<text>"}),
    "getActiveActivations": (get_active_activations, None, {"summary": "Activations still running"}),
    "getHistory": (get_history, None, {"summary": "Every activation, newest first"}),
    "finishActivation": (finish_activation, None, {"summary": "HeroSMS: finish (204)", "status": 204}),
    "cancelActivation": (cancel_activation, None, {"summary": "HeroSMS: cancel (204)", "status": 204,
                                                   "kind": "release", "subject": "id"}),
    "getAllSms": (get_all_sms, None, {"summary": "HeroSMS: every SMS of an activation"}),
}


def _routes() -> tuple[Route, ...]:
    routes = []
    for method in ("GET", "POST"):
        for action, (call, answer, extra) in ACTIONS.items():
            routes.append(Route(method, defaults.ROUTE_PATH, call, answer, query=s.Params, when={"action": action},
                                endpoint=f"{action}_{method.lower()}", **extra))
        routes.append(Route(method, defaults.ROUTE_PATH, unknown_action, None, status=None, query=s.Params,
                            endpoint=f"unknown_action_{method.lower()}", summary="An unknown or missing action"))
    return tuple(routes)


ROUTES = _routes()
