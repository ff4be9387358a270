"""100 requests per rolling 60 s per key, and the scenario's other rule sets."""
from __future__ import annotations

from harness import OTHER_KEY, scenario_with

LIMITED = {"message": "API Rate limit exceeded. Maximum 100 requests per minute.", "status": 429, "retryAfter": 60}


def test_the_101st_request_inside_60s_is_429_and_the_first_after_the_window_is_not(mock):
    for _ in range(100):
        assert mock.pva("GET", "/balance").status_code == 200
    response = mock.pva("GET", "/balance")
    assert response.status_code == 429
    assert response.json() == LIMITED
    assert response.headers["Retry-After"] == "60"
    mock.advance("59999ms")
    assert mock.pva("GET", "/balance").status_code == 429
    mock.advance("1ms")
    assert mock.pva("GET", "/balance").status_code == 200


def test_retry_after_counts_down_to_when_the_oldest_request_leaves_the_window(mock):
    for _ in range(40):
        mock.pva("GET", "/balance")
    mock.advance("25s")
    for _ in range(60):
        mock.pva("GET", "/balance")
    response = mock.pva("GET", "/balance")
    assert (response.status_code, response.json()["retryAfter"], response.headers["Retry-After"]) == (429, 35, "35")
    mock.advance("35s")                   # the first 40 leave the window: 40 slots free up
    assert all(mock.pva("GET", "/balance").status_code == 200 for _ in range(40))
    assert mock.pva("GET", "/balance").status_code == 429


def test_rejected_and_unauthenticated_requests_do_not_count(mock):
    for _ in range(30):
        assert mock.pva("GET", "/balance", key="API-nobody").status_code == 401
    for _ in range(100):
        mock.pva("GET", "/balance")
    for _ in range(50):
        assert mock.pva("GET", "/balance").status_code == 429
    mock.advance("60s")                   # had the 429s counted, the window would still be full
    assert mock.pva("GET", "/balance").status_code == 200


def test_every_endpoint_and_every_outcome_counts_against_the_same_key(mock):
    for index in range(100):
        path = ["/balance", "/services/all", "/requests", "/request/nope"][index % 4]
        assert mock.pva("GET", path).status_code in (200, 404)
    assert mock.pva("POST", "/purchase", json={"services": []}).status_code == 429


def test_limits_are_per_key(mock):
    for _ in range(100):
        mock.pva("GET", "/balance")
    assert mock.pva("GET", "/balance").status_code == 429
    assert mock.pva("GET", "/balance", key=OTHER_KEY).status_code == 200


def test_the_v3_3_two_layer_rules_from_a_scenario(start_server):
    """Per-IP token bucket 300/60 s on every path plus 60 per window on the purchase paths."""
    mock = start_server(scenario_with(**{"pvadeals.rate_limits": [
        {"scope": "ip", "algorithm": "token_bucket", "limit": 300, "window": "60s"},
        {"scope": "key", "limit": 60, "window": "60s", "paths": ["/purchase", "/purchase-ltr"]},
    ]}))
    for _ in range(60):
        assert mock.pva("POST", "/purchase", json={"services": []}).status_code == 400
    limited = mock.pva("POST", "/purchase", json={"services": []})
    assert (limited.status_code, limited.json()["message"]) == (429, "API Rate limit exceeded. Maximum 60 requests per minute.")
    for _ in range(240):                  # the bucket had 300 tokens; 60 went to purchases
        assert mock.pva("GET", "/balance").status_code == 200
    drained = mock.pva("GET", "/balance", key=OTHER_KEY)   # the IP bucket is shared across keys
    assert (drained.status_code, drained.json()["retryAfter"]) == (429, 1)   # one token refills in 0.2 s
    mock.advance("200ms")
    assert mock.pva("GET", "/balance").status_code == 200
    assert mock.pva("GET", "/balance").status_code == 429
    mock.advance("60s")
    assert mock.pva("POST", "/purchase", json={"services": []}).status_code == 400
