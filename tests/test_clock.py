"""The virtual clock through the control API, in real-time mode, and under freezegun."""
from __future__ import annotations

import time

import pytest
from freezegun import freeze_time

from harness import AIRBNB, BASE_SCENARIO, KEY, THREE_FUN, scenario_with


def test_get_and_advance_a_frozen_clock(mock):
    assert mock.control("GET", "/clock").json() == {"now": "2026-01-28T22:42:26.452Z", "frozen": True}
    assert mock.advance("1h30m") == {"now": "2026-01-29T00:12:26.452Z", "frozen": True}
    assert mock.advance("500ms") == {"now": "2026-01-29T00:12:26.952Z", "frozen": True}
    response = mock.control("POST", "/clock", json={"advance": 2.5})   # bare numbers are seconds
    assert response.json()["now"] == "2026-01-29T00:12:29.452Z"


def test_set_runs_everything_due_up_to_the_new_instant(mock):
    three_fun = mock.buy(THREE_FUN)[0]
    response = mock.control("POST", "/clock", json={"set": "2026-01-28T23:30:00Z"})
    assert response.json() == {"now": "2026-01-28T23:30:00.000Z", "frozen": True}
    assert mock.detail(three_fun["_id"])["status"] == "TIMEOUT"


def test_reset_returns_to_the_scenario_start_and_forgets_state(mock):
    mock.buy(AIRBNB)
    mock.advance("1h")
    response = mock.control("POST", "/reset")
    assert response.json() == {"status": "reset", "scenario": "test", "now": "2026-01-28T22:42:26.452Z", "frozen": True}
    assert mock.credits() == 100
    assert mock.pva("GET", "/requests").json()["data"]["data"]["edges"] == []


@pytest.mark.parametrize("body, status, message", [
    ({}, 400, "give advance (e.g. \"20m\"), set (ISO 8601) or freeze (true/false)"),
    ({"advance": "soon"}, 400, "advance: not a duration (use e.g. 500ms, 3s, 20m, 1h)"),
    ({"advance": -5}, 400, "advance: a duration cannot be negative"),
    ({"set": "yesterday"}, 400, "set: not an instant: use 'now' or ISO 8601 like 2026-01-28T22:42:26Z"),
    ({"freeze": "maybe"}, 400, "freeze: Not a valid boolean."),
    ({"rewind": "1m"}, 400, "rewind: Unknown field."),
    ({"set": "2020-01-01T00:00:00Z"}, 409,
     "the clock only moves forward: 2020-01-01T00:00:00.000Z is before 2026-01-28T22:42:26.452Z; use reset to go back"),
])
def test_bad_clock_calls_are_json_errors_and_change_nothing(mock, body, status, message):
    response = mock.control("POST", "/clock", json=body)
    assert response.status_code == status
    assert response.json() == {"error": message, "status": status}
    assert mock.control("GET", "/clock").json()["now"] == "2026-01-28T22:42:26.452Z"


def test_control_api_answers_json_on_unknown_routes_and_bad_json(mock):
    assert mock.control("GET", "/nope").json() == {"error": "Not Found", "status": 404}
    assert mock.control("DELETE", "/clock").json() == {"error": "Method Not Allowed", "status": 405}
    response = mock.control("POST", "/clock", data="{oops", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "the body is not valid JSON")
    assert mock.control("GET", "/health").json() == {"status": "ok", "scenario": "test"}


def test_unfreezing_lets_time_flow_from_where_it_stood(mock):
    response = mock.control("POST", "/clock", json={"freeze": False})
    assert response.json()["frozen"] is False
    assert response.json()["now"] >= "2026-01-28T22:42:26.452Z"
    assert mock.control("POST", "/clock", json={"freeze": True, "advance": "1m"}).json()["now"] >= "2026-01-28T22:43:26"


def test_real_time_mode_delivers_an_sms_with_no_request_needed(start_server, receiver):
    """The runner thread fires due events on its own: the SMS webhook arrives by itself."""
    scenario = scenario_with(**{
        "clock": {"start": "now", "frozen": False},
        "pvadeals.accounts": [{"key": KEY, "credits": 10, "webhook": receiver.url}],
        "pvadeals.behaviors": [{"match": {}, "sms": [{"after": "300ms"}]}],
    })
    mock = start_server(scenario, real_time=True)
    bought_at = time.monotonic()
    mock.buy(AIRBNB)
    deliveries = receiver.wait_for(2, timeout_s=5)     # waits on the receiver, not on a sleep
    elapsed = time.monotonic() - bought_at
    assert [d["json"]["event"] for d in deliveries] == ["number_purchased", "sms_received"]
    assert 0.3 <= elapsed < 3


def test_the_clock_follows_freezegun_in_process():
    """A test that freezes and ticks time in its own process moves the sandbox with it."""
    import yaml

    from mockserver.app import create_app
    from mockserver.loading import load_text

    scenario = {**BASE_SCENARIO, "clock": {"start": "now", "frozen": False}}
    with freeze_time("2030-05-01T12:00:00Z") as frozen:
        app = create_app(load_text(yaml.safe_dump(scenario)), real_time=False)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {KEY}"}
        bought = client.post("/v3/api/purchase", headers=headers,
                             json={"services": [{"serviceId": AIRBNB}]}).get_json()["data"]["requests"][0]
        assert bought["createdAt"] == "2030-05-01T12:00:00.000Z"
        assert bought["endTime"] == "2030-05-01T12:20:00.000Z"
        assert bought["_id"].startswith("717ab540")   # 2030-05-01T12:00:00Z in seconds, hex
        frozen.tick(2.9)
        assert client.get(f"/v3/api/request/{bought['_id']}", headers=headers).get_json()["data"]["status"] == "RESERVED"
        frozen.tick(0.1)
        detail = client.get(f"/v3/api/request/{bought['_id']}", headers=headers).get_json()["data"]
        assert (detail["status"], detail["updatedAt"]) == ("COMPLETED", "2030-05-01T12:00:03.000Z")
        app.extensions["mockserver"].close()
