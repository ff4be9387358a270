"""The request journal, and who may use the control API."""
from __future__ import annotations

import requests

from harness import AIRBNB, BASE_SCENARIO, KEY, LIVE, START, scenario_with
from mockserver.control.access import Access


def journal(mock, **query):
    response = mock.control("GET", "/requests", params=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_client_request_is_journaled_but_control_calls_are_not(mock):
    mock.buy(AIRBNB)
    mock.pva("GET", "/balance", key="API-nobody")
    mock.pnx("GET", "/us/services?server=2")
    mock.http.get(mock.url + "/favicon.ico")
    mock.http.get(mock.url + "/v3/apix/balance")       # under no API: only a path that looks like one
    mock.http.get(mock.url + "/_mockery")
    mock.advance("1s")
    entries = journal(mock)["requests"]
    assert [(e["provider"], e["method"], e["path"], e["status"]) for e in entries] == [
        ("pvadeals", "POST", "/v3/api/purchase", 200), ("pvadeals", "GET", "/v3/api/balance", 401),
        ("provynx", "GET", "/api/v1/sms/us/services", 200), (None, "GET", "/favicon.ico", 404),
        (None, "GET", "/v3/apix/balance", 404), (None, "GET", "/_mockery", 404)]
    purchase = entries[0]
    assert (purchase["key"], purchase["at"], purchase["query"], purchase["matched"]) == (KEY, START, "", True)
    assert purchase["body"] == '{"services": [{"serviceId": "%s"}]}' % AIRBNB
    assert entries[2]["query"] == "server=2" and entries[2]["key"] == LIVE
    assert entries[3]["matched"] is False and entries[3]["key"] is None
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)


def test_filters_and_the_count_form(mock):
    for _ in range(3):
        mock.pva("GET", "/balance")
    mock.pva("GET", "/nope")
    mock.pnx("GET", "/balance")
    assert journal(mock, provider="pvadeals", count="true") == {"count": 4}
    assert journal(mock, method="get", path="/v3/api/bal*", count="true") == {"count": 3}
    assert journal(mock, status=404, count="true") == {"count": 1}
    assert [e["path"] for e in journal(mock, unmatched="true")["requests"]] == ["/v3/api/nope"]
    assert journal(mock, key=LIVE, count="true") == {"count": 1}
    bad = mock.control("GET", "/requests", params={"status": "teapot"})
    assert (bad.status_code, bad.json()["error"]) == (400, "status: Not a valid integer.")


def test_refused_bodies_and_paths_no_route_takes_are_journaled_with_their_key(mock):
    too_large = b'{"services": []}' + b" " * (100 * 1024)
    assert mock.pva("POST", "/nope", data=too_large, headers={"Content-Type": "application/json"}).status_code == 413
    assert mock.pva("DELETE", "/balance").status_code == 405
    assert mock.pnx("GET", "/us/nope", key=None, headers={"Authorization": "Bearer  spaced "}).status_code == 404
    entries = journal(mock)["requests"]
    assert [(e["provider"], e["method"], e["path"], e["status"], e["key"], e["matched"], e["body"]) for e in entries] == [
        ("pvadeals", "POST", "/v3/api/nope", 413, KEY, True, ""),
        ("pvadeals", "DELETE", "/v3/api/balance", 405, KEY, False, ""),
        ("provynx", "GET", "/api/v1/sms/us/nope", 404, "spaced", False, "")]


def test_ignored_fields_are_noted_only_for_a_request_that_reached_its_input(mock):
    """The body is parsed before the state lock, but what it holds counts only once the request
    gets past the key, the rate limit, the guards and any fault, as before it was read there."""
    body = {"services": [{"serviceId": AIRBNB}], "coupon": "X"}
    assert mock.pva("POST", "/purchase", key="API-nobody", json=body).status_code == 401
    assert mock.pva("POST", "/purchase", json=body).status_code == 200
    assert [(e["status"], e["ignored"]) for e in journal(mock)["requests"]] == [(401, []), (200, ["coupon"])]


def test_the_app_leaves_no_keys_of_its_own_in_the_wsgi_environ():
    """Checked in-process, calling the app as a WSGI server does, so the environ it was given can
    be read afterwards: a request's story travels in its Exchange, not through the environ."""
    import yaml
    from werkzeug.test import EnvironBuilder

    from mockserver.app import create_app
    from mockserver.loading import load_text
    app = create_app(load_text(yaml.safe_dump(BASE_SCENARIO)), real_time=False)
    bearer = {"Authorization": f"Bearer {KEY}"}
    requests_ = [EnvironBuilder("/v3/api/purchase", method="POST", headers=bearer,
                                json={"services": [{"serviceId": AIRBNB}], "coupon": "X"}),
                 EnvironBuilder("/v3/api/purchase", method="POST", headers=bearer, data=b"{" + b" " * (100 * 1024) + b"}"),
                 EnvironBuilder("/v3/api/nope", headers=bearer), EnvironBuilder("/api/v1/sms/balance"),
                 EnvironBuilder("/_mock/state", environ_base={"REMOTE_ADDR": "127.0.0.1"})]
    statuses = []
    for builder in requests_:
        environ = builder.get_environ()
        given = set(environ)
        b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(int(status[:3]))))
        assert [key for key in set(environ) - given if key.startswith("mockserver")] == []
    assert statuses == [200, 413, 404, 401, 200]
    assert app.extensions["mockserver"].journal.recorded == 4
    app.extensions["mockserver"].close()


def test_the_journal_stays_bounded_after_10000_requests(tmp_path):
    """A real `mockserver run --journal-size 250` process, 10,000 requests on one keep-alive connection."""
    import http.client

    import yaml
    from test_cli import RunningServer
    scenario = tmp_path / "busy.yaml"
    scenario.write_text(yaml.safe_dump(scenario_with(**{"pvadeals.rate_limits": [{"limit": 100000, "window": "1s"}]})))
    server = RunningServer("--scenario", str(scenario), "--journal-size", "250", "--quiet")
    try:
        host, port = server.url[len("http://"):].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        for _ in range(10_000):
            connection.request("GET", "/v3/api/balance", headers={"Authorization": f"Bearer {KEY}"})
            assert connection.getresponse().read()
        connection.close()
        body = requests.get(server.url + "/_mock/requests", timeout=10).json()
        assert body["size"] == 250 and len(body["requests"]) == 250
        assert (body["requests"][0]["seq"], body["requests"][-1]["seq"]) == (9751, 10000)
    finally:
        server.stop()


def test_reset_empties_the_journal(mock):
    mock.pva("GET", "/balance")
    mock.control("POST", "/reset")
    assert journal(mock, count="true") == {"count": 0}


def test_the_admin_token_is_enforced_when_set(start_server):
    mock = start_server(BASE_SCENARIO, access=Access(token="s3cret-token"))
    refused = mock.control("GET", "/state")
    assert refused.status_code == 401
    assert refused.json()["error"].startswith("this control API needs the admin token")
    assert mock.control("GET", "/state", headers={"X-Admin-Token": "wrong"}).status_code == 401
    assert mock.control("GET", "/state", headers={"X-Admin-Token": "s3cret-token"}).status_code == 200
    assert mock.control("POST", "/clock", json={"advance": "1s"},
                        headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert mock.control("GET", "/health").status_code == 200          # for health checks, no token
    assert mock.pva("GET", "/balance").status_code == 200             # provider APIs are unaffected


def test_without_a_token_only_loopback_clients_may_use_the_control_api():
    """Checked in-process (no traffic leaves this machine): a request from another address."""
    import yaml

    from mockserver.app import create_app
    from mockserver.loading import load_text
    app = create_app(load_text(yaml.safe_dump(BASE_SCENARIO)), real_time=False)
    client = app.test_client()
    outside = {"REMOTE_ADDR": "192.0.2.10"}
    response = client.get("/_mock/state", environ_base=outside)
    assert response.status_code == 403
    assert response.get_json()["error"].startswith("the control API answers loopback clients only")
    assert client.get("/_mock/health", environ_base=outside).status_code == 200
    assert client.get("/_mock/state", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/_mock/state", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    app.extensions["mockserver"].close()
