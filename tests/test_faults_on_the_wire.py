"""Scenario faults as a client meets them: real clients (requests, http.client, a raw socket) on a
real server on 127.0.0.1, asserting the bytes on the wire are what the scenario declares, that a
purchase under a broken answer happened or not as declared (seen through the API), and that the
journal says which fault and whether the call ran."""
from __future__ import annotations

import http.client
import json
import re
import socket
import time
from pathlib import Path

import pytest
import requests

from tests.harness import AIRBNB, KEY, LIVE, RunningServer, scenario_with

PURCHASE = {"provider": "pvadeals", "method": "POST", "path": "/purchase"}
PURCHASE_BODY = json.dumps({"services": [{"serviceId": AIRBNB}]}).encode()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "faults"


def faulty(*faults: dict, **changes) -> dict:
    return scenario_with(faults=list(faults), **changes)


def raw_exchange(url: str, method: str = "POST", path: str = "/v3/api/purchase", body: bytes = PURCHASE_BODY,
                 key: str = KEY) -> tuple[bytes, BaseException | None]:
    """Everything the server sent on one connection until it ended it, and how it ended it (None:
    closed cleanly; else the error the read met, a ConnectionResetError for a reset)."""
    host, port = url.removeprefix("http://").split(":")
    request = (f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
               ).encode() + body
    received = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:
            return received, exc
    return received, None


def journal(server, **query) -> list[dict]:
    response = server.control("GET", "/requests", params=query)
    assert response.status_code == 200, response.text
    return response.json()["requests"]


def purchases(server) -> int:
    return len(server.pva("GET", "/requests").json()["data"]["data"]["edges"])


# -- any answer ------------------------------------------------------------------------------


def test_a_proxys_html_502_is_sent_as_the_scenario_gives_it_and_nothing_is_bought(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1,
                                  "respond": {"status": 502, "body_file": "faults/cloudflare-502.html",
                                              "headers": {"Server": "cloudflare", "CF-RAY": "8f1c2a3b4d5e6f70-AMS"}}}))
    response = server.pva("POST", "/purchase", data=PURCHASE_BODY, headers={"Content-Type": "application/json"})
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert (response.headers["Server"], response.headers["CF-RAY"]) == ("cloudflare", "8f1c2a3b4d5e6f70-AMS")
    assert response.content == (FIXTURES / "cloudflare-502.html").read_bytes()
    assert purchases(server) == 0
    [entry] = journal(server, path="/v3/api/purchase")
    assert (entry["status"], entry["fault"], entry["happened"]) == (502, "answer #0", False)


def test_a_gateways_plain_text_429_and_an_inline_empty_200(start_server):
    server = start_server(faulty(
        {"match": {**PURCHASE, "method": "GET", "path": "/balance"}, "times": 1,
         "respond": {"status": 429, "body_file": "faults/gateway-429.txt"}},
        {"match": {**PURCHASE, "method": "GET", "path": "/balance"}, "times": 1,
         "respond": {"status": 200, "body": ""}}))
    limited = server.pva("GET", "/balance")
    assert (limited.status_code, limited.headers["Content-Type"]) == (429, "text/plain; charset=utf-8")
    assert limited.content == (FIXTURES / "gateway-429.txt").read_bytes()
    empty = server.pva("GET", "/balance")
    assert (empty.status_code, empty.content, empty.headers["Content-Length"]) == (200, b"", "0")
    assert server.pva("GET", "/balance").json()["data"]["credits"] == 100


# -- broken bodies ---------------------------------------------------------------------------


def test_a_body_cut_at_n_bytes_is_malformed_json_on_a_clean_connection_and_the_purchase_happened(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"cut": 25}}))
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    conn.request("POST", "/v3/api/purchase", body=PURCHASE_BODY,
                 headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert (response.status, response.getheader("Content-Length"), len(body)) == (200, "25", 25)
    assert body.startswith(b'{"')
    with pytest.raises(ValueError):
        json.loads(body)
    assert purchases(server) == 1                   # the purchase was made: the answer was lost
    [entry] = journal(server, path="/v3/api/purchase")
    assert (entry["status"], entry["fault"], entry["happened"]) == (200, "cut #0", True)


def test_garbage_then_close_is_seeded_bytes_and_by_default_nothing_is_bought(start_server):
    fault = {"match": PURCHASE, "times": 1, "respond": {"garbage": 300}}
    first, second = start_server(faulty(fault)), start_server(faulty(fault))
    received, ended = raw_exchange(first.url)
    assert ended is None and len(received) == 300 and not received.startswith(b"HTTP/")
    assert raw_exchange(second.url) == (received, None)           # the same seed, the same bytes
    other = start_server(faulty(fault, seed=43))
    assert raw_exchange(other.url)[0] != received
    assert purchases(first) == 0
    [entry] = journal(first, path="/v3/api/purchase")
    assert (entry["fault"], entry["happened"]) == ("garbage #0", False)


def test_an_empty_reply_that_happens_leaves_the_purchase_visible(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"empty": True, "happens": True}}))
    assert raw_exchange(server.url) == (b"", None)
    assert purchases(server) == 1
    [entry] = journal(server, path="/v3/api/purchase")
    assert (entry["fault"], entry["happened"]) == ("empty #0", True)


def test_a_reset_after_the_headers_is_seen_as_econnreset(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"reset": "headers"}}))
    received, ended = raw_exchange(server.url)
    assert isinstance(ended, ConnectionResetError)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Type: application/json" in head
    assert body == b""
    assert purchases(server) == 1
    [entry] = journal(server, path="/v3/api/purchase")
    assert (entry["fault"], entry["happened"]) == ("reset #0", True)


def test_a_reset_mid_body_sends_n_body_bytes_first(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"reset": 10}}))
    received, ended = raw_exchange(server.url)
    assert isinstance(ended, ConnectionResetError)
    head, _, body = received.partition(b"\r\n\r\n")
    declared = int(next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")).split()[1])
    assert len(body) == 10 < declared and body.startswith(b'{"')


def test_a_requests_client_sees_a_reset_as_a_broken_connection(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"reset": "headers"}}))
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="Connection reset by peer"):
        server.pva("POST", "/purchase", data=PURCHASE_BODY, headers={"Content-Type": "application/json"})


# -- slow bodies -----------------------------------------------------------------------------


def test_a_real_time_trickle_takes_at_least_its_duration(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"trickle": "500ms"}}))
    started = time.monotonic()
    response = server.pva("POST", "/purchase", data=PURCHASE_BODY, headers={"Content-Type": "application/json"})
    took = time.monotonic() - started
    assert response.status_code == 200 and response.json()["data"]["requests"][0]["serviceId"] == AIRBNB
    assert took >= 0.5            # a lower bound only: the body came no faster than declared
    [entry] = journal(server, path="/v3/api/purchase")
    assert (entry["fault"], entry["happened"]) == ("trickle #0", True)


def test_a_virtual_trickle_completes_as_the_test_advances_the_clock(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"trickle": "30s", "clock": "virtual"}}))
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((f"POST /v3/api/purchase HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
                      f"Content-Length: {len(PURCHASE_BODY)}\r\n\r\n").encode() + PURCHASE_BODY)
        received = b""
        while b"\r\n\r\n" not in received:              # the headers come at once
            received += sock.recv(65536)
        head, _, body = received.partition(b"\r\n\r\n")
        size = int(next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")).split()[1])
        assert head.startswith(b"HTTP/1.1 200") and body == b""
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)                                    # nothing of the body while the clock stands
        sock.settimeout(10)
        server.advance("15s")
        while len(body) < size // 2:                        # half the time: half the body
            body += sock.recv(65536)
        assert len(body) < size
        server.advance("15s")
        while chunk := sock.recv(65536):
            body += chunk
    assert json.loads(body)["data"]["requests"][0]["serviceId"] == AIRBNB


# -- wrong-shaped success --------------------------------------------------------------------


def test_a_mutated_answer_changes_the_declared_fields_only(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"mutate": [
        {"op": "remove", "path": "data.requests.*.number"},
        {"op": "rename", "path": "data.requests.*.serviceId", "to": "service_id"},
        {"op": "retype", "path": "data.requests.*.price", "to": "string"},
        {"op": "add", "path": "data.note", "value": "new"}]}}))
    response = server.pva("POST", "/purchase", data=PURCHASE_BODY, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    body = response.json()
    [bought] = body["data"]["requests"]
    assert "number" not in bought and "serviceId" not in bought and bought["service_id"] == AIRBNB
    assert body["data"]["note"] == "new"
    assert int(response.headers["Content-Length"]) == len(response.content)
    [seen] = server.pva("GET", "/requests").json()["data"]["data"]["edges"]     # the real state is whole
    [entry] = journal(server, path="/v3/api/purchase")
    assert (entry["fault"], entry["happened"]) == ("mutate #0", True)
    assert seen


# -- selectors: after, probability, the seed -------------------------------------------------


def _statuses(server, count: int) -> list[int]:
    return [server.pva("GET", "/balance").status_code for _ in range(count)]


def test_after_lets_the_first_requests_through(start_server):
    server = start_server(faulty({"match": {**PURCHASE, "method": "GET", "path": "/balance"}, "after": 2,
                                  "times": 1, "respond": {"status": 503}}))
    assert _statuses(server, 4) == [200, 200, 503, 200]


def test_the_same_seed_gives_the_same_faults_on_the_same_requests(start_server):
    fault = {"match": {**PURCHASE, "method": "GET", "path": "/balance"}, "probability": 0.5,
             "respond": {"status": 503}}
    one = _statuses(start_server(faulty(fault)), 40)
    assert one == _statuses(start_server(faulty(fault)), 40)
    assert 5 < one.count(503) < 35                      # about half, not all or none
    assert one != _statuses(start_server(faulty(fault, seed=7)), 40)


# -- under granian, as `mockserver run` serves -----------------------------------------------


def test_reset_and_trickle_under_mockserver_run(tmp_path):
    import yaml
    scenario = faulty(
        {"match": PURCHASE, "times": 1, "respond": {"reset": "headers"}},
        {"match": {"provider": "provynx", "method": "GET", "path": "/balance"}, "times": 1,
         "respond": {"trickle": "500ms"}},
        {"match": {"provider": "provynx", "method": "GET", "path": "/balance"}, "times": 1,
         "respond": {"garbage": 64}})
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(scenario))
    server = RunningServer("--scenario", str(path), "--frozen")
    try:
        received, ended = raw_exchange(server.url)
        assert isinstance(ended, ConnectionResetError) and received.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        slow = requests.get(server.url + "/api/v1/sms/balance", headers={"Authorization": f"Bearer {LIVE}"},
                            timeout=10)
        assert slow.status_code == 200 and "balance" in slow.json()
        assert time.monotonic() - started >= 0.5
        received, ended = raw_exchange(server.url, "GET", "/api/v1/sms/balance", b"", key=LIVE)
        assert ended is None and len(received) == 64
        assert requests.get(server.url + "/api/v1/sms/balance", headers={"Authorization": f"Bearer {LIVE}"},
                            timeout=10).status_code == 200          # the server goes on serving
    finally:
        server.stop()


# -- what the client report makes of what the client did next -------------------------------


def _findings(server, rule: str) -> list[dict]:
    response = server.control("GET", "/report")
    assert response.status_code == 200, response.text
    return [f for f in response.json()["findings"] if f["rule"] == rule]


def test_a_purchase_sent_again_after_a_cut_answer_is_an_unsafe_retry_and_both_happened(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"cut": 30}}))
    headers = {"Content-Type": "application/json"}
    with pytest.raises(ValueError):
        server.pva("POST", "/purchase", data=PURCHASE_BODY, headers=headers).json()
    assert server.pva("POST", "/purchase", data=PURCHASE_BODY, headers=headers).status_code == 200
    assert purchases(server) == 2                   # the client bought twice
    [finding] = _findings(server, "unsafe-retry")
    assert finding["severity"] == "error" and "a broken answer" in finding["summary"]


def test_a_purchase_sent_again_after_a_proxy_page_that_did_not_happen_is_still_flagged(start_server):
    server = start_server(faulty({"match": PURCHASE, "times": 1,
                                  "respond": {"status": 200, "body_file": "faults/nginx-502.html"}}))
    headers = {"Content-Type": "application/json"}
    assert server.pva("POST", "/purchase", data=PURCHASE_BODY, headers=headers).status_code == 200
    assert server.pva("POST", "/purchase", data=PURCHASE_BODY, headers=headers).status_code == 200
    assert purchases(server) == 1                   # the proxy's page stood for no purchase
    assert len(_findings(server, "unsafe-retry")) == 1      # the client could not know that


def test_polling_that_stopped_after_a_mutated_answer_is_a_finding(start_server):
    poll = {"provider": "pvadeals", "method": "GET", "path": "/request/*"}
    server = start_server(faulty({"match": poll, "times": 1,
                                  "respond": {"mutate": [{"op": "null", "path": "data.status"}]}}))
    [bought] = server.buy(AIRBNB)
    drifted = server.pva("GET", f"/request/{bought['_id']}")
    assert drifted.status_code == 200 and drifted.json()["data"]["status"] is None
    [finding] = _findings(server, "stopped-after-drift")
    assert (finding["severity"], finding["key"], finding["count"]) == ("warning", KEY, 1)
    assert finding["evidence"][0]["path"] == f"/v3/api/request/{bought['_id']}"
    server.pva("GET", f"/request/{bought['_id']}")     # polled on: no finding
    assert _findings(server, "stopped-after-drift") == []


# -- what a scenario may declare ------------------------------------------------------------


@pytest.mark.parametrize("respond, problem", [
    ("{cut: 10, garbage: 5}", "respond: give one of"),
    ("{body: oops}", "respond: body go with a status"),
    ("{status: 502, body: x, body_file: faults/nginx-502.html}", "respond: give body or body_file"),
    ("{cut: 10, happens: true}", "respond: happens goes with garbage or empty"),
    ("{status: 200}", "respond.status: Must be greater than or equal to 400"),
    ("{status: 502, body: x, headers: {X-A: \"a\\r\\nSet-Cookie: b\"}}", "respond.headers"),
    ("{status: 502, body_file: ../../etc/passwd}", "respond.body_file"),
    ("{status: 502, body_file: secrets.env}", "respond.body_file: a fixture file's name ends in .html"),
    ("{reset: sometimes}", "respond.reset: expected headers, or a number of body bytes"),
    ("{trickle: 1h}", "respond.trickle"),
    ("{mutate: [{op: rename, path: data.x}]}", "rename needs `to`"),
])
def test_a_fault_that_cannot_be_is_refused_and_the_running_scenario_stays(mock, respond, problem):
    text = f"name: x\nfaults:\n  - respond: {respond}\n"
    response = mock.control("PUT", "/scenario", data=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 400
    assert any(problem in line for line in response.json()["problems"]), response.json()["problems"]
    assert mock.control("GET", "/scenario").json()["name"] == "test"


def test_the_dashboard_and_mockserver_journal_name_the_fault(start_server):
    from mockserver.cli import format_journal
    server = start_server(faulty({"match": PURCHASE, "times": 1, "respond": {"cut": 5}}))
    server.pva("POST", "/purchase", data=PURCHASE_BODY, headers={"Content-Type": "application/json"})
    live = server.control("GET", "/dashboard/live").json()["journal"]
    row = re.search(r'<tr data-seq="\d+" data-status="200".*?</tr>', live, re.S).group(0)
    assert "fault: cut #0, happened" in row
    assert "(key API-test-one; fault cut #0, the call ran)" in format_journal(journal(server, path="/v3/api/purchase"))
