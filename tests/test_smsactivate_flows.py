"""Every flow of the sms-activate protocol, in each dialect, against a real server, through
clients written as the published ones are (tests/smsactivate_clients.py): balance, catalogue,
numbers (V1 and V2), ready, the code by polling and by webhook, another SMS, finish, cancel too
early, cancel, expiry with refund, and the refusals (bad key, unknown activation, bad status, no
numbers, no balance). The clock is frozen and moved by the control API."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from smsactivate_clients import (
    ActivationNotFound,
    Authentication,
    BadRequest,
    Client,
    Conflict,
    InsufficientFunds,
    NoNumbersAvailable,
    ProtocolError,
)

from harness import START, MockServer

KEY, POOR, OTHER = "SA-test-key", "SA-test-poor", "SA-test-other"
SCENARIO = {
    "name": "smsactivate-flows",
    "seed": 7,
    "clock": {"start": START, "frozen": True},
    "smsactivate": {
        "accounts": [{"key": KEY, "balance": 100}, {"key": POOR, "balance": 0.05},
                     {"key": OTHER, "balance": 10}],
        "behaviors": [{"match": {"service": "ot"}, "sms": []},          # never: the activation expires
                      {"match": {}, "sms": [{"after": "3s"}]}],
    },
}
TG_USA = 4.71            # fixtures/smsactivate/prices.yaml: Telegram in the USA (187)
OT_RUSSIA = 0.52         # any other service in Russia (0), the default country


@dataclass(frozen=True)
class Dialect:
    """What a dialect's clients see, written out here rather than read from the server's tables."""
    name: str
    path: str                                  # the prefix before /stubs/handler_api.php
    hero: bool = False
    http_statuses: bool = False
    cancel: int = 8
    early_cancel: str = "2m"
    statuses: tuple[tuple[str, int], ...] = ()          # token -> HTTP status (others: 200)
    renamed: tuple[tuple[str, str], ...] = ()

    def token(self, token: str) -> str:
        return dict(self.renamed).get(token, token)

    def status(self, token: str) -> int:
        return dict(self.statuses).get(self.token(token), 200)


PRIVATE_STATUSES = (("BAD_KEY", 401), ("NO_ACTIVATION", 404), ("BAD_STATUS", 400), ("EARLY_CANCEL_DENIED", 403),
                    ("BAD_ACTION", 400))
DIALECTS = [
    Dialect("default", ""),
    Dialect("vanilla", "/vanilla"),
    Dialect("herosms", "/herosms", hero=True, statuses=(
        ("BAD_KEY", 401), ("NOT_FOUND", 404), ("BAD_STATUS", 400), ("EARLY_CANCEL_DENIED", 409), ("NO_BALANCE", 402),
        ("BAD_ACTION", 422), ("BAD_SERVICE", 400)), renamed=(("NO_ACTIVATION", "NOT_FOUND"),)),
    Dialect("smshub", "/smshub", renamed=(("BAD_SERVICE", "WRONG_SERVICE"),)),
    Dialect("grizzlysms", "/grizzlysms", cancel=-1),
    Dialect("privatesms", "/privatesms", http_statuses=True, early_cancel="1m", statuses=PRIVATE_STATUSES),
    Dialect("smsonline", "/smsonline"),
]


@pytest.fixture(scope="module")
def server():
    served = MockServer(SCENARIO)
    yield served
    served.close()


@pytest.fixture
def sa(server):
    assert server.control("POST", "/reset").status_code == 200
    return server


@pytest.fixture(params=DIALECTS, ids=lambda d: d.name)
def dialect(request) -> Dialect:
    return request.param


def client(server, dialect: Dialect, key: str = KEY, **options) -> Client:
    return Client(server.url + dialect.path, key, hero=dialect.hero, http_statuses=dialect.http_statuses, **options)


def refused(dialect: Dialect, call, token: str) -> None:
    """The call is refused with ``token`` as the dialect answers it: a 200 text token (vanilla),
    a 4xx {"title","details"} (HeroSMS), or a 4xx text token (privatesms.vip)."""
    expected_status = dialect.status(token)
    with pytest.raises(ProtocolError) as raised:
        call()
    assert raised.value.token == dialect.token(token)
    assert raised.value.status == expected_status
    if dialect.hero and expected_status >= 400:          # the herosms package's exception for the status
        assert type(raised.value) is HERO_EXCEPTIONS[expected_status]


HERO_EXCEPTIONS = {400: BadRequest, 422: BadRequest, 401: Authentication, 402: InsufficientFunds,
                   404: ActivationNotFound, 409: Conflict}


def token(text: str):
    """A text answer where the client expects none but an error: the token, raised."""
    raise ProtocolError(text)


# -- account and catalogue ------------------------------------------------------------------------

def test_balance_has_a_decimal_point(sa, dialect):
    assert client(sa, dialect).balance() == 100.00
    response = client(sa, dialect).raw("getBalance")
    assert (response.status_code, response.text) == (200, "ACCESS_BALANCE:100.00")
    assert client(sa, dialect, POOR).balance() == 0.05


def test_catalogue(sa, dialect):
    api = client(sa, dialect)
    countries = api.json("getCountries")
    assert countries["187"] == {"id": 187, "rus": "США", "eng": "USA", "chn": "美国", "visible": 1, "retry": 1,
                                "rent": 0, "multiService": 1}
    assert countries["0"]["eng"] == "Russia"
    services = api.json("getServicesList")
    assert services["status"] == "success"
    assert {"code": "tg", "name": "Telegram"} in services["services"]
    assert api.json("getOperators", country=2) == {"status": "success", "countryOperators": {
        "2": ["tele2", "beeline", "activ", "altel"]}}
    prices = api.json("getPrices", country=187, service="tg")
    if dialect.name == "privatesms":        # service -> country -> price
        assert prices == {"tg": {"187": TG_USA}}
    else:
        assert prices == {"187": {"tg": {"cost": TG_USA, "count": 3339}}}
    status = api.json("getNumbersStatus", country=187)
    assert status["tg_0"] == 3339 and all(key.endswith("_0") for key in status)
    top = api.json("getTopCountriesByService", service="tg", freePrice="true")
    counts = [entry["count"] for entry in top.values()]
    assert counts == sorted(counts, reverse=True) and len(counts) == 9          # most numbers first
    assert (top["0"]["country"], top["0"]["count"]) == (2, 8811)
    assert all(isinstance(entry["price"], float) for entry in top.values())
    assert top["0"]["freePriceMap"] == {f"{top['0']['price']:.2f}": top["0"]["count"]}


# -- ordering and the lifecycle ---------------------------------------------------------------------

def test_number_ready_code_by_polling_another_sms_and_finish(sa, dialect):
    api = client(sa, dialect)
    activation, phone = api.number("tg", 187)
    assert phone.startswith("1") and len(phone) == 11
    assert api.balance() == pytest.approx(100 - TG_USA)
    assert api.status(activation) == ("WAIT", None)
    if dialect.hero:             # HeroSMS has no setStatus 1: the number is ready at once
        refused(dialect, lambda: api.set_status(activation, 1), "BAD_STATUS")
    else:
        assert api.set_status(activation, 1) == "ACCESS_READY"
    sa.advance("2s")
    assert api.status(activation) == ("WAIT", None)
    sa.advance("1s")
    state, code = api.status(activation)
    assert state == "OK" and code.isdigit() and len(code) == 5             # Telegram's codes
    full = api.text("getFullSms", id=activation)
    assert full == f"FULL_SMS:Telegram code: {code}\n\nYou can also tap on this link to log in:\nhttps://t.me/login/{code}"
    assert api.set_status(activation, 3) == "ACCESS_RETRY_GET"
    assert api.set_status(activation, 3) == "ACCESS_RETRY_GET"   # aiosmsactivate sends it straight after a code
    assert api.status(activation) == ("RETRY", code)
    sa.advance("3s")
    state, second = api.status(activation)
    assert state == "OK" and second != code
    if dialect.hero:
        api.finish(activation)
    else:
        assert api.set_status(activation, 6) == "ACCESS_ACTIVATION"
    assert api.status(activation) == ("OK", second)
    refused(dialect, lambda: api.set_status(activation, 6), "BAD_STATUS")
    assert api.balance() == pytest.approx(100 - TG_USA)        # another SMS is free; no refund after a code


def test_number_v2_and_status_v2(sa, dialect):
    api = client(sa, dialect)
    number = api.number_v2("wa")
    assert number.countryCode == "0" and number.countryPhoneCode == 7 and number.phoneNumber.startswith("79")
    assert number.currency == (840 if dialect.hero else 643)
    assert (number.activationEndTime - number.activationTime).total_seconds() == 20 * 60
    assert number.activationTime.isoformat() == "2026-01-28T22:42:26"
    assert number.activationOperator == "megafon" and number.canGetAnotherSms is True
    waiting = api.status_v2(number.activationId)
    assert waiting.sms is None and waiting.call is None and waiting.verificationType == 0
    sa.advance("3s")
    got = api.status_v2(number.activationId)
    assert got.sms is not None and got.sms.code is not None and got.sms.code in got.sms.text
    assert got.sms.dateTime == "2026-01-28 22:42:29"
    assert api.status(number.activationId) == ("OK", got.sms.code)


def test_cancel_too_early_then_cancel_refunds(sa, dialect):
    api = client(sa, dialect)
    activation, _ = api.number("ot")
    assert api.balance() == pytest.approx(100 - OT_RUSSIA)
    cancel = (lambda: api.cancel(activation)) if dialect.hero else (lambda: api.set_status(activation, dialect.cancel))
    refused(dialect, cancel, "EARLY_CANCEL_DENIED")
    refused(dialect, cancel, "EARLY_CANCEL_DENIED")
    sa.advance(dialect.early_cancel)
    if dialect.hero:
        api.cancel(activation)
    else:
        assert api.set_status(activation, dialect.cancel) == "ACCESS_CANCEL"
    assert api.balance() == 100.00
    assert api.status(activation) == ("CANCEL", None)
    refused(dialect, cancel, "BAD_STATUS")                 # cancelled once: no second refund
    assert api.balance() == 100.00


def test_cancel_code_of_another_dialect_is_a_bad_status(sa):
    vanilla = client(sa, DIALECTS[0])
    activation, _ = vanilla.number("ot")
    sa.advance("2m")
    refused(DIALECTS[0], lambda: vanilla.set_status(activation, -1), "BAD_STATUS")
    assert vanilla.set_status(activation, 8) == "ACCESS_CANCEL"


def test_expiry_refunds(sa, dialect):
    api = client(sa, dialect)
    activation, _ = api.number("ot")
    sa.advance("19m59s")
    assert api.status(activation) == ("WAIT", None)
    assert api.balance() == pytest.approx(100 - OT_RUSSIA)
    sa.advance("1s")
    assert api.status(activation) == ("CANCEL", None)
    assert api.balance() == 100.00
    refused(dialect, lambda: api.set_status(activation, 6), "BAD_STATUS")


def test_service_lifetimes_differ(sa):
    api = client(sa, DIALECTS[0])
    number = api.number_v2("ig")
    assert (number.activationEndTime - number.activationTime).total_seconds() == 60 * 60


def test_active_activations_and_history(sa, dialect):
    api = client(sa, dialect)
    if dialect.hero:
        assert api.json("getActiveActivations") == {"status": "success", "data": []}
    else:
        with pytest.raises(ProtocolError, match="NO_ACTIVATIONS"):
            api.json("getActiveActivations")
    first, phone = api.number("tg", 187)
    second, _ = api.number("ot")
    sa.advance("3s")
    listed = api.json("getActiveActivations")
    items = listed["data" if dialect.hero else "activeActivations"]
    assert [item["activationId"] for item in items] == [str(first), str(second)]
    assert items[0]["phoneNumber"] == phone and items[0]["countryCode"] == "187"
    code = api.status(first)[1]
    assert items[0]["smsCode"] == (code if dialect.hero else [code])
    assert items[1]["smsCode"] == (None if dialect.hero else [])
    assert [item["activationId"] for item in api.json("getHistory")["data"]] == [str(second), str(first)]


# -- refusals -------------------------------------------------------------------------------------------

def test_bad_key(sa, dialect):
    api = client(sa, dialect, "SA-nobody")
    refused(dialect, api.balance, "BAD_KEY")
    refused(dialect, lambda: api.number("tg"), "BAD_KEY")


def test_unknown_activation(sa, dialect):
    api = client(sa, dialect)
    refused(dialect, lambda: api.status(123), "NO_ACTIVATION")
    refused(dialect, lambda: api.set_status(123, 6), "NO_ACTIVATION")
    refused(dialect, lambda: api.status("not-a-number"), "NO_ACTIVATION")
    theirs, _ = client(sa, dialect, OTHER).number("ot")
    refused(dialect, lambda: api.status(theirs), "NO_ACTIVATION")            # another account's


def test_bad_status(sa, dialect):
    api = client(sa, dialect)
    activation, _ = api.number("tg", 187)
    refused(dialect, lambda: api.set_status(activation, 6), "BAD_STATUS")     # finish before any code
    refused(dialect, lambda: api.set_status(activation, 3), "BAD_STATUS")     # another SMS before the first
    refused(dialect, lambda: api.set_status(activation, 42), "BAD_STATUS")
    refused(dialect, lambda: api.set_status(activation, "x"), "BAD_STATUS")


def test_no_numbers(sa, dialect):
    api = client(sa, dialect)
    expected = NoNumbersAvailable if dialect.hero else ProtocolError
    with pytest.raises(expected) as raised:
        api.number("wb", 196)                          # Singapore's WeChat: a count of 0
    assert (raised.value.token, raised.value.status) == ("NO_NUMBERS", 200)
    with pytest.raises(expected):
        api.number_v2("tg", 9999)                      # no such country
    assert api.balance() == 100.00


def test_no_balance(sa, dialect):
    api = client(sa, dialect, POOR)
    refused(dialect, lambda: api.number("tg", 187), "NO_BALANCE")
    refused(dialect, lambda: api.number_v2("tg", 187), "NO_BALANCE")
    assert api.balance() == 0.05


def test_bad_service_and_actions(sa, dialect):
    api = client(sa, dialect)
    refused(dialect, lambda: api.number("nosuch"), "BAD_SERVICE")
    refused(dialect, lambda: token(api.text("noSuchAction")), "BAD_ACTION")
    if not dialect.hero:
        refused(dialect, lambda: token(api.text("finishActivation", id=1)), "BAD_ACTION")   # HeroSMS's alone


def test_max_price_and_phone_exceptions(sa):
    api = client(sa, DIALECTS[0])
    with pytest.raises(ProtocolError) as raised:
        api.number("tg", 187, maxPrice="1.5")
    assert raised.value.token == f"WRONG_MAX_PRICE:{TG_USA:.2f}"
    with pytest.raises(ProtocolError, match="WRONG_EXCEPTION_PHONE"):
        api.number("tg", 187, phoneException="1x")
    _, phone = api.number("tg", 0, phoneException="790,791,792,793,794,795,796,797,798")
    assert phone.startswith("799")
    _, phone = api.number("tg", 0, operator="mts")
    assert api.balance() == pytest.approx(100 - TG_USA * 0 - 2 * 2.65)


def test_post_form_body_and_unknown_parameters(sa):
    api = client(sa, DIALECTS[0], method="POST")
    assert api.balance() == 100.00
    activation, _ = api.number("tg", 187, json=1, currency=840, ref="x")    # sent by real clients; ignored
    assert api.status(activation) == ("WAIT", None)
    # aiosmsactivate: POST with everything in the query string and no body
    response = sa.http.post(f"{sa.url}/stubs/handler_api.php", params={"api_key": KEY, "action": "getBalance"})
    assert (response.status_code, response.text) == (200, f"ACCESS_BALANCE:{100 - TG_USA:.2f}")


def test_hero_header_key(sa):
    response = sa.http.get(f"{sa.url}/herosms/stubs/handler_api.php", params={"action": "getBalance"},
                           headers={"Authorization": f"ApiKey {KEY}"})
    assert (response.status_code, response.text) == (200, "ACCESS_BALANCE:100.00")


def test_unknown_dialect_and_wrong_method(sa):
    for key in (KEY, "SA-nobody"):
        response = sa.http.get(f"{sa.url}/nosuch/stubs/handler_api.php", params={"api_key": key, "action": "getBalance"})
        assert (response.status_code, response.text) == (404, "BAD_ACTION")
    response = sa.http.delete(f"{sa.url}/stubs/handler_api.php")
    assert (response.status_code, response.text, response.headers["Allow"]) == (405, "BAD_ACTION", "GET, HEAD, POST")
    response = sa.http.get(f"{sa.url}/stubs/handler_api.php", params={"api_key": KEY})
    assert (response.status_code, response.text) == (200, "NO_ACTION")


# -- SMS pushed by hand, and by webhook --------------------------------------------------------------------

def test_sms_pushed_through_the_control_api(sa, dialect):
    api = client(sa, dialect)
    activation, phone = api.number("ot")
    pushed = sa.control("POST", "/sms", json={"provider": "smsactivate", "id": str(activation),
                                              "text": "Your code is 482913, do not share it"})
    assert pushed.status_code == 200, pushed.text
    assert api.status(activation) == ("OK", "482913")
    by_number = sa.control("POST", "/sms", json={"provider": "smsactivate", "number": "+" + phone,
                                                 "text": "Another: 111222"})
    assert by_number.status_code == 200, by_number.text
    assert api.status(activation) == ("OK", "111222")
    assert api.text("getFullSms", id=activation) == "FULL_SMS:Another: 111222"


def test_code_by_webhook(sa, receiver, dialect):
    assert sa.control("POST", "/webhook", json={"key": KEY, "url": receiver.url + "/sa"}).status_code == 200
    api = client(sa, dialect)
    activation, _ = api.number("tg", 187)
    sa.advance("3s")
    [delivery] = receiver.wait_for(1)
    body = delivery["json"]
    code = api.status(activation)[1]
    assert body == {"activationId": activation, "service": "tg", "text": body["text"], "code": code,
                    "country": 187, "receivedAt": "2026-01-28 22:42:29"}
    assert code in body["text"]
    [attempt] = sa.webhooks(provider="smsactivate")
    assert attempt["event"] == "sms_received" and attempt["status"] == 204


@pytest.mark.parametrize(("name", "answer"), [
    ("smsactivate-vanilla", (200, "NO_ACTIVATION")),
    ("smsactivate-herosms", (404, '{"title":"NOT_FOUND","details":"Activation Not Found"}')),
    ("smsactivate-smshub", (200, "NO_ACTIVATION")),
    ("smsactivate-grizzlysms", (200, "NO_ACTIVATION")),
    ("smsactivate-privatesms", (404, "NO_ACTIVATION")),
])
def test_bundled_scenario_per_dialect(start_server, name, answer):
    """Each bundled dialect scenario makes /stubs/handler_api.php speak its dialect."""
    mock = start_server(name)
    url = f"{mock.url}/stubs/handler_api.php"
    response = mock.http.get(url, params={"api_key": "SA-mock-default", "action": "getStatus", "id": 1})
    assert (response.status_code, response.text) == answer
    bought = mock.http.get(url, params={"api_key": "SA-mock-default", "action": "getNumber", "service": "ot"}).text
    activation = bought.split(":")[1]
    mock.advance("20m")
    status = mock.http.get(url, params={"api_key": "SA-mock-default", "action": "getStatus", "id": activation})
    assert status.text == "STATUS_CANCEL"
    balance = mock.http.get(url, params={"api_key": "SA-mock-default", "action": "getBalance"})
    assert balance.text == "ACCESS_BALANCE:100.00"


def test_default_scenario_serves_the_protocol(start_server):
    mock = start_server("default")
    url = f"{mock.url}/stubs/handler_api.php"
    bought = mock.http.get(url, params={"api_key": "SA-mock-default", "action": "getNumber", "service": "tg",
                                        "country": 187}).text
    activation = bought.split(":")[1]
    mock.advance("3s")
    status = mock.http.get(url, params={"api_key": "SA-mock-default", "action": "getStatus", "id": activation}).text
    assert status.startswith("STATUS_OK:") and status[10:].isdigit()


# -- the client report ------------------------------------------------------------------------------------

def report(server, rule: str) -> list[dict]:
    return [f for f in server.control("GET", "/report").json()["findings"] if f["rule"] == rule]


def test_report_counts_get_status_as_polling(sa):
    api = client(sa, DIALECTS[0])
    activation, _ = api.number("tg", 187)
    api.status(activation)
    api.status(activation)                     # at once: too fast
    sa.advance("3s")
    api.status(activation)                     # the code
    api.status_v2(activation)                  # after the code: one poll too many
    [finding] = [f for f in report(sa, "polling-too-fast") if "less than" in f["summary"]]
    assert finding["key"] == KEY and finding["count"] == 1
    assert any("already shown" in f["summary"] for f in report(sa, "polling-too-fast"))
    assert sa.control("GET", "/report").json()["counts"]["polls"] == 4


def test_report_sees_an_early_cancel_denied_loop(sa, dialect):
    api = client(sa, dialect)
    activation, _ = api.number("ot")
    for _ in range(3):
        with pytest.raises(ProtocolError):
            api.cancel(activation) if dialect.hero else api.set_status(activation, dialect.cancel)
    [finding] = report(sa, "refusal-loop")
    assert finding["key"] == KEY and finding["count"] == 1


NOT_SERVED = ("getRentServicesAndCountries", "getRentNumber", "getRentStatus", "setRentStatus", "getRentList",
              "continueRentNumber", "getContinueRentPriceNumber", "getMultiServiceNumber", "getAdditionalService",
              "getPricesExtended", "getPricesVerification", "reactivate", "reactivationPrice",
              "getTopCountriesByServiceRank", "serviceCountRent")


def test_actions_not_served_are_bad_actions(sa, dialect):
    """What docs/sms-activate.md lists as not served: BAD_ACTION as the dialect speaks it, and
    nothing charged (a rent or a reactivation would have cost money)."""
    api = client(sa, dialect)
    balance = api.balance()
    for action in NOT_SERVED:
        refused(dialect, lambda action=action: token(api.text(action, service="tg", country=187, id=1,
                                                                multiService="tg,wa", time=4)), "BAD_ACTION")
    assert api.balance() == balance
