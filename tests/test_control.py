"""The control API's read views: scenario, state (with what is due next) and webhook filters."""
from __future__ import annotations

from harness import AIRBNB, KEY, THREE_FUN


def test_scenario_shows_the_loaded_definition(start_server):
    from harness import BASE_SCENARIO
    body = start_server(BASE_SCENARIO).control("GET", "/scenario").json()
    assert (body["name"], body["description"], body["source"], body["seed"]) == \
        ("test", "test harness scenario", "test.yaml", 42)
    assert body["definition"]["pvadeals"]["accounts"][0] == {"key": KEY, "credits": 100}


def test_a_scenario_with_an_unquoted_timestamp_is_shown_as_iso_text(start_server, tmp_path):
    import yaml

    from harness import BASE_SCENARIO
    text = yaml.safe_dump({**BASE_SCENARIO, "clock": {"frozen": True}}) + "\n"
    text = text.replace("clock:\n  frozen: true", "clock:\n  frozen: true\n  start: 2026-02-01T10:00:00Z")
    server = start_server(yaml.safe_load(text))   # YAML turns the instant into a datetime
    body = server.control("GET", "/scenario").json()
    assert body["definition"]["clock"]["start"] == "2026-02-01T10:00:00+00:00"
    assert server.control("GET", "/clock").json()["now"] == "2026-02-01T10:00:00.000Z"


def test_state_lists_accounts_requests_messages_and_what_is_due_next(mock):
    airbnb, three_fun = mock.buy(AIRBNB, THREE_FUN)
    state = mock.control("GET", "/state").json()
    assert (state["scenario"], state["now"], state["frozen"]) == ("test", "2026-01-28T22:42:26.452Z", True)
    assert state["pending"] == [
        {"at": "2026-01-28T22:42:29.452Z", "what": f"pvadeals {airbnb['_id']} sms 1"},
        {"at": "2026-01-28T23:02:26.452Z", "what": f"pvadeals {airbnb['_id']} end time"},
        {"at": "2026-01-28T23:02:26.452Z", "what": f"pvadeals {three_fun['_id']} end time"},
    ]
    accounts = state["pvadeals"]["accounts"]
    assert [(a["key"], a["credits"], a["webhook"]) for a in accounts] == [(KEY, 99.7, None), ("API-test-two", 0.5, None)]
    assert [r["_id"] for r in accounts[0]["requests"]] == [airbnb["_id"], three_fun["_id"]]
    mock.advance("3s")
    [sms] = mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["requests"][0]["messages"]
    assert sms["at"] == "2026-01-28T22:42:29.452Z" and sms["text"] == f"Your Airbnb verification code is {sms['code']}."


def test_webhook_filters_are_validated(mock):
    response = mock.control("GET", "/webhooks", params={"provider": "acme"})
    assert response.status_code == 400
    assert response.json() == {"error": "provider: Must be one of: pvadeals, provynx, smsactivate.", "status": 400}
