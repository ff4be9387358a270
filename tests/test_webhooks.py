"""PVADeals webhooks on a real receiver: payloads, retries on the virtual clock, isolation."""
from __future__ import annotations

import socket

from harness import AIRBNB, START, THREE_FUN, scenario_with


def with_webhook(url: str, **policy) -> dict:
    changes = {"pvadeals.accounts": [{"key": "API-test-one", "credits": 100, "webhook": url}]}
    if policy:
        changes["pvadeals.webhooks"] = policy
    return scenario_with(**changes)


def test_every_event_is_posted_with_the_documented_payload_and_the_query_kept(start_server, receiver):
    mock = start_server(with_webhook(receiver.url + "/hooks/pva?secret=s3cr3t"))
    bought = mock.buy(AIRBNB)[0]
    [purchased] = receiver.wait_for(1)
    assert purchased["path"] == "/hooks/pva?secret=s3cr3t"
    assert purchased["headers"]["Content-Type"] == "application/json"
    assert list(purchased["json"]) == ["event", "timestamp", "requestId", "serviceId", "number", "message"]
    assert purchased["json"] == {"event": "number_purchased", "timestamp": START, "requestId": bought["_id"],
                                 "serviceId": AIRBNB, "number": bought["number"], "message": ""}
    mock.advance("3s")
    sms = receiver.wait_for(2)[1]["json"]
    assert sms["event"] == "sms_received" and sms["timestamp"] == "2026-01-28T22:42:29.452Z"
    assert sms["message"].startswith("Your Airbnb verification code is ")
    assert mock.pva("POST", f"/reuse/{bought['_id']}").status_code == 200
    reused = receiver.wait_for(3)[2]["json"]
    assert reused == {"event": "number_reused", "timestamp": "2026-01-28T22:42:29.452Z", "requestId": bought["_id"],
                      "serviceId": AIRBNB, "number": bought["number"], "message": ""}
    other = mock.buy(THREE_FUN)[0]
    mock.pva("POST", f"/flag/{other['_id']}")
    flagged = receiver.wait_for(5)[4]["json"]
    assert flagged == {"event": "number_flagged", "timestamp": "2026-01-28T22:42:29.452Z",
                       "requestId": other["_id"], "serviceId": THREE_FUN, "number": other["number"], "message": ""}
    mock.advance("0s")           # control calls finish the deliveries under way before answering
    events = [a["event"] for a in mock.webhooks()]
    assert events == ["number_purchased", "sms_received", "number_reused", "number_purchased", "number_flagged"]
    assert [a["event"] for a in mock.webhooks(event="sms_received")] == ["sms_received"]


def test_a_receiver_that_always_fails_gets_exactly_6_attempts_5s_apart(start_server, receiver):
    receiver.fail_next(1000)
    mock = start_server(with_webhook(receiver.url))
    mock.buy(THREE_FUN)
    mock.advance("24s")
    assert len(mock.webhooks()) == 5
    mock.advance("1s")
    attempts = mock.webhooks()
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert [a["at"] for a in attempts] == [f"2026-01-28T22:42:{s}.452Z" for s in (26, 31, 36, 41, 46, 51)]
    assert {(a["status"], a["error"], a["ok"]) for a in attempts} == {(500, "HTTP 500", False)}
    assert len({a["id"] for a in attempts}) == 1
    mock.advance("1h")
    assert len(mock.webhooks()) == 6 and len(receiver.deliveries) == 6


def test_a_receiver_that_recovers_on_attempt_3_gets_3(start_server, receiver):
    receiver.fail_next(2, status=503)
    mock = start_server(with_webhook(receiver.url))
    mock.buy(THREE_FUN)
    mock.advance("1h")
    attempts = mock.webhooks()
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [(1, 503, False), (2, 503, False), (3, 204, True)]
    assert len(receiver.deliveries) == 3
    assert receiver.deliveries[0]["body"] == receiver.deliveries[2]["body"]


def test_redirects_count_as_failures(start_server, receiver):
    receiver.fail_next(1, status=302)
    mock = start_server(with_webhook(receiver.url))
    mock.buy(THREE_FUN)
    mock.advance("5s")
    assert [(a["status"], a["error"]) for a in mock.webhooks()] == [(302, "HTTP 302"), (204, None)]


def test_unreachable_and_slow_receivers_are_logged_and_retried_by_policy(start_server, receiver):
    with socket.socket() as probe:            # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    mock = start_server(with_webhook(f"http://127.0.0.1:{dead_port}/x", retries=2, delay="1m"))
    mock.buy(THREE_FUN)
    mock.advance("2m")
    attempts = mock.webhooks()
    assert [a["at"][11:19] for a in attempts] == ["22:42:26", "22:43:26", "22:44:26"]
    assert all(a["error"].startswith("connection error:") and a["status"] is None for a in attempts)

    receiver.delay_s = 1.0
    slow = start_server(with_webhook(receiver.url, retries=1, timeout="200ms"))
    slow.buy(THREE_FUN)
    slow.advance("5s")
    assert [(a["attempt"], a["error"]) for a in slow.webhooks()] == [(1, "timeout after 200 ms"), (2, "timeout after 200 ms")]


def test_a_receiver_that_holds_every_delivery_never_slows_an_api_call(start_server, receiver):
    receiver.hold()                          # the receiver accepts, then never answers
    mock = start_server(with_webhook(receiver.url, timeout="30s"))
    for _ in range(20):                       # more purchases than there are delivery workers
        response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": THREE_FUN}]}, timeout=2)
        assert response.status_code == 200
    assert mock.pva("GET", "/balance", timeout=2).json()["data"]["credits"] == 98
    assert len(receiver.wait_for(1)) >= 1    # deliveries are under way...
    assert mock.webhooks() == []             # ...and none has been answered, so none is logged yet
    receiver.release()


def test_no_webhook_url_means_no_deliveries(mock):
    mock.buy(AIRBNB)
    mock.advance("3s")
    assert mock.webhooks() == []


def test_a_redelivery_between_retries_takes_the_next_number_and_the_retry_budget_is_unchanged(start_server, receiver):
    receiver.fail_next(1000)
    mock = start_server(with_webhook(receiver.url))
    mock.buy(THREE_FUN)
    mock.advance("0s")                               # attempt 1 failed; the retry is due at +5 s
    [first] = mock.webhooks()
    redelivered = mock.control("POST", f"/webhooks/{first['id']}/redeliver").json()
    assert (redelivered["attempt"], redelivered["at"], redelivered["ok"]) == (2, START, False)
    mock.advance("1h")
    attempts = mock.webhooks()
    # The five automatic retries still go out, numbered after the redelivery, at their own times.
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4, 5, 6, 7]
    assert [a["at"][17:19] for a in attempts] == ["26", "26", "31", "36", "41", "46", "51"]
    assert len(receiver.deliveries) == 7
