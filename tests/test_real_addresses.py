"""Unchanged clients reach the sandbox at the providers' real https:// addresses: in process, through
the TLS port, and through the HTTPS proxy; nothing is ever sent to any other host."""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest
import requests

from mockserver.http.proxy import ConnectProxy
from mockserver.scenario.hosts import DEFAULT_HOSTS
from mockserver.settings import DEFAULT_LIMITS
from mockserver.testing.realhosts import real_hosts

AIRBNB = "697139f7fe5460ddc2f27214"
AUTH = {"Authorization": "Bearer API-mock-default"}


class HardCodedClient:
    """A PVADeals client as published ones are written: its address is not a parameter."""
    BASE = "https://prod-v3.pvadeals.com/v3/api"

    def __init__(self, key: str):
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"

    def buy(self, service_id: str) -> str:
        answer = self.http.post(f"{self.BASE}/purchase", json={"services": [{"serviceId": service_id}]})
        answer.raise_for_status()
        return answer.json()["data"]["requests"][0]["_id"]

    def status(self, request_id: str) -> str:
        return self.http.get(f"{self.BASE}/request/{request_id}").json()["data"]["status"]


def test_an_unchanged_client_buys_a_number_in_process(sms_mock_inprocess):
    client = HardCodedClient("API-mock-default")
    request_id = client.buy(AIRBNB)
    assert client.status(request_id) == "RESERVED"
    sms_mock_inprocess.advance("3s")
    assert client.status(request_id) == "COMPLETED"
    bought = sms_mock_inprocess.requests(path="/v3/api/purchase")
    assert [(entry["host"], entry["status"]) for entry in bought] == [("prod-v3.pvadeals.com", 200)]


def test_every_standard_client_reaches_the_real_names_in_process(sms_mock_inprocess):
    url = "https://prod-v3.pvadeals.com/v3/api/balance"
    expected = {"success": True, "data": {"credits": 100}, "message": "Balance retrieved successfully"}
    assert requests.get(url, headers=AUTH).json() == expected
    with urllib.request.urlopen(urllib.request.Request(url, headers=AUTH)) as answer:
        assert json.loads(answer.read()) == expected
    connection = http.client.HTTPSConnection("prod-v3.pvadeals.com")
    connection.request("GET", "/v3/api/balance", headers=AUTH)
    assert json.loads(connection.getresponse().read()) == expected
    assert httpx.get(url, headers=AUTH).json() == expected

    async def asynchronous() -> dict:
        async with httpx.AsyncClient() as client:
            return (await client.get(url, headers=AUTH)).json()
    assert asyncio.run(asynchronous()) == expected
    provynx = httpx.get("https://sms.provynx.com/api/v1/sms/balance", headers={"Authorization": "Bearer nsk_test_mock"})
    assert provynx.status_code == 200
    assert [entry["host"] for entry in sms_mock_inprocess.requests()] == ["prod-v3.pvadeals.com"] * 5 + ["sms.provynx.com"]


def test_the_control_api_is_not_reached_through_a_real_name(sms_mock_inprocess):
    sms_mock_inprocess.freeze()
    before = sms_mock_inprocess.now()
    for path in ("/_mock/state", "/_mock/", "/_mock/clock"):
        answer = requests.get(f"https://prod-v3.pvadeals.com{path}")
        assert (answer.status_code, answer.json()) == (404, {"error": "Not Found", "status": 404})
    assert requests.post("https://sms.provynx.com/_mock/clock", json={"advance": "1h"}).status_code == 404
    assert sms_mock_inprocess.now() == before           # the clock did not move


def test_other_hosts_are_left_alone_while_real_names_are_routed(webhook_receiver):
    with real_hosts() as mock:
        assert requests.post(webhook_receiver.url, json={"hello": "receiver"}).status_code == 204
        assert httpx.post(webhook_receiver.url, json={"hello": "again"}).status_code == 204
        assert requests.get("https://prod-v3.pvadeals.com/v3/api/balance", headers=AUTH).status_code == 200
        assert mock.count_requests() == 1
    assert [delivery["json"]["hello"] for delivery in webhook_receiver.wait_for(2)] == ["receiver", "again"]
    # Afterwards the name is no longer answered in process: nothing reaches the sandbox.
    assert httpx.HTTPTransport.handle_request.__module__ == "httpx._transports.default"


def test_a_scenario_adds_a_host_and_the_family_is_answered_in_its_dialect():
    from mockserver.loading import load_text
    scenario = load_text("name: hosts\nreal_hosts:\n  sms.example-clone.test: smsactivate/herosms\n")
    query = "/stubs/handler_api.php?action=getBalance&api_key=nobody"
    with real_hosts(scenario) as mock:
        answers = {host: requests.get(f"{scheme}://{host}{query}") for scheme, host in (
            ("https", "sms.example-clone.test"), ("https", "hero-sms.com"), ("https", "api.sms-activate.org"),
            ("http", "privatesms.vip"))}
        journal = {(entry["host"], entry["path"]) for entry in mock.requests()}
    assert {host: (answer.status_code, answer.text) for host, answer in answers.items()} == {
        "sms.example-clone.test": (401, '{"title":"BAD_KEY","details":"Unauthorized"}'),     # HeroSMS: JSON, 4xx
        "hero-sms.com": (401, '{"title":"BAD_KEY","details":"Unauthorized"}'),
        "api.sms-activate.org": (200, "BAD_KEY"),                                            # vanilla: 200 text
        "privatesms.vip": (401, "BAD_KEY"),                                                  # text with a status
    }
    assert journal == {("sms.example-clone.test", "/herosms/stubs/handler_api.php"),
                       ("hero-sms.com", "/herosms/stubs/handler_api.php"),
                       ("api.sms-activate.org", "/vanilla/stubs/handler_api.php"),
                       ("privatesms.vip", "/privatesms/stubs/handler_api.php")}


def mockserver_bin(tmp_path: Path) -> Path:
    installed = Path(sys.executable).parent / "mockserver"
    if installed.is_file():
        return installed
    script = tmp_path / "mockserver"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mockserver "$@"\n')
    script.chmod(0o755)
    return script


def test_the_ca_is_made_once_with_an_owner_only_key(tmp_path):
    folder = tmp_path / "ca"
    env = {**os.environ, "MOCKSERVER_CA_DIR": str(folder)}
    printed = subprocess.run([mockserver_bin(tmp_path), "ca"], env=env, capture_output=True, text=True, check=True)
    assert printed.stdout == f"{folder / 'ca.pem'}\n"
    assert stat.S_IMODE((folder / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    first = (folder / "ca.pem").read_bytes()
    lines = subprocess.run([mockserver_bin(tmp_path), "ca", "--env"], env=env, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert (folder / "ca.pem").read_bytes() == first            # the same CA, not a new one
    assert f"export NODE_EXTRA_CA_CERTS={folder / 'ca.pem'}" in lines
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        assert f"export {name}={folder / 'bundle.pem'}" in lines
    assert (folder / "bundle.pem").read_bytes().endswith(first)


class Served:
    """`mockserver run` with its TLS listener and proxy, as a user starts it."""

    def __init__(self, tmp_path: Path, *options: str):
        self.ca_dir = tmp_path / "ca"
        self.env = {**os.environ, "MOCKSERVER_CA_DIR": str(self.ca_dir)}
        self.process = subprocess.Popen([mockserver_bin(tmp_path), "run", "--port", "0", "--frozen", *options],
                                        env=self.env, stdout=subprocess.PIPE, text=True)
        self.tls_port = self.proxy_port = None
        for line in self.process.stdout:
            if found := re.search(r"HTTPS at the providers' real names: https://127\.0\.0\.1:(\d+)", line):
                self.tls_port = int(found[1])
            if found := re.search(r"HTTPS_PROXY=http://127\.0\.0\.1:(\d+)", line):
                self.proxy_port = int(found[1])
            if found := re.match(r"mockserver: scenario .* on (http://\S+)", line):
                self.url = found[1]
                break
        deadline = time.monotonic() + 20      # granian's TLS listener starts beside the plain one
        while self.tls_port and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.tls_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.process.stdout.close()


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path, "--tls-port", "0", "--proxy-port", "0")
    yield server
    server.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_buys_a_number_through_the_proxy_with_two_variables(served, tmp_path):
    env = {"PATH": os.environ["PATH"], "HTTPS_PROXY": f"http://127.0.0.1:{served.proxy_port}",
           "CURL_CA_BUNDLE": str(served.ca_dir / "bundle.pem")}

    def curl(*arguments: str) -> dict:
        done = subprocess.run(["curl", "-sS", "--fail-with-body", *arguments, "-H", "Authorization: Bearer API-mock-default"],
                              env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)
    bought = curl("-X", "POST", "https://prod-v3.pvadeals.com/v3/api/purchase", "--json",
                  json.dumps({"services": [{"serviceId": AIRBNB}]}))
    request_id = bought["data"]["requests"][0]["_id"]
    assert curl(f"https://prod-v3.pvadeals.com/v3/api/request/{request_id}")["data"]["status"] == "RESERVED"
    journal = requests.get(f"{served.url}/_mock/requests", params={"path": "/v3/api/purchase"}).json()["requests"]
    assert [(entry["host"], entry["status"]) for entry in journal] == [("prod-v3.pvadeals.com", 200)]


def test_the_tls_port_answers_at_a_real_name_with_the_local_ca(served):
    answer = requests.get(f"https://127.0.0.1:{served.tls_port}/api/v1/sms/balance",
                          headers={"Host": "sms.provynx.com", "Authorization": "Bearer nsk_test_mock"},
                          verify=str(served.ca_dir / "ca.pem"))
    assert answer.status_code == 200
    refused = requests.get(f"https://127.0.0.1:{served.tls_port}/_mock/state", headers={"Host": "sms.provynx.com"},
                           verify=str(served.ca_dir / "ca.pem"))
    assert refused.status_code == 404


def connect(port: int, authority: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        answer = b""
        while chunk := client.recv(4096):
            answer += chunk
        return answer


def test_a_connect_to_any_other_host_is_refused_and_nothing_is_sent(served):
    bystander = socket.create_server(("127.0.0.1", 0))
    bystander.settimeout(0.5)
    port = bystander.getsockname()[1]
    try:
        for authority in (f"127.0.0.1:{port}", f"localhost:{port}", "example.com:443", "prod-v3.pvadeals.com:80",
                          f"prod-v3.pvadeals.com:{port}", "[::1]:443"):
            assert connect(served.proxy_port, authority).startswith(b"HTTP/1.1 403 Forbidden\r\n"), authority
        with pytest.raises(socket.timeout):
            bystander.accept()         # the proxy never connected to it
    finally:
        bystander.close()


def test_the_proxy_looks_nothing_up_for_a_refused_host(monkeypatch):
    looked_up = []
    original = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        looked_up.append(host)
        return original(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", recording)
    proxy = ConnectProxy({host.name for host in DEFAULT_HOSTS}, ("127.0.0.1", 9), DEFAULT_LIMITS)
    port = proxy.start("127.0.0.1", 0)
    try:
        looked_up.clear()
        assert connect(port, "nothing-to-see.invalid:443").startswith(b"HTTP/1.1 403 ")
        assert connect(port, "example.com:443").startswith(b"HTTP/1.1 403 ")
        assert connect(port, "x" * 20000 + ":443").startswith(b"HTTP/1.1 431 ")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:      # a plain proxy request
            client.sendall(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
        assert [host for host in looked_up if host != "127.0.0.1"] == []     # 127.0.0.1: the test's own
    finally:
        proxy.close()


@pytest.mark.parametrize(("text", "problem"), [
    ("'bad host:80': pvadeals", "real_hosts: 'bad host:80' is not a host name (letters, digits, hyphens and dots; no port)"),
    ("ok.example: 'Pva deals'", "real_hosts: 'Pva deals': give a provider, or provider/dialect (e.g. smsactivate/herosms)"),
    ("{" + ", ".join(f"h{i}.example: pvadeals" for i in range(101)) + "}", "real_hosts: at most 100 host names"),
])
def test_a_scenario_with_a_wrong_real_host_says_which(text, problem):
    from mockserver.loading import ScenarioError, load_text
    with pytest.raises(ScenarioError) as raised:
        load_text(f"name: hosts\nreal_hosts: {text}\n" if text.startswith("{") else f"name: hosts\nreal_hosts:\n  {text}\n")
    assert [line.split(": ", 1)[1] for line in raised.value.problems] == [problem]
