"""The engine's parts for the sms-activate protocol, through a real server: snapshots (what is
still to come included), tenants from key patterns, rate limits as data, webhook retries as
the scenario says (none by default), the webhook probe, the dashboard and the control API's state."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from harness import START

KEY = "SA-test-key"
URL_PATH = "/stubs/handler_api.php"


def scenario(**section) -> dict:
    return {"name": "smsactivate-engine", "seed": 5, "clock": {"start": START, "frozen": True},
            "smsactivate": {"accounts": [{"key": KEY, "balance": 10}], "tenants": {"keys": ["SA-w*"], "balance": 3},
                            "behaviors": [{"match": {"service": "ot"}, "sms": []},
                                          {"match": {}, "sms": [{"after": "3s"}]}], **section}}


def ask(server, key: str = KEY, **params):
    return server.http.get(server.url + URL_PATH, params={"api_key": key, **params}, timeout=30)


def test_a_snapshot_brings_back_activations_and_what_is_still_to_come(start_server):
    server = start_server(scenario())
    coded = ask(server, action="getNumber", service="tg", country=0).text.split(":")[1]
    waiting = ask(server, action="getNumber", service="ot").text.split(":")[1]
    server.advance("3s")
    code = ask(server, action="getStatus", id=coded).text
    snapshot = server.control("GET", "/snapshot").json()
    other = start_server(scenario())
    restored = other.control("PUT", "/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert ask(other, action="getStatus", id=coded).text == code
    assert ask(other, action="getBalance").text == "ACCESS_BALANCE:6.83"       # 10 - 2.65 - 0.52
    other.advance("20m")                                     # the restored expiry still runs: refunded
    assert ask(other, action="getStatus", id=waiting).text == "STATUS_CANCEL"
    assert ask(other, action="getBalance").text == "ACCESS_BALANCE:7.35"
    fresh = ask(other, action="getNumber", service="ot").text.split(":")[1]
    assert int(fresh) > int(waiting)                          # ids go on where they stood


def test_tenants_from_key_patterns_are_apart(start_server):
    server = start_server(scenario())
    assert ask(server, "SA-w1", action="getBalance").text == "ACCESS_BALANCE:3.00"
    bought = ask(server, "SA-w1", action="getNumber", service="ot").text.split(":")[1]
    assert ask(server, "SA-w2", action="getStatus", id=bought).text == "NO_ACTIVATION"
    assert ask(server, "SA-x1", action="getBalance").text == "BAD_KEY"
    server.control("POST", "/clock", json={"advance": "20m", "key": "SA-w2"})   # the other tenant's clock only
    assert ask(server, "SA-w1", action="getStatus", id=bought).text == "STATUS_WAIT_CODE"


def test_rate_limits_are_scenario_data(start_server):
    server = start_server(scenario(rate_limits=[{"limit": 2, "window": "1s"}]))
    assert [ask(server, action="getBalance").status_code for _ in range(2)] == [200, 200]
    refused = ask(server, action="getBalance")
    assert (refused.status_code, refused.text, refused.headers["Retry-After"]) == (429, "TOO_MANY_REQUESTS", "1")
    server.advance("1s")
    assert ask(server, action="getBalance").status_code == 200


@pytest.mark.parametrize(("webhooks", "attempts"), [({}, 1), ({"retries": 2, "delay": "5s"}, 3)])
def test_webhook_retries_as_the_scenario_says(start_server, receiver, webhooks, attempts):
    server = start_server(scenario(accounts=[{"key": KEY, "balance": 10, "webhook": receiver.url + "/sa"}],
                                   webhooks=webhooks))
    receiver.fail_next(5)
    ask(server, action="getNumber", service="tg", country=0)
    server.advance("3s")
    server.advance("5s")
    server.advance("5s")
    log = server.webhooks(provider="smsactivate")
    assert [(a["attempt"], a["status"]) for a in log] == [(n + 1, 500) for n in range(attempts)]


def test_the_webhook_probe(start_server, receiver):
    server = start_server(scenario(accounts=[{"key": KEY, "webhook": receiver.url + "/sa?secret=s3"}]))
    answer = server.control("POST", "/webhooks/probe", json={"key": KEY})
    assert answer.status_code == 200, answer.text
    # The receiver checks nothing: it takes the forged kinds too.
    assert [(r["kind"], r["verdict"], r["as_expected"]) for r in answer.json()["results"]] == [
        ("no-query-secret", "accepted", False), ("wrong-query-secret", "accepted", False), ("valid", "accepted", True)]
    assert receiver.wait_for(3)[2]["json"]["code"] == "000000"


def test_state_and_dashboard_show_activations(start_server):
    server = start_server(scenario())
    bought = ask(server, action="getNumber", service="tg", country=187).text.split(":")
    [account] = server.control("GET", "/state").json()["smsactivate"]["accounts"]
    assert account["key"] == KEY and account["balance"] == pytest.approx(10 - 4.71)
    [activation] = account["activations"]
    assert (str(activation["id"]), activation["number"], activation["status"]) == (bought[1], bought[2], "WAIT_CODE")
    page = server.http.get(server.url + "/_mock/", timeout=30)
    assert page.status_code == 200 and "sms-activate" in page.text


def test_faults_apply_to_the_protocol(start_server):
    server = start_server({**scenario(), "faults": [
        {"match": {"provider": "smsactivate", "path": "/handler_api.php"}, "times": 1, "respond": {"status": 503}}]})
    failed = ask(server, action="getBalance")
    assert (failed.status_code, failed.text, failed.headers["Content-Type"]) == (
        503, "SERVER_ERROR", "text/plain; charset=utf-8")
    assert ask(server, action="getBalance").text == "ACCESS_BALANCE:10.00"
    journal = server.control("GET", "/requests", params={"provider": "smsactivate"}).json()["requests"]
    assert [(e["status"], e["key"]) for e in journal][-2:] in ([(503, KEY), (200, KEY)], [(200, KEY), (503, KEY)])


def test_the_openapi_document_lists_each_action_and_the_json_ones_answers(start_server):
    server = start_server(scenario())
    document = server.control("GET", "/openapi/smsactivate.json").json()
    validate(document)
    assert document["components"]["securitySchemes"] == {"apiKey": {
        "type": "apiKey", "in": "query", "name": "api_key", "description": "the account's key, on every action"}}
    number = document["paths"]["/handler_api.php?action=getNumberV2"]
    assert set(number) == {"get", "post"}
    assert number["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NumberV2"}
    assert set(document["components"]["schemas"]["NumberV2"]["required"]) >= {"phoneNumber", "countryCode"}


def test_sms_on_the_nth_poll_and_custom_texts(start_server):
    server = start_server(scenario(behaviors=[
        {"match": {"service": "tg"}, "sms": [{"on_poll": 2, "text": "Код {code} для входа в {service}"}]},
        {"match": {"country": "187"}, "sms": [{"after": "10s"}], "code": {"length": 8}}]))
    polled = ask(server, action="getNumber", service="tg", country=0).text.split(":")[1]
    assert ask(server, action="getStatus", id=polled).text == "STATUS_WAIT_CODE"
    status = ask(server, action="getStatus", id=polled).text
    code = status.split(":")[1]
    assert status == f"STATUS_OK:{code}" and len(code) == 5
    assert ask(server, action="getFullSms", id=polled).text == f"FULL_SMS:Код {code} для входа в Telegram"
    american = ask(server, action="getNumber", service="vi", country=187).text.split(":")[1]
    server.advance("9s")
    assert ask(server, action="getStatus", id=american).text == "STATUS_WAIT_CODE"
    server.advance("1s")
    assert len(ask(server, action="getStatus", id=american).text.split(":")[1]) == 8
