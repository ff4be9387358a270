"""Bounds on what one client request may make the sandbox keep or do: bodies, numbers, idempotency
records, tenants made from key patterns; and values a lenient parser would have taken for others."""
from __future__ import annotations

import pytest

from harness import AIRBNB, BASE_SCENARIO, KEY, LIVE
from mockserver.settings import Limits


def test_a_body_over_the_limit_is_413_in_the_providers_shape_and_buys_nothing(mock):
    padded = b'{"services": [{"serviceId": "%s"}]}' % AIRBNB.encode() + b" " * (100 * 1024)
    response = mock.pva("POST", "/purchase", data=padded, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (413, {"success": False, "message": "Request entity too large",
                                                             "status": 413})
    provynx = mock.pnx("POST", "/us/numbers", data=b'{"service": "whatsapp"}' + b" " * (100 * 1024),
                       headers={"Content-Type": "application/json"})
    assert (provynx.status_code, provynx.json()) == (413, {"error": "Request body too large"})
    assert mock.credits() == 100 and mock.wallet() == 10
    [refused] = mock.control("GET", "/requests", params={"status": 413, "provider": "pvadeals"}).json()["requests"]
    assert refused["body"] == ""                       # the journal kept none of it


@pytest.mark.parametrize("body, message", [
    ('{"advance": ' + "9" * 4000 + "}", "a number in the body is longer than 32 characters"),
    ('{"advance": 1e400}', "a number in the body is too large"),
    ('{"advance": NaN}', "NaN is not a JSON value"),
    ('{"advance": -Infinity}', "-Infinity is not a JSON value"),
    ("[" * 1000 + "]" * 1000, "the body is nested more than 32 levels deep"),
])
def test_numbers_and_nesting_no_parser_should_hold_are_400(mock, body, message):
    response = mock.control("POST", "/clock", data=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, {"error": message, "status": 400})
    assert mock.control("GET", "/clock").json()["now"] == "2026-01-28T22:42:26.452Z"


@pytest.mark.parametrize("server", [1.5, "1", True, 1e400])
def test_a_provynx_server_is_a_whole_number(mock, server):
    body = f'{{"service": "whatsapp", "server": {"1e400" if server == 1e400 else __import__("json").dumps(server)}}}'
    response = mock.pnx("POST", "/us/numbers", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] in ("Invalid request: server: Not a valid integer.",
                                        "Invalid request: a number in the body is too large")
    assert mock.wallet() == 10


def test_an_idempotency_key_keeps_a_hash_and_only_answers_worth_replaying(mock):
    long_service = "x" * 50_000                       # a 404 (no such service) is an answer worth replaying
    for n in range(20):
        answer = mock.pnx("POST", "/us/numbers", json={"service": long_service}, headers={"Idempotency-Key": f"k{n}"})
        assert answer.status_code == 404
    refused = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp", "server": "1"},
                       headers={"Idempotency-Key": "typo"})
    assert refused.status_code == 400                  # refused before the purchase began: not kept
    corrected = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp"}, headers={"Idempotency-Key": "typo"})
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    records = mock.sandbox.backends["provynx"].idempotency._entries
    assert len(records) == 21
    assert {len(record.fingerprint) for record in records.values()} == {64}     # sha256, never the body


def test_tenants_from_key_patterns_stop_at_the_limit(start_server):
    mock = start_server(BASE_SCENARIO, limits=Limits(max_tenants=2))
    for key in ("API-w1", "API-w2"):
        assert mock.pva("GET", "/balance", key=key).status_code == 200
    refused = mock.pva("GET", "/balance", key="API-w3")
    assert (refused.status_code, refused.json()) == (401, {
        "success": False, "status": 401,
        "message": "Unauthorized Access! Invalid API key (this sandbox has made 2 accounts from key patterns already "
                   "(MOCKSERVER_MAX_TENANTS); reset it, or one tenant, to make room)"})
    assert mock.pva("GET", "/balance", key=KEY).status_code == 200            # declared accounts are not counted
    for key in ("nsk_live_w1", "nsk_test_w2"):
        assert mock.pnx("GET", "/balance", key=key).status_code == 200
    assert mock.pnx("GET", "/balance", key="nsk_live_w3").json()["error"].startswith(
        "Missing or invalid API key (this sandbox has made 2 accounts")
    assert mock.pnx("GET", "/balance", key=LIVE).status_code == 200
    clock = mock.control("POST", "/clock", json={"advance": "1s", "key": "API-w9"})    # a change makes accounts
    assert clock.status_code == 409 and "MOCKSERVER_MAX_TENANTS" in clock.json()["error"]
    assert mock.control("POST", "/reset", json={"key": "API-w1"}).status_code == 200
    assert mock.pva("GET", "/balance", key="API-w3").status_code == 200       # the reset made room
