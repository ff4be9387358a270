"""Provynx US and global flows for live and sandbox keys, on a real server."""
from __future__ import annotations

import re

import pytest

from harness import AIRBNB, OTHER_LIVE, START, TEST

NUMBER_KEYS = ["id", "region", "country", "number", "service", "operator", "server", "price", "status", "code",
               "sms", "sandbox", "created_at", "expires_at"]


def test_balance_live_is_the_wallet_and_sandbox_is_fixed(mock):
    assert mock.pnx("GET", "/balance").json() == {"balance": 10.0, "currency": "USD", "sandbox": False}
    assert mock.pnx("GET", "/balance", key=TEST).json() == {"balance": 100.0, "currency": "USD", "sandbox": True}


def test_us_catalog_defaults_to_server_1_and_servers_differ(mock):
    operators = mock.pnx("GET", "/us/operators").json()
    assert operators["server"] == 1
    assert operators["operators"][0] == {"id": "any", "name": "Any operator"}
    assert {"id": "tmobile", "name": "T-Mobile"} in operators["operators"]
    services = mock.pnx("GET", "/us/services?server=1&operator=any").json()
    assert list(services) == ["server", "country", "operator", "services"]
    assert (services["server"], services["country"], services["operator"]) == (1, "us", "any")
    whatsapp = next(s for s in services["services"] if s["id"] == "whatsapp")
    assert whatsapp == {"id": "whatsapp", "name": "WhatsApp", "price": 0.85, "available": 40}
    server2 = {s["id"] for s in mock.pnx("GET", "/us/services?server=2").json()["services"]}
    assert "whatsapp" not in server2 and "snapchat" in server2
    # operators that do not carry a service do not list it
    verizon = {s["id"] for s in mock.pnx("GET", "/us/services?operator=verizon").json()["services"]}
    assert "instagram" not in verizon and "whatsapp" in verizon


def test_global_catalog(mock):
    for server in (1, 2, 3):
        countries = mock.pnx("GET", f"/global/countries?server={server}").json()
        assert countries["server"] == server and len(countries["countries"]) >= 10
        assert all(list(c) == ["code", "name"] for c in countries["countries"])
    assert {"code": "gb", "name": "United Kingdom"} in mock.pnx("GET", "/global/countries").json()["countries"]
    operators = mock.pnx("GET", "/global/operators?server=1&country=gb").json()
    assert (operators["server"], operators["country"]) == (1, "gb")
    assert {"id": "ee", "name": "EE"} in operators["operators"]
    services = mock.pnx("GET", "/global/services?server=1&country=gb&operator=any").json()
    assert (services["server"], services["country"], services["operator"]) == (1, "gb", "any")
    assert {"id": "whatsapp", "name": "WhatsApp", "price": 0.34, "available": 60} in services["services"]


def test_us_live_flow_debits_then_the_code_arrives_3s_later(mock):
    number = mock.pnx_buy(service="whatsapp", operator="tmobile")
    assert list(number) == NUMBER_KEYS
    assert re.fullmatch(r"num_[a-z0-9]{20}", number["id"]) and re.fullmatch(r"\+1\d{10}", number["number"])
    assert {k: v for k, v in number.items() if k not in ("id", "number")} == {
        "region": "us", "country": "us", "service": "whatsapp", "operator": "tmobile", "server": 1, "price": 0.85,
        "status": "pending", "code": None, "sms": None, "sandbox": False, "created_at": START,
        "expires_at": "2026-01-28T23:02:26.452Z"}
    assert mock.wallet() == 9.15
    code_path = f"/us/numbers/{number['id']}/code"
    assert mock.pnx("GET", code_path).json() == {"id": number["id"], "status": "pending", "code": None, "sms": None}
    mock.advance("3s")
    polled = mock.pnx("GET", code_path).json()
    assert polled["status"] == "received" and re.fullmatch(r"\d{6}", polled["code"])
    assert polled["sms"] == f"Your WhatsApp code: {polled['code']}. Don't share this code with others"
    again = mock.pnx("GET", f"/us/numbers/{number['id']}").json()
    assert (again["status"], again["code"], again["sms"]) == ("received", polled["code"], polled["sms"])
    available = next(s for s in mock.pnx("GET", "/us/services").json()["services"] if s["id"] == "whatsapp")
    assert available["available"] == 39


def test_global_live_flow(mock):
    number = mock.pnx_buy("global", service="whatsapp", country="gb", server=1)
    assert (number["region"], number["country"], number["operator"], number["price"]) == ("global", "gb", "any", 0.34)
    assert re.fullmatch(r"\+447\d{9}", number["number"])
    assert mock.wallet() == 9.66
    mock.advance("3s")
    polled = mock.pnx("GET", f"/global/numbers/{number['id']}/code").json()
    assert polled["status"] == "received" and polled["code"]


@pytest.mark.parametrize("region", ["us", "global"])
def test_sandbox_flow_code_123456_on_the_second_poll_and_no_debit(mock, region):
    number = mock.pnx_buy(region, key=TEST)
    assert number["sandbox"] is True and number["status"] == "pending"
    assert mock.pnx("GET", "/balance", key=TEST).json()["balance"] == 100.0 and mock.wallet() == 10.0
    mock.advance("1h")      # sandbox codes come from polling, not from the clock... but they still expire
    fresh = mock.pnx_buy(region, key=TEST)
    code_path = f"/{region}/numbers/{fresh['id']}/code"
    assert mock.pnx("GET", code_path, key=TEST).json() == {"id": fresh["id"], "status": "pending", "code": None, "sms": None}
    second = mock.pnx("GET", code_path, key=TEST).json()
    assert (second["status"], second["code"]) == ("received", "123456")
    assert second["sms"] == "Your WhatsApp code: 123456. Don't share this code with others"
    assert mock.pnx("GET", f"/{region}/numbers/{number['id']}", key=TEST).json()["status"] == "expired"
    assert mock.pnx("GET", "/balance", key=TEST).json()["balance"] == 100.0


def test_sandbox_poll_count_and_code_come_from_the_scenario(start_server):
    from harness import scenario_with
    mock = start_server(scenario_with(**{"provynx.sandbox": {"polls": 3, "code": "000111"}}))
    number = mock.pnx_buy(key=TEST)
    path = f"/us/numbers/{number['id']}/code"
    assert [mock.pnx("GET", path, key=TEST).json()["code"] for _ in range(4)] == [None, None, "000111", "000111"]


def test_wallet_arithmetic_across_purchase_cancel_and_expiry(mock):
    kept = mock.pnx_buy(service="telegram")              # 0.70, gets its code
    canceled = mock.pnx_buy(service="google")            # 0.60, canceled: refunded
    expiring = mock.pnx_buy("global", service="paypal")  # 0.48, expires: refunded
    assert mock.wallet() == 8.22
    response = mock.pnx("DELETE", f"/us/numbers/{canceled['id']}")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    assert mock.wallet() == 8.82
    mock.control("POST", "/sms", json={"provider": "provynx", "id": kept["id"]})
    mock.advance("20m")
    assert mock.pnx("GET", f"/global/numbers/{expiring['id']}").json()["status"] == "expired"
    assert mock.pnx("GET", f"/us/numbers/{kept['id']}").json()["status"] == "received"
    assert mock.wallet() == 9.30
    # the expired one's number went back to stock, so stock is as before it was bought
    paypal = next(s for s in mock.pnx("GET", "/global/services?country=gb").json()["services"] if s["id"] == "paypal")
    assert paypal["available"] == 60


def test_accounts_share_nothing(mock):
    mine = mock.pnx_buy()
    assert mock.pnx("GET", f"/us/numbers/{mine['id']}", key=OTHER_LIVE).status_code == 404
    assert mock.pnx("GET", f"/us/numbers/{mine['id']}", key=TEST).status_code == 404   # live vs sandbox
    assert mock.wallet(OTHER_LIVE) == 5.0
    assert mock.pnx("GET", f"/global/numbers/{mine['id']}").status_code == 404        # wrong region


def test_control_sms_reaches_provynx_numbers(mock):
    number = mock.pnx_buy()
    response = mock.control("POST", "/sms", json={"provider": "provynx", "number": number["number"],
                                                   "text": "Your verification code is 4821"})
    assert response.status_code == 200
    assert response.json() == {"provider": "provynx", "id": number["id"], "number": number["number"],
                               "status": "received", "text": "Your verification code is 4821", "code": "4821",
                               "at": START}
    assert mock.pnx("GET", f"/us/numbers/{number['id']}/code").json()["code"] == "4821"
    state = mock.control("GET", "/state").json()["provynx"]["accounts"][0]
    assert (state["name"], state["balance"], state["numbers"][0]["polls"]) == ("acme", 9.15, 1)


def test_control_sms_finds_the_provider_from_the_id_or_the_number(mock):
    """Without "provider", an SMS push finds the number among every provider's: a Provynx id or
    number reaches Provynx, a PVADeals one PVADeals; one that is nowhere is a 404 saying so."""
    number = mock.pnx_buy()
    by_id = mock.control("POST", "/sms", json={"id": number["id"], "text": "code 1111"})
    assert (by_id.status_code, by_id.json()["provider"], by_id.json()["code"]) == (200, "provynx", "1111")
    request = mock.buy(AIRBNB)[0]
    by_number = mock.control("POST", "/sms", json={"number": request["number"]})
    assert (by_number.status_code, by_number.json()["provider"]) == (200, "pvadeals")
    nowhere = mock.control("POST", "/sms", json={"id": "num_nothing"})
    assert (nowhere.status_code, nowhere.json()["error"]) == (404, "no request or number or activation with id num_nothing")
