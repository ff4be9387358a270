"""Webhook targets and secrets the sandbox cannot use, events that fail, and resets of work under
way: each ends as a refused control call or a logged failed attempt, and never as an API call
answering 500 after it changed state, a dead timeline runner, or calls that wait for work no one
will finish. Real servers on 127.0.0.1, real receivers."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import requests
import yaml

from harness import AIRBNB, KEY, LIVE, THREE_FUN, MockServer, scenario_with
from mockserver.engine import Engine
from mockserver.loading import load_text
from mockserver.testing import ServedSandbox, WebhookReceiver

BAD_PORT = "http://127.0.0.1:99999/x"
# A control call must answer well within this; before the fixes, the calls that wait for due
# work waited 120 s (leaked counts) or a hanging receiver's whole 30 s timeout.
LIVENESS_S = 15


def control(mock, method: str, path: str, **kwargs) -> requests.Response:
    return mock.http.request(method, f"{mock.url}/_mock{path}", timeout=LIVENESS_S, **kwargs)


def advance(mock, duration: str, key: str | None = None) -> None:
    response = control(mock, "POST", "/clock", json={"advance": duration, **({"key": key} if key else {})})
    assert response.status_code == 200, response.text


# -- the control API refuses what no webhook can be posted to ------------------------------------


@pytest.mark.parametrize("url", [BAD_PORT, "http://127.0.0.1:65536/x", "http://127.0.0.1:0/x"])
def test_the_control_api_refuses_a_webhook_port_outside_1_to_65535(mock, url):
    response = mock.control("POST", "/webhook", json={"key": KEY, "url": url})
    assert response.status_code == 400
    assert response.json() == {"error": "url: the port must be 1 to 65535", "status": 400}
    assert mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["webhook"] is None


def test_the_control_api_takes_port_65535(mock):
    response = mock.control("POST", "/webhook", json={"key": KEY, "url": "http://127.0.0.1:65535/x"})
    assert response.status_code == 200
    assert response.json() == {"key": KEY, "url": "http://127.0.0.1:65535/x"}


@pytest.mark.parametrize("secret", ["whsec_a", "whsec_YQ", "whsec_=", "whsec_YQ==="])
def test_the_control_api_refuses_a_secret_that_is_not_base64(mock, receiver, secret):
    response = mock.control("POST", "/webhook", json={"key": LIVE, "url": receiver.url, "secret": secret})
    assert response.status_code == 400
    assert response.json() == {"error": "secret: a signing secret is whsec_ followed by base64 (of at least one byte)",
                               "status": 400}
    assert mock.control("GET", "/state").json()["provynx"]["accounts"][0]["webhook"]["url"] is None


# -- a URL or secret that got past validation ------------------------------------------------------


def served_with(scenario: dict, change) -> ServedSandbox:
    """A scenario loaded as usual, then changed as no scenario file or control call can change
    it now: what the outbox does with a target that slipped past validation."""
    loaded = load_text(yaml.safe_dump(scenario), source="test.yaml")
    return ServedSandbox(change(loaded), real_time=True)


def with_pvadeals_webhook(scenario, url: str):
    section = scenario.section("pvadeals")
    accounts = tuple(replace(a, webhook=url) if a.key == KEY else a for a in section.accounts)
    return replace(scenario, sections={**scenario.sections, "pvadeals": replace(section, accounts=accounts)})


def with_provynx_secret(scenario, secret: str):
    section = scenario.section("provynx")
    accounts = tuple(replace(a, webhook=replace(a.webhook, secret=secret)) if a.name == "acme" else a
                     for a in section.accounts)
    return replace(scenario, sections={**scenario.sections, "provynx": replace(section, accounts=accounts)})


@pytest.fixture
def bad_port_server():
    served = served_with(scenario_with(**{"pvadeals.webhooks": {"retries": 1, "delay": "5s", "timeout": "5s"}}),
                         lambda s: with_pvadeals_webhook(s, BAD_PORT))
    mock = MockServer.__new__(MockServer)
    mock._served, mock.app, mock.sandbox, mock.url = served, served.app, served.sandbox, served.url
    mock.http = requests.Session()
    yield mock
    mock.close()


def test_a_purchase_whose_webhook_port_is_past_65535_succeeds_and_its_attempts_fail_logged(bad_port_server):
    mock = bad_port_server
    before = mock.credits()
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB}]}, timeout=LIVENESS_S)
    assert response.status_code == 200, response.text
    assert round(before - mock.credits(), 2) == 0.2       # one debit, and the purchase it paid for
    assert len(mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["requests"]) == 1
    advance(mock, "3s")                      # the SMS falls due
    failure = "invalid URL: Port out of range 0-65535"
    assert [(a["event"], a["attempt"], a["ok"], a["status"], a["error"]) for a in mock.webhooks()] == [
        ("number_purchased", 1, False, None, failure), ("sms_received", 1, False, None, failure)]
    advance(mock, "5s")                      # the retries the policy gives, failing the same way
    assert [(a["event"], a["attempt"], a["error"]) for a in mock.webhooks()] == [
        ("number_purchased", 1, failure), ("sms_received", 1, failure),
        ("number_purchased", 2, failure), ("sms_received", 2, failure)]
    message = mock.webhooks()[0]["id"]
    redelivered = control(mock, "POST", f"/webhooks/{message}/redeliver")
    assert redelivered.status_code == 200
    assert (redelivered.json()["attempt"], redelivered.json()["error"]) == (3, failure)
    assert control(mock, "POST", "/reset").status_code == 200
    advance(mock, "20m")                     # nothing waits for counts the bad URL left behind


def test_a_secret_that_does_not_decode_makes_failed_attempts_not_lost_ones(start_server, receiver):
    served = served_with(scenario_with(**{"provynx.webhooks": {"retries": 1, "delay": "5s"}}),
                         lambda s: with_provynx_secret(s, "whsec_a"))
    try:
        http = requests.Session()
        response = http.post(f"{served.url}/_mock/webhook", json={"key": LIVE, "url": receiver.url}, timeout=LIVENESS_S)
        assert response.status_code == 200, response.text
        bought = http.post(f"{served.url}/api/v1/sms/us/numbers", json={"service": "whatsapp"},
                           headers={"Authorization": f"Bearer {LIVE}"}, timeout=LIVENESS_S)
        assert bought.status_code == 201, bought.text
        for step in ("3s", "5s"):
            assert http.post(f"{served.url}/_mock/clock", json={"advance": step}, timeout=LIVENESS_S).status_code == 200
        attempts = http.get(f"{served.url}/_mock/webhooks", timeout=LIVENESS_S).json()["attempts"]
        assert [(a["event"], a["attempt"], a["ok"]) for a in attempts] == [
            ("otp.received", 1, False), ("otp.received", 2, False)]
        # binascii words its reason differently across Python versions
        assert all(a["error"].startswith("signing failed: the signing secret is not whsec_ followed by base64 (")
                   for a in attempts)
        assert receiver.deliveries == []
    finally:
        served.close()


# -- the timeline runner ------------------------------------------------------------------------------


def test_an_event_that_raises_is_skipped_and_the_runner_goes_on():
    engine = Engine()
    fired = threading.Event()
    try:
        now = engine.clock.now()

        def boom(at_ms: int) -> None:
            raise ValueError("Port out of range 0-65535")

        engine.timeline.schedule(now, "t", boom, label="boom")
        engine.timeline.schedule(now + 50, "t", lambda at_ms: fired.set(), label="after boom")
        engine.start_runner()
        assert fired.wait(LIVENESS_S)        # the runner ran the next event in real time
        engine.timeline.schedule(engine.clock.now(), "t", boom, label="boom again")
        assert engine.timeline.run_due() == 1      # a request catching up is not failed by it either
    finally:
        engine.close()


# -- resets void work under way and queued -------------------------------------------------------------


@pytest.mark.parametrize("whole", [False, True], ids=["tenant reset", "full reset"])
def test_a_reset_stops_control_calls_waiting_for_attempts_it_voided(start_server, whole):
    hanging = WebhookReceiver()
    hanging.hold()
    try:
        mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}))
        key = "API-w-hang"
        assert mock.control("POST", "/webhook", json={"key": key, "url": hanging.url}).status_code == 200
        mock.buy(THREE_FUN, key=key)         # its number_purchased goes out and hangs
        assert len(hanging.wait_for(1)) == 1
        mock.buy(THREE_FUN, key=key)         # this one waits in the lane behind it
        response = control(mock, "POST", "/reset", json={} if whole else {"key": key})
        assert response.status_code == 200, response.text
        advance(mock, "0s", key)             # answers at once: nothing voided is waited for
        assert mock.webhooks(key=key) == []
        # Once the hanging attempt ends, its result is ignored, and the one queued behind it is
        # never sent: a new message to the same URL goes out right after the voided one.
        assert mock.control("POST", "/webhook", json={"key": key, "url": hanging.url}).status_code == 200
        hanging.release()
        mock.buy(THREE_FUN, key=key)
        advance(mock, "0s", key)
        assert [(a["event"], a["attempt"], a["ok"]) for a in mock.webhooks(key=key)] == [("number_purchased", 1, True)]
        assert hanging.events() == ["number_purchased", "number_purchased"]
    finally:
        hanging.release()
        hanging.close()
