"""Text UTF-8 cannot carry (a lone surrogate, sent as a JSON escape such as "\\udc80") sent to
the control API: refused with 400 on every route that takes text, before anything changes, so no
SMS, webhook URL, scenario or snapshot can hold it; and the dashboard renders whatever the state
holds."""
from __future__ import annotations

import pytest
import yaml

from harness import AIRBNB, BASE_SCENARIO, KEY, LIVE

JSON = {"Content-Type": "application/json"}
UNICODE = "holds text that is not valid Unicode (a lone surrogate, such as \\udc80): send UTF-8 text"


def refused(mock, method: str, path: str, body: bytes, what: str = "the body") -> None:
    response = mock.control(method, path, data=body, headers=JSON)
    assert (response.status_code, response.json()) == (400, {"error": f"{what} {UNICODE}", "status": 400})


def test_an_sms_with_a_lone_surrogate_is_refused_and_delivers_nothing(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    before = mock.control("GET", "/state").json()
    refused(mock, "POST", "/sms", b'{"id": "%s", "text": "Your code is 4821 \\udc80"}' % request_id.encode())
    refused(mock, "POST", "/sms", b'{"id": "%s", "text": "\xed\xb2\x80"}' % request_id.encode())
    assert mock.control("GET", "/state").json() == before
    assert mock.webhooks() == []
    page = mock.control("GET", "/")
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("body", [
    b'{"key": "%s", "url": "http://127.0.0.1:9/hook\\ud800"}' % KEY.encode(),
    b'{"key": "%s", "url": "http://127.0.0.1:9/hook", "secret": "whsec_\\ud800"}' % LIVE.encode(),
])
def test_a_webhook_url_or_secret_with_a_lone_surrogate_is_refused(mock, body):
    before = mock.control("GET", "/state").json()
    refused(mock, "POST", "/webhook", body)
    assert mock.control("GET", "/state").json() == before
    assert mock.control("GET", "/").status_code == 200


def test_every_other_control_body_with_a_lone_surrogate_is_refused(mock):
    before = mock.control("GET", "/snapshot").json()
    refused(mock, "POST", "/reset", b'{"key": "API-\\udc80"}')
    refused(mock, "POST", "/clock", b'{"advance": "1m", "key": "\\udfff"}')
    refused(mock, "POST", "/webhooks/probe", b'{"key": "\\ud800"}')
    snapshot = mock.control("GET", "/snapshot").content.replace(b'"name":"test"', b'"name":"te\\udc80st"', 1)
    refused(mock, "PUT", "/snapshot", snapshot)
    assert mock.control("GET", "/snapshot").json() == before


@pytest.mark.parametrize("content_type", ["application/yaml", "application/json"])
def test_a_scenario_with_a_lone_surrogate_is_not_loaded(mock, content_type):
    text = yaml.safe_dump(BASE_SCENARIO) + 'description: "te\\udc80st"\n'
    if content_type == "application/json":
        text = '{"name": "test", "description": "te\\udc80st", "pvadeals": {"accounts": [{"key": "%s"}]}}' % KEY
    response = mock.control("PUT", "/scenario", data=text.encode(), headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["problems"][0].endswith("not valid YAML: found invalid Unicode character escape code")
    assert mock.control("GET", "/scenario").json()["description"] == BASE_SCENARIO["description"]


def test_a_query_that_is_not_utf8_is_answered_not_crashed_on(mock):
    assert mock.control("GET", "/state?key=%ED%B2%80").status_code == 404
    assert mock.control("GET", "/webhooks?event=%ED%B2%80").status_code == 200


def test_the_dashboard_page_renders_a_lone_surrogate_a_client_sent_a_provider(mock):
    sent = b'{"service":"\\ud800"}'
    assert mock.pnx("POST", "/us/numbers", data=sent, headers=JSON).status_code == 404
    page = mock.control("GET", "/")
    assert page.status_code == 200
