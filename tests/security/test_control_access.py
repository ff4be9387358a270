"""Who may drive the sandbox: a page on another origin, or on a DNS-rebinding host name, can
neither change nor read it; non-browser clients on this machine keep working as before."""
from __future__ import annotations

import pytest

from harness import BASE_SCENARIO, LIVE, SECRET, START
from mockserver.control.access import Access

REBOUND = "rebind.attacker.example"
EVIL = "http://evil.example"


def control_routes(mock) -> list[tuple[str, str]]:
    """Every control route that changes state, read from the app: a new one is covered unedited."""
    return sorted((method, rule.rule.replace("<message_id>", "msg_none"))
                  for rule in mock.app.url_map.iter_rules() if rule.endpoint.startswith("control.")
                  for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"})


def port(mock) -> str:
    return mock.url.rsplit(":", 1)[1]


def unchanged(mock) -> dict:
    """What a refused call must not have moved: the clock, the scenario, every account and webhook."""
    state = mock.control("GET", "/state").json()
    return {"now": state["now"], "scenario": mock.control("GET", "/scenario").json()["name"],
            "pvadeals": state["pvadeals"], "provynx": state["provynx"]}


@pytest.mark.parametrize("path", ["/_mock/state", "/_mock/requests", "/_mock/webhooks", "/_mock/",
                                  "/_mock/dashboard/live", "/_mock/clock"])
def test_a_rebinding_host_name_reads_nothing(mock, path):
    response = mock.http.get(mock.url + path, headers={"Host": f"{REBOUND}:{port(mock)}"}, timeout=10)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("the control API answers requests addressed to a loopback name")
    assert SECRET not in response.text and "accounts" not in response.json()


def test_a_rebinding_host_name_changes_nothing(mock):
    before = unchanged(mock)
    for method, path in control_routes(mock):
        response = mock.http.request(method, f"{mock.url}{path}", json={"advance": "1h", "key": LIVE, "url": None},
                                     headers={"Host": f"{REBOUND}:{port(mock)}"}, timeout=10)
        assert response.status_code == 403, (method, path, response.text)
    assert unchanged(mock) == before


@pytest.mark.parametrize("path", ["/_mock/state", "/_mock/requests", "/_mock/webhooks", "/_mock/"])
@pytest.mark.parametrize("name", ["rebind_1.attacker.example", "a~b.attacker.example", "a!b.example", "a,b.example",
                                  "a b.example", "[::1].attacker.example", ""])
def test_a_host_name_werkzeug_deems_invalid_or_an_empty_one_reads_nothing(mock, name, path):
    """Werkzeug makes request.host "" for such names; that must not pass for a request without one."""
    response = mock.http.get(mock.url + path, timeout=10, headers={
        "Host": f"{name}:{port(mock)}" if name else "", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 403
    assert response.json()["error"].startswith("the control API answers requests addressed to a loopback name")
    assert SECRET not in response.text and "accounts" not in response.text


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "app.localhost", "LOCALHOST."])
def test_loopback_names_and_addresses_are_answered(mock, host):
    response = mock.http.get(mock.url + "/_mock/clock", headers={"Host": f"{host}:{port(mock)}"}, timeout=10)
    assert response.status_code == 200, response.text


def test_other_names_need_the_allowed_hosts_setting_or_the_token(start_server):
    plain = start_server(BASE_SCENARIO)
    assert plain.control("GET", "/clock", headers={"Host": "sms.internal:8080"}).status_code == 403
    listed = start_server(BASE_SCENARIO, access=Access(allowed_hosts=frozenset({"sms.internal"})))
    assert listed.control("GET", "/clock", headers={"Host": "sms.internal:8080"}).status_code == 200
    tokened = start_server(BASE_SCENARIO, access=Access(token="t0ken"))
    assert tokened.control("GET", "/clock", headers={"Host": "sms.internal:8080"}).status_code == 401
    assert tokened.control("GET", "/clock", headers={"Host": "sms.internal:8080",
                                                     "X-Admin-Token": "t0ken"}).status_code == 200


def test_a_page_on_another_origin_cannot_move_a_webhook_or_read_the_secret(mock):
    before = unchanged(mock)
    response = mock.control("POST", "/webhook", data='{"key": "%s", "url": "http://evil.example/x"}' % LIVE,
                            headers={"Content-Type": "text/plain", "Origin": EVIL})
    assert response.status_code == 403
    assert response.json() == {"status": 403, "error": f"cross-site request refused (Origin: {EVIL}): the control "
                                                      "API takes calls from its own dashboard and from clients that "
                                                      "are not web pages"}
    assert SECRET not in response.text
    assert unchanged(mock) == before


@pytest.mark.parametrize("headers", [{"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}])
def test_no_control_call_from_a_page_of_another_site_is_carried_out(mock, headers):
    before = unchanged(mock)
    for method, path in control_routes(mock):
        response = mock.http.request(method, f"{mock.url}{path}", json={"advance": "1h", "key": LIVE, "url": None},
                                     headers=headers, timeout=10)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"].startswith("cross-site request refused")
    read = mock.control("GET", "/state", headers=headers)
    assert read.status_code == 403 and "accounts" not in read.text
    assert unchanged(mock) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_a_body_a_page_could_send_without_asking_is_refused(mock, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = mock.control("POST", "/clock", data=b'{"advance": "1h"}', headers=headers)
    assert response.status_code == 415
    assert response.json()["error"].startswith("send the body as application/json")
    assert mock.control("GET", "/clock").json()["now"] == START


def test_the_pages_own_calls_and_plain_clients_keep_working(mock):
    same_origin = {"Origin": mock.url, "Sec-Fetch-Site": "same-origin"}
    assert mock.control("POST", "/clock", json={"advance": "1s"}, headers=same_origin).status_code == 200
    assert mock.control("POST", "/reset").status_code == 200                       # no body, no type: curl -X POST
    yaml_put = mock.control("PUT", "/scenario", data="name: y\n", headers={"Content-Type": "application/yaml"})
    assert yaml_put.status_code == 200 and yaml_put.json()["name"] == "y"
    # Opening the dashboard from a link on another site shows it (the linking page sees nothing).
    link = mock.control("GET", "/", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                                             "Sec-Fetch-Dest": "document"})
    assert link.status_code == 200 and link.headers["Content-Type"].startswith("text/html")


def test_a_token_that_is_not_ascii_is_refused_not_a_crash(start_server):
    mock = start_server(BASE_SCENARIO, access=Access(token="s3cret"))
    for given in ("s3crét", "ünïcode-token"):
        response = mock.control("GET", "/state", headers={"X-Admin-Token": given.encode("utf-8")})
        assert response.status_code == 401
        assert response.json()["error"].startswith("this control API needs the admin token")


@pytest.mark.parametrize("dest", ["iframe", "frame", "embed", "object", None])
def test_the_dashboard_opens_from_another_site_only_as_a_page_of_its_own(mock, dest):
    headers = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", **({"Sec-Fetch-Dest": dest} if dest else {})}
    framed = mock.control("GET", "/", headers=headers)
    assert framed.status_code == 403
    assert framed.json()["error"].startswith("cross-site request refused (Sec-Fetch-Site: cross-site)")


@pytest.mark.parametrize("path", ["/", "/dashboard/live", "/state", "/nowhere"])
def test_nothing_under_mock_may_be_framed(mock, path):
    response = mock.control("GET", path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/state", "/clock", "/webhooks"])
def test_a_read_makes_no_account_for_a_key_of_a_tenant_pattern(mock, path):
    response = mock.control("GET", path, params={"key": "API-w-new"})
    assert (response.status_code, response.json()) == (404, {"status": 404, "error": (
        "no account has the key API-w-new (a read makes none: a key that matches a tenant pattern becomes an "
        "account on its first provider API call)")})
    keys = [account["key"] for account in mock.control("GET", "/state").json()["pvadeals"]["accounts"]]
    assert "API-w-new" not in keys
    assert mock.pva("GET", "/balance", key="API-w-new").status_code == 200       # the provider call makes it
    assert mock.control("GET", path, params={"key": "API-w-new"}).status_code == 200
