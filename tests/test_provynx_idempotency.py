"""Idempotency-Key on Provynx purchases: replay, mismatch, concurrent duplicates, faults."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from harness import LIVE, OTHER_LIVE, scenario_with
from mockserver.settings import Limits

BODY = {"service": "whatsapp", "operator": "any", "server": 1}


def buy(mock, key_header: str, body=BODY, api_key=LIVE):
    return mock.pnx("POST", "/us/numbers", key=api_key, json=body, headers={"Idempotency-Key": key_header})


def test_a_repeat_replays_the_first_answer_without_a_second_debit(mock):
    first = buy(mock, "order-17")
    again = buy(mock, "order-17")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert mock.wallet() == 9.15
    assert len(mock.control("GET", "/state").json()["provynx"]["accounts"][0]["numbers"]) == 1
    reordered = mock.pnx("POST", "/us/numbers", data='{"server": 1,  "operator": "any", "service": "whatsapp"}',
                         headers={"Idempotency-Key": "order-17", "Content-Type": "application/json"})
    assert reordered.json() == first.json()                     # same JSON, other spacing and key order
    assert buy(mock, "order-18").json()["id"] != first.json()["id"]
    assert mock.wallet() == 8.30


def test_the_same_key_with_another_body_is_400(mock):
    buy(mock, "order-1")
    response = buy(mock, "order-1", body={**BODY, "operator": "tmobile"})
    assert response.status_code == 400
    assert response.json() == {"error": "Idempotency-Key was already used with a different request"}
    assert mock.wallet() == 9.15


def test_keys_belong_to_one_account(mock):
    mine = buy(mock, "shared-key").json()
    theirs = buy(mock, "shared-key", api_key=OTHER_LIVE).json()
    assert mine["id"] != theirs["id"]
    assert (mock.wallet(), mock.wallet(OTHER_LIVE)) == (9.15, 4.15)


def test_a_concurrent_repeat_while_the_first_is_in_flight_gets_409(start_server):
    # The first purchase is held up by a one-off 1 s delay (a slow provider).
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "times": 1, "delay": "1s"}]))
    first: dict = {}
    worker = threading.Thread(target=lambda: first.setdefault("response", buy(mock, "slow-1")))
    worker.start()
    deadline = time.monotonic() + 5
    while not mock.control("GET", "/state").json()["provynx"]["idempotency_in_flight"]:
        assert time.monotonic() < deadline, "the first purchase never started"
    concurrent = buy(mock, "slow-1")
    assert concurrent.status_code == 409
    assert concurrent.json() == {"error": "Purchase already in progress (retry with same idempotency key)"}
    worker.join(10)
    assert first["response"].status_code == 201
    retried = buy(mock, "slow-1")
    assert (retried.status_code, retried.json()) == (201, first["response"].json())
    assert mock.wallet() == 9.15


def test_a_failed_attempt_does_not_use_up_the_key(start_server):
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "provynx", "method": "POST"}, "times": 2, "respond": {"status": 502}}]))
    assert buy(mock, "flaky-1").status_code == 502
    assert buy(mock, "flaky-1").status_code == 502
    succeeded = buy(mock, "flaky-1")
    assert succeeded.status_code == 201
    assert buy(mock, "flaky-1").json() == succeeded.json()
    assert mock.wallet() == 9.15


def test_a_dropped_connection_frees_the_key_for_the_retry(start_server):
    """A drop fault breaks the connection (no answer at all), and the purchase it interrupted is
    not in flight any more: the client's retry with the same key is carried out."""
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "times": 1,
         "respond": {"drop": True}}]))
    with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        buy(mock, "dropped-1")
    assert mock.control("GET", "/state").json()["provynx"]["idempotency_in_flight"] == []
    retried = buy(mock, "dropped-1")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert buy(mock, "dropped-1").json() == retried.json()
    assert mock.wallet() == 9.15


# -- bounds on what the keys keep ---------------------------------------------------------------


def test_a_key_longer_than_the_limit_is_400_and_buys_nothing(mock):
    response = buy(mock, "k" * 256)
    assert response.status_code == 400
    assert response.json() == {"error": "Idempotency-Key must be at most 255 characters"}
    assert mock.wallet() == 10
    assert buy(mock, "k" * 255).status_code == 201


def test_a_tenant_keeps_its_newest_keys_up_to_the_limit(start_server):
    mock = start_server(scenario_with(), limits=Limits(idempotency_keys_per_tenant=2))
    first = buy(mock, "order-1").json()
    buy(mock, "order-2")
    assert buy(mock, "order-2").headers.get("Idempotent-Replayed") == "true"
    buy(mock, "order-3")                    # order-1, the oldest, is forgotten to make room
    again = buy(mock, "order-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first["id"]
    theirs = buy(mock, "order-9", api_key=OTHER_LIVE)        # another tenant's keys are its own
    assert buy(mock, "order-3").headers.get("Idempotent-Replayed") == "true"
    assert buy(mock, "order-9", api_key=OTHER_LIVE).json() == theirs.json()


def test_the_sandbox_keeps_its_newest_keys_up_to_the_limit(start_server):
    mock = start_server(scenario_with(), limits=Limits(idempotency_keys=2))
    buy(mock, "order-1")
    buy(mock, "order-2", api_key=OTHER_LIVE)
    buy(mock, "order-3")                    # order-1, the oldest of anyone's, is forgotten
    assert "Idempotent-Replayed" not in buy(mock, "order-1").headers
    assert buy(mock, "order-1").headers.get("Idempotent-Replayed") == "true"


def test_a_large_refusal_is_not_kept_and_a_repeat_runs_again(mock):
    body = {**BODY, "service": "s" * 5000}      # 404 Pricing not found, quoting the service
    refused = buy(mock, "big-1", body=body)
    assert refused.status_code == 404
    assert refused.json() == {"error": f"Pricing not found for service '{'s' * 5000}' on server 1"}
    again = buy(mock, "big-1", body=body)
    assert (again.status_code, again.json()) == (404, refused.json())
    assert "Idempotent-Replayed" not in again.headers
    assert mock.sandbox.backends["provynx"].idempotency._entries[("acme:live", "big-1")].body is None
    other = buy(mock, "big-1")                      # the key is still bound to its request
    assert (other.status_code, other.json()) == (400, {"error": "Idempotency-Key was already used with a different request"})
    assert mock.wallet() == 10
    small = buy(mock, "small-1", body={**BODY, "service": "nope"})
    assert buy(mock, "small-1", body={**BODY, "service": "nope"}).headers.get("Idempotent-Replayed") == "true"
    assert small.status_code == 404


def test_a_refusal_that_cannot_be_encoded_is_not_kept(mock):
    raw = '{"service": "\\ud800", "operator": "any", "server": 1}'       # a lone surrogate, quoted in the 404
    mock.pnx("POST", "/us/numbers", data=raw, headers={"Idempotency-Key": "lone-1", "Content-Type": "application/json"})
    assert mock.control("GET", "/state").json()["provynx"]["idempotency_in_flight"] == []
    # Whatever the answer's encoder makes of it, the key holds no body that a replay would send.
    stored = mock.sandbox.backends["provynx"].idempotency._entries[("acme:live", "lone-1")]
    assert (stored.status, stored.body) == (404, None)


def test_an_unknown_server_refuses_the_input_and_frees_the_key(mock):
    refused = buy(mock, "srv-1", body={**BODY, "server": 9})
    assert refused.status_code == 400
    assert refused.json() == {"error": "Invalid request: server: Must be one of: 1, 2, 3."}
    corrected = buy(mock, "srv-1")
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert mock.wallet() == 9.15


def test_state_for_a_key_shows_only_its_tenants_keys_in_flight(start_server):
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "times": 1, "delay": "1s"}]))
    worker = threading.Thread(target=lambda: buy(mock, "slow-1"))
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not mock.control("GET", "/state").json()["provynx"]["idempotency_in_flight"]:
            assert time.monotonic() < deadline, "the first purchase never started"
        assert mock.control("GET", "/state", params={"key": LIVE}).json()["provynx"]["idempotency_in_flight"] == [
            {"scope": "acme:live", "key": "slow-1"}]
        assert mock.control("GET", "/state", params={"key": OTHER_LIVE}).json()["provynx"]["idempotency_in_flight"] == []
    finally:
        worker.join(10)
