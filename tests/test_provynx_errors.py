"""Every Provynx error status with its {"error": ...} body; refusals change nothing."""
from __future__ import annotations

import pytest

from harness import LIVE, OTHER_LIVE, REVOKED, TEST, scenario_with


def error(message: str) -> dict:
    return {"error": message}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nsk_live_nobody"},
                                     {"Authorization": f"Bearer {REVOKED}"}, {"Authorization": f"Token {LIVE}"}])
@pytest.mark.parametrize("method, path", [("GET", "/balance"), ("GET", "/us/services"), ("POST", "/us/numbers"),
                                          ("GET", "/global/numbers/x/code"), ("DELETE", "/us/numbers/x")])
def test_missing_invalid_or_revoked_keys_get_401(mock, headers, method, path):
    response = mock.pnx(method, path, key=None, headers=headers)
    assert response.status_code == 401
    assert response.json() == error("Missing or invalid API key")


@pytest.mark.parametrize("path, message", [
    ("/us/operators?server=4", "Invalid request: server: Must be one of: 1, 2, 3."),
    ("/us/operators?server=abc", "Invalid request: server: Not a valid integer."),
    ("/us/services?operator=sprint", "Unknown operator 'sprint' for country 'us' on server 1"),
    ("/global/operators", "Invalid request: country: Missing data for required field."),
    ("/global/operators?country=zz", "Unknown country 'zz' on server 1"),
    ("/global/services?country=gb&server=2", "Unknown country 'gb' on server 2"),
    ("/global/services?country=gb&operator=verizon", "Unknown operator 'verizon' for country 'gb' on server 1"),
])
def test_bad_catalog_queries_are_400(mock, path, message):
    response = mock.pnx("GET", path)
    assert response.status_code == 400
    assert response.json() == error(message)


@pytest.mark.parametrize("region, body, status, message", [
    ("us", "{bad json", 400, "Invalid request: the body is not valid JSON"),
    ("us", "{}", 400, "Invalid request: service: Missing data for required field."),
    ("us", '{"service": 7}', 400, "Invalid request: service: Not a valid string."),
    ("us", '{"service": "whatsapp", "server": 9}', 400, "Invalid request: server: Must be one of: 1, 2, 3."),
    ("us", '{"service": "whatsapp", "operator": "sprint"}', 400, "Unknown operator 'sprint' for country 'us' on server 1"),
    ("us", '{"service": "instagram", "operator": "verizon"}', 400,
     "Product unavailable: 'instagram' is not offered on operator 'verizon'"),
    ("us", '{"service": "whatsapp", "server": 2}', 404, "Pricing not found for service 'whatsapp' on server 2"),
    ("us", '{"service": "nothing"}', 404, "Pricing not found for service 'nothing' on server 1"),
    ("global", '{"service": "whatsapp"}', 400, "Invalid request: country: Missing data for required field."),
    ("global", '{"service": "whatsapp", "country": "zz"}', 400, "Unknown country 'zz' on server 1"),
    ("global", '{"service": "snapchat", "country": "gb"}', 404, "Pricing not found for service 'snapchat' on server 1"),
])
def test_bad_purchases_are_refused_and_debit_nothing(mock, region, body, status, message):
    response = mock.pnx("POST", f"/{region}/numbers", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.json() == error(message)
    assert mock.wallet() == 10.0
    assert mock.control("GET", "/state").json()["provynx"]["accounts"][0]["numbers"] == []


def test_insufficient_wallet_is_402(mock):
    assert mock.wallet(OTHER_LIVE) == 5.0
    for _ in range(4):                                           # 4 x 1.20 = 4.80 of 5.00
        assert mock.pnx("POST", "/us/numbers", key=OTHER_LIVE, json={"service": "paypal"}).status_code == 201
    response = mock.pnx("POST", "/us/numbers", key=OTHER_LIVE, json={"service": "paypal"})
    assert response.status_code == 402
    assert response.json() == error("Insufficient wallet balance: the number costs $1.20, the wallet holds $0.20")
    assert mock.wallet(OTHER_LIVE) == 0.2
    # sandbox keys of the same account are never short
    assert mock.pnx("POST", "/us/numbers", key="nsk_test_other", json={"service": "paypal"}).status_code == 201


def test_stock_zero_is_503(start_server):
    catalog = {"us": {"operators": [{"id": "any", "name": "Any operator"}],
                      "services": [{"id": "whatsapp", "name": "WhatsApp", "price": 0.5, "stock": 1}]}}
    mock = start_server(scenario_with(**{"provynx.servers": {1: catalog}}))
    assert mock.pnx("POST", "/us/numbers", json={"service": "whatsapp"}).status_code == 201
    assert mock.pnx("GET", "/us/services").json()["services"][0]["available"] == 0
    response = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp"})
    assert response.status_code == 503
    assert response.json() == error("SMS numbers are temporarily unavailable")
    assert mock.wallet() == 9.5
    # the other servers keep their bundled catalogs
    assert mock.pnx("GET", "/us/services?server=2").json()["services"]


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("GET", "/code"), ("DELETE", "")])
def test_unknown_and_foreign_numbers_are_404(mock, method, suffix):
    foreign = mock.pnx_buy(key=OTHER_LIVE)
    for number_id in ("num_doesnotexist", foreign["id"]):
        response = mock.pnx(method, f"/us/numbers/{number_id}{suffix}")
        assert response.status_code == 404
        assert response.json() == error("Number not found")
    assert mock.pnx("GET", f"/us/numbers/{foreign['id']}", key=OTHER_LIVE).json()["status"] == "pending"


def test_cancel_rules(mock):
    received = mock.pnx_buy(service="telegram")
    mock.advance("3s")
    response = mock.pnx("DELETE", f"/us/numbers/{received['id']}")
    assert response.status_code == 400
    assert response.json() == error("Number cannot be canceled (status: received)")
    global_number = mock.pnx_buy("global")
    response = mock.pnx("DELETE", f"/global/numbers/{global_number['id']}")
    assert response.status_code == 400
    assert response.json() == error("Global numbers cannot be canceled via the API")
    assert mock.pnx("GET", f"/global/numbers/{global_number['id']}").json()["status"] == "pending"
    canceled = mock.pnx_buy(service="google")
    assert mock.pnx("DELETE", f"/us/numbers/{canceled['id']}").status_code == 200
    assert mock.pnx("DELETE", f"/us/numbers/{canceled['id']}").json() == error("Number cannot be canceled (status: canceled)")
    assert mock.wallet() == 10 - 0.70 - 0.34


def test_sandbox_cancel_refunds_nothing_because_nothing_was_debited(mock):
    number = mock.pnx_buy(key=TEST)
    assert mock.pnx("DELETE", f"/us/numbers/{number['id']}", key=TEST).json()["status"] == "canceled"
    assert mock.wallet() == 10.0


def test_rate_limit_is_60_per_minute_per_key_with_retry_after(mock):
    for _ in range(60):
        assert mock.pnx("GET", "/balance").status_code == 200
    response = mock.pnx("GET", "/balance")
    assert response.status_code == 429
    assert response.json() == error("Rate limit exceeded")
    assert response.headers["Retry-After"] == "60"
    assert mock.pnx("GET", "/balance", key=TEST).status_code == 200
    mock.advance("60s")
    assert mock.pnx("GET", "/balance").status_code == 200


def test_injected_faults_answer_502_and_503_in_the_provider_shape(start_server):
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "times": 2, "respond": {"status": 502}},
        {"match": {"provider": "provynx", "path": "/global/*", "key": "nsk_test_*"}, "times": 1, "respond": {"status": 503}},
    ]))
    for _ in range(2):
        response = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp"})
        assert (response.status_code, response.json()) == (502, error("Temporary service failure"))
    assert mock.wallet() == 10.0
    assert mock.pnx("POST", "/us/numbers", json={"service": "whatsapp"}).status_code == 201
    assert mock.pnx("GET", "/global/countries").status_code == 200          # live key: not matched
    response = mock.pnx("GET", "/global/countries", key=TEST)
    assert (response.status_code, response.json()) == (503, error("SMS numbers are temporarily unavailable"))
    assert mock.pnx("GET", "/global/countries", key=TEST).status_code == 200


@pytest.mark.parametrize("method, path, status, message", [
    ("GET", "/api/v1/sms/nothing", 404, "Not found"),
    ("GET", "/api/v1/sms/us/numbers", 405, "Method not allowed"),
    ("PUT", "/api/v1/sms/balance", 405, "Method not allowed"),
    ("GET", "/api/v1/sms/eu/numbers/x", 404, "Not found"),
])
def test_unknown_routes_and_wrong_methods_are_json(mock, method, path, status, message):
    response = mock.http.request(method, mock.url + path, headers={"Authorization": f"Bearer {LIVE}"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == error(message)
