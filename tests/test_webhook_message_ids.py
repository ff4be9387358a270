"""Webhook message ids (webhook-id, which Standard Webhooks receivers de-duplicate on) are never
sent twice by default, across resets and restarts; a scenario that asks gets them from the seed."""
from __future__ import annotations

import pytest
import yaml

from harness import AIRBNB, KEY, LIVE, SECRET, scenario_with


def hooked(receiver, **changes) -> dict:
    return scenario_with(**{
        "pvadeals.accounts": [{"key": KEY, "credits": 100, "webhook": receiver.url + "/pva"}],
        "provynx.accounts": [{"name": "acme", "keys": [LIVE], "balance": 10,
                              "webhook": {"url": receiver.url + "/pnx", "secret": SECRET}}],
        **changes})


def run(mock, receiver) -> dict:
    """One run of a client: a PVADeals request and a Provynx number, each with its code; what the
    receiver got, by provider, and the numbers and codes."""
    receiver.clear()
    [request] = mock.buy(AIRBNB)
    number = mock.pnx_buy()
    mock.advance("3s")
    deliveries = receiver.wait_for(3)
    ids = {path: [d["headers"].get("webhook-id") for d in deliveries if d["path"] == path] for path in ("/pva", "/pnx")}
    logged = {a["provider"]: [] for a in mock.webhooks()}
    for attempt in mock.webhooks():
        logged[attempt["provider"]].append(attempt["id"])
    state = mock.control("GET", "/state").json()
    codes = (state["pvadeals"]["accounts"][0]["requests"][0]["messages"][0]["code"],
             mock.pnx("GET", f"/us/numbers/{number['id']}/code").json()["code"])
    return {"pnx_ids": ids["/pnx"], "logged": logged, "numbers": (request["number"], number["number"]), "codes": codes}


def test_ids_differ_after_every_reset_while_numbers_and_codes_repeat(start_server, receiver):
    mock = start_server(hooked(receiver))
    first = run(mock, receiver)
    mock.control("POST", "/reset")
    second = run(mock, receiver)
    mock.control("POST", "/reset")
    third = run(mock, receiver)
    assert first["numbers"] == second["numbers"] == third["numbers"]
    assert first["codes"] == second["codes"] == third["codes"]
    ids = [i for r in (first, second, third) for provider in ("pvadeals", "provynx") for i in r["logged"][provider]]
    assert len(ids) == 9 and len(set(ids)) == 9          # 2 PVADeals and 1 Provynx message a run
    assert all(i.startswith("msg_") and len(i) == 28 for i in ids)
    assert [r["pnx_ids"] for r in (first, second, third)] == [r["logged"]["provynx"] for r in (first, second, third)]


def test_ids_differ_across_restarts_of_the_same_scenario(start_server, receiver):
    first = run(start_server(hooked(receiver)), receiver)
    second = run(start_server(hooked(receiver)), receiver)
    assert first["numbers"] == second["numbers"] and first["codes"] == second["codes"]
    assert first["logged"]["pvadeals"][0] != second["logged"]["pvadeals"][0]
    assert first["logged"]["provynx"] != second["logged"]["provynx"]


def test_reproducible_ids_repeat_after_a_reset_and_a_restart_and_differ_between_providers(start_server, receiver):
    scenario = hooked(receiver, **{"webhooks": {"message_ids": "reproducible"}})
    mock = start_server(scenario)
    first = run(mock, receiver)
    mock.control("POST", "/reset")
    second = run(mock, receiver)
    third = run(start_server(scenario), receiver)
    assert first == second == third
    assert first["logged"]["pvadeals"][0] != first["logged"]["provynx"][0]
    assert len({*first["logged"]["pvadeals"], *first["logged"]["provynx"]}) == 3
    # the ids are the only difference a run with unique ids makes
    unique = run(start_server(hooked(receiver)), receiver)
    assert (unique["numbers"], unique["codes"]) == (first["numbers"], first["codes"])


def test_the_setting_is_in_the_scenario_and_checked(start_server):
    mock = start_server(scenario_with(**{"webhooks": {"message_ids": "reproducible"}}))
    assert mock.control("GET", "/scenario").json()["definition"]["webhooks"] == {"message_ids": "reproducible"}
    bad = yaml.safe_dump(scenario_with(**{"webhooks": {"message_ids": "random"}}))
    response = mock.control("PUT", "/scenario", data=bad, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 400
    assert "webhooks.message_ids: Must be one of: unique, reproducible." in response.text


@pytest.mark.parametrize("kind", ["unique", "reproducible"])
def test_redelivery_keeps_the_message_id(start_server, receiver, kind):
    mock = start_server(hooked(receiver, **{"webhooks": {"message_ids": kind}}))
    mock.pnx_buy()
    mock.advance("3s")
    [attempt] = mock.webhooks(provider="provynx")
    assert mock.control("POST", f"/webhooks/{attempt['id']}/redeliver").status_code == 200
    first, again = receiver.wait_for(2)
    assert first["headers"]["webhook-id"] == again["headers"]["webhook-id"] == attempt["id"]
