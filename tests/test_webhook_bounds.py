"""Bounds on webhook delivery: what is read of a receiver's answer, fair shares of the delivery
workers between tenants, and the addresses webhooks may go to. Real servers on 127.0.0.1."""
from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness import THREE_FUN, scenario_with
from mockserver.engine.delivery import target_allowed
from mockserver.settings import Limits
from mockserver.testing import WebhookReceiver

GIB = 1024 ** 3


def point(mock, key: str, url: str) -> None:
    """The account of ``key`` (a tenant: API-w* in the harness scenario) sends its webhooks to ``url``."""
    response = mock.control("POST", "/webhook", json={"key": key, "url": url})
    assert response.status_code == 200, response.text


def settle(mock, key: str) -> None:
    """Run what is due for one tenant and wait for its deliveries under way, not anyone else's."""
    response = mock.control("POST", "/clock", json={"advance": "0s", "key": key})
    assert response.status_code == 200, response.text


def outcomes(mock, key: str) -> list[tuple]:
    return [(a["attempt"], a["status"], a["error"]) for a in mock.webhooks(key=key)]


def peak_rss_bytes() -> int:
    """This process's peak resident memory (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


# -- the answer ------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from /proc")
def test_a_1_gib_answer_is_cut_at_the_answer_limit_and_its_status_decides(start_server, receiver):
    receiver.answer_size(GIB)
    mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}))
    point(mock, "API-w-big", receiver.url)
    peak_before = peak_rss_bytes()
    mock.buy(THREE_FUN, key="API-w-big")
    settle(mock, "API-w-big")
    assert outcomes(mock, "API-w-big") == [(1, 200, None)]
    [sent] = receiver.wait_answered(1)
    # The receiver got out what the sockets' buffers hold before the server closed the
    # connection on it; the server read 64 KiB of that.
    assert sent < 64 * 1024 ** 2
    assert peak_rss_bytes() - peak_before < 256 * 1024 ** 2


# -- fair shares -------------------------------------------------------------------------------


def test_ten_tenants_with_hanging_receivers_leave_workers_for_an_eleventh(start_server):
    limits = Limits(webhook_workers=24, webhook_workers_per_tenant=2)
    hanging, healthy = WebhookReceiver(), WebhookReceiver()
    hanging.hold()
    try:
        # A 30 s timeout: behind the hanging attempts, the healthy delivery would wait that long.
        mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}), limits=limits)
        tenants = [f"API-w-hanging-{n}" for n in range(10)]
        for key in tenants:
            for lane in range(3):        # three URLs each: 30 lanes, more than the 24 workers
                point(mock, key, f"{hanging.url}/{key}/{lane}")
                mock.buy(THREE_FUN, key=key)
        assert len(hanging.wait_for(20)) == 20
        point(mock, "API-w-healthy", healthy.url)
        mock.buy(THREE_FUN, key="API-w-healthy")
        assert len(healthy.wait_for(1, timeout_s=20)) == 1
        settle(mock, "API-w-healthy")
        assert outcomes(mock, "API-w-healthy") == [(1, 204, None)]
        # Meanwhile each hanging tenant has two attempts under way (its share) and one waiting.
        assert all(mock.webhooks(key=key) == [] for key in tenants)
        assert len(hanging.deliveries) == 20
        assert sorted({d["path"].split("/")[1] for d in hanging.deliveries}) == sorted(tenants)
    finally:
        hanging.close()
        healthy.close()


def test_a_freed_worker_serves_the_tenants_with_work_waiting_in_turn(start_server, receiver):
    limits = Limits(webhook_workers=1, webhook_workers_per_tenant=1)
    gate = WebhookReceiver()
    gate.hold()
    try:
        mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}), limits=limits)
        point(mock, "API-w-gate", gate.url)
        mock.buy(THREE_FUN, key="API-w-gate")
        gate.wait_for(1)                       # the only worker is held: what follows queues up
        for key in ("API-w-a", "API-w-b"):
            for lane in range(3):
                point(mock, key, f"{receiver.url}/{key}/{lane}")
                mock.buy(THREE_FUN, key=key)
        gate.release()
        paths = [d["path"] for d in receiver.wait_for(6)]
        assert paths == ["/API-w-a/0", "/API-w-b/0", "/API-w-a/1", "/API-w-b/1", "/API-w-a/2", "/API-w-b/2"]
    finally:
        gate.close()


# -- targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("targets, address, allowed", [
    ("any", "203.0.113.7", True),
    ("private", "127.0.0.1", True), ("private", "::1", True),
    ("private", "10.1.2.3", True), ("private", "172.16.0.1", True), ("private", "172.31.255.255", True),
    ("private", "192.168.1.1", True), ("private", "169.254.169.254", True),
    ("private", "fd12:3456::1", True), ("private", "fe80::1", True), ("private", "::ffff:10.0.0.1", True),
    ("private", "172.32.0.1", False), ("private", "100.64.0.1", False), ("private", "192.0.2.1", False),
    ("private", "8.8.8.8", False), ("private", "2001:db8::1", False), ("private", "0.0.0.0", False),
    ("loopback", "127.9.9.9", True), ("loopback", "::1", True), ("loopback", "::ffff:127.0.0.1", True),
    ("loopback", "10.255.255.1", False), ("loopback", "fd00::1", False), ("loopback", "0.0.0.0", False),
])
def test_which_addresses_each_webhook_targets_setting_allows(targets, address, allowed):
    assert target_allowed(targets, ipaddress.ip_address(address)) is allowed


def test_private_targets_refuse_a_public_address_at_connect_and_allow_loopback(start_server, receiver):
    mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 1, "delay": "10s", "timeout": "2s"}}),
                        limits=Limits(webhook_targets="private"))
    point(mock, "API-w-out", "http://192.0.2.1/hook")
    point(mock, "API-w-in", receiver.url + "/hook")
    mock.buy(THREE_FUN, key="API-w-out")
    mock.buy(THREE_FUN, key="API-w-in")
    mock.advance("1m")
    refused = "target not allowed: 192.0.2.1 is outside MOCKSERVER_WEBHOOK_TARGETS=private"
    assert outcomes(mock, "API-w-out") == [(1, None, refused), (2, None, refused)]     # retried as any failure
    assert outcomes(mock, "API-w-in") == [(1, 204, None)]
    assert [d["path"] for d in receiver.deliveries] == ["/hook"]


def test_loopback_targets_refuse_a_private_address_and_allow_a_name_for_loopback(start_server, receiver):
    mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "2s"}}),
                        limits=Limits(webhook_targets="loopback"))
    point(mock, "API-w-lan", "http://10.255.255.1:8080/hook")
    point(mock, "API-w-local", receiver.url.replace("127.0.0.1", "localhost") + "/hook")
    mock.buy(THREE_FUN, key="API-w-lan")
    mock.buy(THREE_FUN, key="API-w-local")
    mock.advance("1m")
    assert outcomes(mock, "API-w-lan") == [
        (1, None, "target not allowed: 10.255.255.1 is outside MOCKSERVER_WEBHOOK_TARGETS=loopback")]
    assert outcomes(mock, "API-w-local") == [(1, 204, None)]
    assert [d["path"] for d in receiver.deliveries] == ["/hook"]


class TlsReceiver:
    """An HTTPS receiver on 127.0.0.1 with a certificate for the name localhost only."""

    def __init__(self, cert: Path, key: Path):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="makes its certificate with openssl")
def test_https_to_a_checked_address_still_checks_the_certificate_against_the_host_name(start_server, tmp_path,
                                                                                       monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))       # the one certificate the outbox trusts
    receiver = TlsReceiver(cert, key)
    try:
        mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "5s"}}),
                            limits=Limits(webhook_targets="loopback"))
        point(mock, "API-w-name", f"https://localhost:{receiver.port}/hook")
        point(mock, "API-w-address", f"https://127.0.0.1:{receiver.port}/hook")
        mock.buy(THREE_FUN, key="API-w-name")
        mock.buy(THREE_FUN, key="API-w-address")
        mock.advance("1m")
        assert outcomes(mock, "API-w-name") == [(1, 204, None)]
        [(number, status, error)] = outcomes(mock, "API-w-address")
        assert (number, status) == (1, None)
        assert error.startswith("connection error: [SSL: CERTIFICATE_VERIFY_FAILED]") and "127.0.0.1" in error
    finally:
        receiver.close()
