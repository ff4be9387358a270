"""Every bundled scenario loads and does what its description says."""
from __future__ import annotations

import time

import pytest
import requests

from harness import AIRBNB, THREE_FUN
from mockserver.loading import bundled_names, load_scenario

PVA_KEY, LIVE, TEST = "API-mock-default", "nsk_live_mock", "nsk_test_mock"


def test_the_library_has_at_least_ten_scenarios_each_described():
    names = bundled_names()
    assert len(names) >= 10
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name and len(scenario.description) > 40


@pytest.fixture
def bundled(start_server):
    def start(name: str):
        return start_server(name)
    return start


def test_default(bundled):
    mock = bundled("default")
    airbnb, three_fun = mock.buy(AIRBNB, THREE_FUN, key=PVA_KEY)
    mock.advance("20m")
    assert mock.detail(airbnb["_id"], key=PVA_KEY)["status"] == "COMPLETED"
    assert mock.detail(three_fun["_id"], key=PVA_KEY)["status"] == "TIMEOUT"
    sandbox = mock.pnx_buy(key=TEST)
    codes = [mock.pnx("GET", f"/us/numbers/{sandbox['id']}/code", key=TEST).json()["code"] for _ in range(2)]
    assert codes == [None, "123456"]
    assert mock.wallet(LIVE) == 25.0


def test_instant_codes(bundled):
    mock = bundled("instant-codes")
    request_id = mock.buy(AIRBNB, key=PVA_KEY)[0]["_id"]
    assert mock.detail(request_id, key=PVA_KEY)["status"] == "COMPLETED"
    number = mock.pnx_buy(key=LIVE)
    assert mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=LIVE).json()["status"] == "received"


def test_timeouts(bundled):
    mock = bundled("timeouts")
    request_id = mock.buy(AIRBNB, key=PVA_KEY)[0]["_id"]
    number = mock.pnx_buy(key=LIVE)
    sandbox = mock.pnx_buy(key=TEST)
    for _ in range(3):
        mock.pnx("GET", f"/us/numbers/{sandbox['id']}/code", key=TEST)
    mock.advance("20m")
    assert mock.detail(request_id, key=PVA_KEY)["status"] == "TIMEOUT" and mock.credits(PVA_KEY) == 100
    assert mock.pnx("GET", f"/us/numbers/{number['id']}", key=LIVE).json()["status"] == "expired"
    assert mock.pnx("GET", f"/us/numbers/{sandbox['id']}", key=TEST).json()["status"] == "expired"
    assert mock.wallet(LIVE) == 25.0


def test_flag_refused(bundled):
    mock = bundled("flag-refused")
    bought = mock.buy(AIRBNB, key=PVA_KEY)[0]
    assert bought["allowFlag"] is False
    assert mock.pva("POST", f"/flag/{bought['_id']}", key=PVA_KEY).status_code == 422
    number = mock.pnx_buy(key=LIVE)
    assert mock.pnx("DELETE", f"/us/numbers/{number['id']}", key=LIVE).status_code == 400


def test_reuse_charged(bundled):
    mock = bundled("reuse-charged")
    request_id = mock.buy(AIRBNB, key=PVA_KEY)[0]["_id"]
    mock.advance("3s")
    reused = mock.pva("POST", f"/reuse/{request_id}", key=PVA_KEY).json()["data"]
    assert (reused["amount"], reused["endTime"]) == (0.15, "2026-01-28T22:52:29.452Z")
    assert mock.credits(PVA_KEY) == 99.65
    mock.advance("3s")
    mock.advance("5m")
    assert mock.detail(request_id, key=PVA_KEY)["allowReuse"] is False


def test_rate_limited(bundled):
    mock = bundled("rate-limited")
    assert [mock.pva("GET", "/balance", key=PVA_KEY).status_code for _ in range(6)] == [200] * 5 + [429]
    assert [mock.pnx("GET", "/balance", key=LIVE).status_code for _ in range(4)] == [200] * 3 + [429]
    assert mock.pnx("GET", "/balance", key=LIVE).headers["Retry-After"] == "60"


def test_pvadeals_v3_3_limits(bundled):
    mock = bundled("pvadeals-v3.3-limits")
    statuses = [mock.pva("POST", "/purchase", key=PVA_KEY, json={"services": [{"serviceId": THREE_FUN}]}).status_code
                for _ in range(61)]
    assert statuses == [200] * 60 + [429]
    assert mock.pva("GET", "/balance", key=PVA_KEY).status_code == 200    # other paths: only the IP bucket


def test_webhook_down(bundled):
    mock = bundled("webhook-down")
    mock.buy(THREE_FUN, key=PVA_KEY)
    number = mock.pnx_buy(key=TEST)
    for _ in range(2):                                  # the second poll produces the sandbox code
        mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=TEST)
    mock.advance("1m")
    for provider, event in (("pvadeals", "number_purchased"), ("provynx", "otp.received")):
        attempts = mock.webhooks(provider=provider, event=event)
        assert [(a["attempt"], a["at"][11:19]) for a in attempts] == [(1, "22:42:26"), (2, "22:42:36"), (3, "22:42:46")]
        assert all(a["error"].startswith("connection error") for a in attempts)


def test_provynx_sandbox(bundled):
    mock = bundled("provynx-sandbox")
    assert mock.pva("GET", "/balance", key=PVA_KEY).status_code == 401
    assert mock.pnx("GET", "/balance", key=LIVE).status_code == 401
    assert mock.pnx("GET", "/balance", key="nsk_test_ci").json() == {"balance": 100.0, "currency": "USD", "sandbox": True}
    number = mock.pnx_buy(key=TEST)
    codes = [mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=TEST).json()["code"] for _ in range(2)]
    assert codes == [None, "123456"]


def test_insufficient_balance(bundled):
    mock = bundled("insufficient-balance")
    assert len(mock.buy(THREE_FUN, key=PVA_KEY)) == 1
    response = mock.pva("POST", "/purchase", key=PVA_KEY, json={"services": [{"serviceId": AIRBNB}]})
    assert (response.status_code, response.json()["message"]) == (422, "Insufficient balance")
    assert mock.pnx("POST", "/us/numbers", key=LIVE, json={"service": "whatsapp"}).status_code == 402
    assert mock.pnx_buy("global", key=LIVE, service="whatsapp", country="gb")["price"] == 0.34
    assert mock.pnx("POST", "/global/numbers", key=LIVE, json={"service": "whatsapp", "country": "gb"}).status_code == 402


def test_out_of_stock(bundled):
    mock = bundled("out-of-stock")
    for server in (1, 2, 3):
        listed = mock.pnx("GET", f"/us/services?server={server}", key=LIVE).json()["services"]
        assert listed and {s["available"] for s in listed} == {0}
    for key in (LIVE, TEST):
        response = mock.pnx("POST", "/us/numbers", key=key, json={"service": "whatsapp"})
        assert (response.status_code, response.json()) == (503, {"error": "SMS numbers are temporarily unavailable"})
    assert mock.wallet(LIVE) == 25.0


def test_flaky_provider(bundled):
    mock = bundled("flaky-provider")
    body = {"services": [{"serviceId": AIRBNB}]}
    assert [mock.pva("POST", "/purchase", key=PVA_KEY, json=body).status_code for _ in range(3)] == [500, 500, 200]
    assert mock.credits(PVA_KEY) == 99.8
    assert [mock.pnx("POST", "/us/numbers", key=LIVE, json={"service": "whatsapp"}).status_code
            for _ in range(3)] == [502, 502, 201]
    number = mock.control("GET", "/state").json()["provynx"]["accounts"][0]["numbers"][0]
    with pytest.raises(requests.RequestException, match="Connection broken"):
        mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=LIVE)
    assert mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=LIVE).status_code == 200


def test_slow_provider(bundled):
    mock = bundled("slow-provider")
    started = time.monotonic()
    mock.buy(AIRBNB, key=PVA_KEY)
    purchase_s = time.monotonic() - started
    started = time.monotonic()
    mock.pva("GET", "/balance", key=PVA_KEY)
    balance_s = time.monotonic() - started
    assert purchase_s >= 1.5 and 0.2 <= balance_s < 1.5


def test_rentals(bundled):
    mock = bundled("rentals")
    renting = {"serviceId": AIRBNB, "duration": 30, "areaCode": ""}
    rentals = {}
    for key in (PVA_KEY, "API-mock-short"):
        response = mock.pva("POST", "/purchase-ltr", key=key, json=renting)
        assert response.status_code == 200, response.text
        rentals[key] = response.json()["data"]["_id"]
        assert mock.pva("POST", f"/renew-ltr/{rentals[key]}", key=key).json()["data"]["autoRenewEnable"] is True
    mock.advance("30d")
    assert mock.detail(rentals[PVA_KEY], key=PVA_KEY)["status"] == "COMPLETED"       # renewed: 2.25 again
    assert mock.credits(PVA_KEY) == 95.5
    assert mock.detail(rentals["API-mock-short"], key="API-mock-short")["status"] == "TIMEOUT"
    assert mock.credits("API-mock-short") == 0.75
