"""Scenarios at run time: PUT /_mock/scenario, broken ones leaving the running one untouched,
and the scenario features that need a server (on_poll, number patterns, fault windows)."""
from __future__ import annotations

import pytest
import yaml

from harness import AIRBNB, LIVE, scenario_with

BROKEN = [  # (a mistake, the line and field it must be reported at)
    ("name: x\npvadeals:\n  lifetime: forever\n", "3: pvadeals.lifetime: not a duration"),
    ("name: x\npvadeals:\n  acounts: []\n", "3: pvadeals.acounts: Unknown field."),
    ("description: no name\n", "1: name: Missing data for required field."),
    ("name: x\npvadeals:\n  accounts:\n    - key: API-a\n      credits: lots\n", "5: pvadeals.accounts[0].credits: not an amount"),
    ("name: x\npvadeals:\n  accounts:\n    - key: API-a\n    - key: API-a\n", "5: pvadeals.accounts[1].key: the same as accounts[0]"),
    ("name: x\npvadeals:\n  behaviors:\n    - sms: [{after: 3s, on_poll: 2}]\n", "4: pvadeals.behaviors[0].sms[0]: give after or on_poll"),
    ("name: x\npvadeals:\n  behaviors:\n    - sms: sometimes\n", "4: pvadeals.behaviors[0].sms: a list of messages, or 'never' or 'manual'"),
    ("name: x\npvadeals:\n  behaviors:\n    - match: {country: gb}\n", "4: pvadeals.behaviors[0].match.country: Unknown field."),
    ("name: x\npvadeals:\n  behaviors:\n    - cancel: {allowed: false}\n", "4: pvadeals.behaviors[0].cancel: Unknown field."),
    ("name: x\nprovynx:\n  behaviors:\n    - reuse: {price: 1}\n", "4: provynx.behaviors[0].reuse: Unknown field."),
    ("name: x\npvadeals:\n  webhooks: {retries: -1}\n", "3: pvadeals.webhooks.retries: Must be greater than or equal to 0"),
    ("name: x\npvadeals:\n  rate_limits:\n    - {limit: 10}\n", "4: pvadeals.rate_limits[0].window: Missing data for required field."),
    ("name: x\nprovynx:\n  accounts:\n    - keys: [nsk_live_a]\n      balance: -1\n",
     "5: provynx.accounts[0].balance: an amount must be a finite number, 0 or more"),
    ("name: x\nprovynx:\n  servers:\n    1: {us: {operators: []}}\n", "4: provynx.servers[1]"),
    ("name: x\nprovynx:\n  cors_origins: [app.example.com]\n", "3: provynx.cors_origins[0]: an origin is scheme://host[:port]"),
    ("name: x\nfaults:\n  - respond: {status: 200}\n", "3: faults[0].respond.status: Must be greater than or equal to 400"),
    ("name: x\nfaults:\n  - respond: {status: 500, drop: true}\n", "3: faults[0].respond: give one of: status"),
    ("name: x\nclock: {frozen: sometimes}\n", "2: clock.frozen: Not a valid boolean."),
    ("name: x\nseed: [1, 2]\n", "2: seed: a seed is a whole number or a string"),
]


@pytest.mark.parametrize("text, problem", BROKEN)
def test_a_broken_scenario_is_refused_with_its_line_and_field_and_the_running_one_stays(mock, text, problem):
    mock.buy(AIRBNB)
    response = mock.control("PUT", "/scenario", data=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "scenario not loaded; the running one is unchanged"
    assert any(line.startswith(f"PUT /_mock/scenario:{problem}") for line in body["problems"]), body["problems"]
    assert mock.control("GET", "/scenario").json()["name"] == "test"
    assert len(mock.pva("GET", "/requests").json()["data"]["data"]["edges"]) == 1     # state kept too


def test_the_broken_list_covers_at_least_fifteen_kinds_of_mistake():
    assert len(BROKEN) >= 15


def test_put_answers_the_warnings_of_a_scenario_that_loads(mock):
    """It loads (a warning is no mistake), and the answer says what looks like one."""
    text = "name: odd\npvadeals:\n  behaviors:\n    - match: {service: Telegarm}\n"
    response = mock.control("PUT", "/scenario", data=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        "PUT /_mock/scenario:4: pvadeals.behaviors[0].match.service: warning: matches no service of the catalog, "
        "so this behavior never applies; did you mean `Telegram`?",
        "PUT /_mock/scenario:1: (top level): warning: no accounts and no tenant key patterns in any provider "
        "section: every API call would answer 401 (add accounts, or copy them from the bundled default scenario)"]
    assert mock.control("GET", "/scenario").json()["warnings"] == response.json()["warnings"]


def test_put_loads_yaml_or_a_bundled_name_and_starts_it_afresh(mock):
    mock.buy(AIRBNB)
    text = yaml.safe_dump(scenario_with(name="replacement", **{"pvadeals.accounts": [{"key": "API-new", "credits": 7}]}))
    response = mock.control("PUT", "/scenario", data=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200 and response.json()["name"] == "replacement"
    assert mock.pva("GET", "/balance", key="API-new").json()["data"]["credits"] == 7
    assert mock.pva("GET", "/balance").status_code == 401
    response = mock.control("PUT", "/scenario", json={"name": "rate-limited"})
    assert (response.status_code, response.json()["name"]) == (200, "rate-limited")
    missing = mock.control("PUT", "/scenario", json={"name": "no-such"})
    assert missing.status_code == 400 and missing.json()["problems"][0].startswith("no bundled scenario 'no-such'")


def test_sms_on_the_nth_poll(start_server):
    mock = start_server(scenario_with(**{
        "pvadeals.behaviors": [{"match": {}, "sms": [{"on_poll": 3}]}],
        "provynx.behaviors": [{"match": {}, "sms": [{"on_poll": 2, "text": "Code {code} for {service}"}]}]}))
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("10m")
    assert [mock.detail(request_id)["status"] for _ in range(3)] == ["RESERVED", "RESERVED", "COMPLETED"]
    number = mock.pnx_buy()
    polls = [mock.pnx("GET", f"/us/numbers/{number['id']}/code").json() for _ in range(2)]
    assert polls[0]["status"] == "pending" and polls[1]["sms"] == f"Code {polls[1]['code']} for WhatsApp"


def test_behaviors_can_match_a_number_pattern(start_server):
    # Every US number starts +1; the seed decides the area code, so match on what it gave.
    probe = start_server(scenario_with())
    area = probe.buy(AIRBNB)[0]["number"][:5]
    mock = start_server(scenario_with(**{"pvadeals.behaviors": [
        {"match": {"number": f"{area}*"}, "sms": "never"}, {"match": {}, "sms": [{"after": "1s"}]}]}))
    first = mock.buy(AIRBNB)[0]
    assert first["number"].startswith(area)
    mock.advance("5s")
    assert mock.detail(first["_id"])["status"] == "RESERVED"


def test_a_fault_window_in_virtual_time(start_server):
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "pvadeals", "path": "/balance"}, "during": {"from": "1m", "until": "2m"},
         "respond": {"status": 503}}]))
    assert mock.pva("GET", "/balance").status_code == 200
    mock.advance("1m")
    response = mock.pva("GET", "/balance")
    assert (response.status_code, response.json()) == (503, {"success": False, "message": "Service temporarily unavailable",
                                                             "status": 503})
    mock.advance("1m")
    assert mock.pva("GET", "/balance").status_code == 200


def test_manual_sms_waits_for_the_control_api(start_server):
    mock = start_server(scenario_with(**{"provynx.behaviors": [{"match": {"service": "WhatsApp"}, "sms": "manual"}]}))
    number = mock.pnx_buy(service="whatsapp")
    mock.advance("10m")
    assert mock.pnx("GET", f"/us/numbers/{number['id']}/code").json()["status"] == "pending"
    mock.control("POST", "/sms", json={"provider": "provynx", "id": number["id"]})
    assert mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=LIVE).json()["status"] == "received"
