"""Tenants: keys matching the scenario's patterns become separate accounts with their own clock,
so parallel test workers share one server without seeing each other."""
from __future__ import annotations

from harness import AIRBNB, START, THREE_FUN

A, B = "API-w-alpha", "API-w-beta"


def test_matching_keys_are_provisioned_on_first_use_and_unknown_ones_are_not(mock):
    assert mock.credits(A) == 20 and mock.credits(B) == 20
    assert mock.pva("GET", "/balance", key="API-stranger").status_code == 401
    assert mock.wallet("nsk_live_w1") == 3.0
    assert mock.pnx("GET", "/balance", key="nsk_test_w1").json()["sandbox"] is True
    assert mock.pnx("GET", "/balance", key="nsk_live_other_x").status_code == 401
    assert mock.pnx("GET", "/balance", key="nsk_live_revoked").status_code == 401


def test_two_tenants_see_only_their_own_numbers(mock):
    mine, theirs = mock.buy(AIRBNB, key=A)[0], mock.buy(AIRBNB, key=B)[0]
    assert mock.pva("GET", f"/request/{theirs['_id']}", key=A).status_code == 404
    assert [e["node"]["_id"] for e in mock.pva("GET", "/requests", key=A).json()["data"]["data"]["edges"]] == [mine["_id"]]
    assert (mock.credits(A), mock.credits(B)) == (19.8, 19.8)


def test_two_tenants_move_their_clocks_independently(mock):
    slow, fast = mock.buy(THREE_FUN, key=A)[0], mock.buy(THREE_FUN, key=B)[0]
    response = mock.control("POST", "/clock", json={"advance": "20m", "key": B})
    assert response.json() == {"now": "2026-01-28T23:02:26.452Z", "frozen": True}
    assert mock.detail(fast["_id"], key=B)["status"] == "TIMEOUT"
    assert mock.detail(slow["_id"], key=A)["status"] == "RESERVED"
    assert mock.control("GET", "/clock", params={"key": A}).json()["now"] == START
    assert mock.control("GET", "/clock").json()["now"] == START           # the shared clock did not move
    later = mock.buy(THREE_FUN, key=B)[0]
    assert later["createdAt"] == "2026-01-28T23:02:26.452Z"               # B's ids and times run on B's clock
    mock.control("POST", "/clock", json={"set": "2026-01-28T23:00:00Z", "key": A})
    assert mock.detail(slow["_id"], key=A)["status"] == "RESERVED"
    mock.control("POST", "/clock", json={"advance": "2m26452ms", "key": A})
    assert mock.detail(slow["_id"], key=A)["status"] == "TIMEOUT"


def test_resetting_one_tenant_leaves_the_others(mock):
    mock.buy(AIRBNB, key=A)
    kept = mock.buy(AIRBNB, key=B)[0]
    mock.control("POST", "/clock", json={"advance": "1h", "key": A})
    response = mock.control("POST", "/reset", json={"key": A})
    assert response.json() == {"status": "reset", "scenario": "test", "now": START, "frozen": True, "key": A}
    assert mock.credits(A) == 20
    assert mock.pva("GET", "/requests", key=A).json()["data"]["data"]["edges"] == []
    assert mock.detail(kept["_id"], key=B)["status"] == "RESERVED" and mock.credits(B) == 19.8
    # a declared account goes back to its scenario balance
    mock.buy(AIRBNB)
    mock.control("POST", "/reset", json={"key": "API-test-one"})
    assert mock.credits() == 100 and mock.credits(B) == 19.8


def test_webhook_logs_and_state_are_per_tenant(start_server, receiver):
    from harness import scenario_with
    mock = start_server(scenario_with(**{"pvadeals.tenants": {"keys": ["API-w*"], "webhook": receiver.url}}))
    mock.buy(THREE_FUN, key=A)
    mock.buy(THREE_FUN, key=B)
    mock.buy(AIRBNB, key=B)
    mock.control("POST", "/clock", json={"advance": "0s", "key": A})
    mock.control("POST", "/clock", json={"advance": "0s", "key": B})
    assert len(mock.webhooks(key=A)) == 1 and len(mock.webhooks(key=B)) == 2
    state = mock.control("GET", "/state", params={"key": B}).json()
    assert [a["key"] for a in state["pvadeals"]["accounts"]] == [B] and state["provynx"]["accounts"] == []
    assert len(state["pending"]) == 3       # B's two end times and its Airbnb SMS


def test_provynx_tenants(mock):
    one = mock.pnx_buy(key="nsk_live_w1")
    mock.pnx_buy(key="nsk_live_w2")
    assert mock.pnx("GET", f"/us/numbers/{one['id']}", key="nsk_live_w2").status_code == 404
    mock.control("POST", "/clock", json={"advance": "3s", "key": "nsk_live_w1"})
    assert mock.pnx("GET", f"/us/numbers/{one['id']}/code", key="nsk_live_w1").json()["status"] == "received"
    assert (mock.wallet("nsk_live_w1"), mock.wallet("nsk_live_w2")) == (2.15, 2.15)


def test_control_calls_for_unknown_keys_are_404(mock):
    for method, path, kwargs in [("POST", "/clock", {"json": {"advance": "1s", "key": "API-nobody"}}),
                                 ("POST", "/reset", {"json": {"key": "API-nobody"}}),
                                 ("GET", "/state", {"params": {"key": "API-nobody"}})]:
        response = mock.control(method, path, **kwargs)
        assert response.status_code == 404
        assert response.json() == {"error": "no account has the key API-nobody (and it matches no tenant pattern)",
                                   "status": 404}
