"""The command line at its edges, as a newcomer meets them: a bare call, a negative advance, a busy
port, a scenario file the server may not read, and the journal and webhook log in the terminal."""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import requests

from harness import AIRBNB, RunningServer
from mockserver.testing import WebhookReceiver


def mockserver(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def server():
    running = RunningServer("--frozen")
    yield running
    running.stop()


def test_a_bare_call_prints_the_help():
    result = mockserver()
    assert result.returncode == 2
    assert result.stdout.startswith("usage: mockserver") and "run" in result.stdout and "journal" in result.stdout
    assert "error:" not in result.stderr


def test_a_negative_advance_says_the_clock_only_moves_forward():
    result = mockserver("advance", "-5m")
    assert result.returncode == 2
    assert result.stderr.startswith("mockserver advance: -5m: the virtual clock only moves forward")
    assert "arguments are required" not in result.stderr


def test_a_busy_port_hints_at_port_0():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = mockserver("run", "--port", str(port), timeout=30)
    assert result.returncode == 2
    assert "let mockserver pick a free one with --port 0" in result.stderr


def test_load_answers_in_one_line_and_json_on_request(server):
    short = mockserver("load", "timeouts", "--url", server.url)
    assert short.returncode == 0
    assert short.stdout.startswith("loaded scenario 'timeouts' from ") and short.stdout.count("\n") == 1
    full = json.loads(mockserver("load", "default", "--url", server.url, "--json").stdout)
    assert full["name"] == "default" and "definition" in full


def test_load_sends_a_file_the_server_may_not_read(server, tmp_path):
    """The CLI holds the file; the server's folder rules are for paths named over HTTP."""
    elsewhere = tmp_path / "mine.yaml"
    elsewhere.write_text("name: mine\npvadeals:\n  accounts: [{key: API-mine, credits: 7}]\n")
    over_http = requests.put(f"{server.url}/_mock/scenario", json={"path": str(elsewhere)}, timeout=10)
    assert over_http.status_code == 400 and "outside the folders" in over_http.json()["problems"][0]
    loaded = mockserver("load", str(elsewhere), "--url", server.url)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == f"loaded scenario 'mine' from {elsewhere} (sent by this command)\n"
    balance = requests.get(f"{server.url}/v3/api/balance", headers={"Authorization": "Bearer API-mine"}, timeout=10)
    assert balance.json()["data"]["credits"] == 7


def test_journal_lists_requests_one_line_each_with_filters(server):
    mockserver("load", "default", "--url", server.url)
    auth = {"Authorization": "Bearer API-mock-default"}
    requests.get(f"{server.url}/v3/api/balance", headers=auth, timeout=10)
    requests.post(f"{server.url}/v3/api/purchase", headers=auth, json={"services": [{"serviceId": AIRBNB}], "x": 1},
                  timeout=10)
    requests.get(f"{server.url}/v3/api/nothing-here", headers=auth, timeout=10)
    lines = mockserver("journal", "--url", server.url, "--key", "API-mock-default").stdout.splitlines()
    assert [line.split()[1:4] for line in lines[-3:]] == [
        ["200", "GET", "/v3/api/balance"], ["200", "POST", "/v3/api/purchase"], ["404", "GET", "/v3/api/nothing-here"]]
    assert lines[-2].endswith("(key API-mock-default; ignored x)")
    assert lines[-1].endswith("(key API-mock-default; no route)")
    posts = mockserver("journal", "--url", server.url, "--method", "POST", "--path", "/v3/api/*").stdout.splitlines()
    assert posts and all(" POST " in line for line in posts)
    as_json = json.loads(mockserver("journal", "--url", server.url, "--status", "404", "--json").stdout)
    assert [entry["path"] for entry in as_json][-1] == "/v3/api/nothing-here"


def test_webhooks_lists_attempts_one_line_each(server):
    mockserver("load", "default", "--url", server.url)
    receiver = WebhookReceiver()
    try:
        requests.post(f"{server.url}/_mock/webhook", json={"key": "API-mock-default", "url": receiver.url}, timeout=10)
        requests.post(f"{server.url}/v3/api/purchase", headers={"Authorization": "Bearer API-mock-default"},
                      json={"services": [{"serviceId": AIRBNB}]}, timeout=10)
        requests.post(f"{server.url}/_mock/clock", json={"advance": "3s"}, timeout=30)
        lines = mockserver("webhooks", "--url", server.url).stdout.splitlines()
        assert len(lines) == 2
        assert [line.split()[1:5] for line in lines] == [["ok", "204", "pvadeals", "number_purchased"],
                                                         ["ok", "204", "pvadeals", "sms_received"]]
        assert lines[0].endswith(f"#1 -> {receiver.url}")
        only = mockserver("webhooks", "--url", server.url, "--event", "sms_received").stdout.splitlines()
        assert len(only) == 1 and "sms_received" in only[0]
    finally:
        receiver.close()
    assert mockserver("webhooks", "--url", server.url, "--provider", "provynx").stdout == "no webhook attempts\n"


def test_frozen_holds_across_loads_and_resets(server):
    """`mockserver run --frozen`: a scenario loaded later starts frozen too, as a reset does."""
    for step in (lambda: requests.put(f"{server.url}/_mock/scenario", json={"name": "timeouts"}, timeout=10),
                 lambda: mockserver("load", "default", "--url", server.url),
                 lambda: requests.post(f"{server.url}/_mock/reset", json={}, timeout=10)):
        step()
        assert requests.get(f"{server.url}/_mock/clock", timeout=10).json()["frozen"] is True
