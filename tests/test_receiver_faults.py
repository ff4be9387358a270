"""Webhook receivers that misbehave: every attempt is logged with its outcome, retries follow the
policy, and API calls never wait on a receiver."""
from __future__ import annotations

import socket
import struct
import threading

import pytest

from harness import THREE_FUN, scenario_with
from mockserver.engine.delivery import Receiver, Watchdog
from mockserver.testing import WebhookReceiver

POLICY = {"retries": 2, "delay": "10s", "timeout": "300ms"}


class RawReceiver:
    """A bare TCP server on 127.0.0.1 that gives each connection to handle(): receivers that
    break HTTP in ways a real HTTP server will not."""

    def __init__(self):
        self.connections = 0
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            self.handle(connection)

    def handle(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self):
        self._socket.close()


class ResettingReceiver(RawReceiver):
    """Resets each connection at once (RST), like a crashing receiver."""

    def handle(self, connection):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


def serve_with(start_server, url):
    return start_server(scenario_with(**{
        "pvadeals.accounts": [{"key": "API-test-one", "credits": 100, "webhook": url}],
        "pvadeals.webhooks": POLICY}))


@pytest.mark.parametrize("kind, expected", [
    ("hang", [(None, "timeout after 300 ms")] * 3),
    ("trickle", [(None, "timeout after 300 ms")] * 3),
    ("reset", [(None, "connection error")] * 3),
    ("slow", [(204, None)]),
    ("redirect", [(302, "HTTP 302"), (204, None)]),
    ("client-error", [(404, "HTTP 404"), (404, "HTTP 404"), (204, None)]),
    ("server-error", [(503, "HTTP 503")] * 3),
])
def test_each_attempt_is_logged_with_its_outcome_and_retried_by_policy(start_server, kind, expected):
    receiver = ResettingReceiver() if kind == "reset" else WebhookReceiver()
    try:
        if kind == "hang":
            receiver.hold()
        elif kind == "trickle":       # every byte within the timeout, the whole answer far outside it
            receiver.trickle(0.1)
        elif kind == "slow":
            receiver.delay_s = 0.15
        elif kind == "redirect":
            receiver.fail_next(1, status=302)
        elif kind == "client-error":
            receiver.fail_next(2, status=404)
        elif kind == "server-error":
            receiver.fail_next(10, status=503)
        mock = serve_with(start_server, receiver.url)
        mock.buy(THREE_FUN)
        mock.advance("1m")
        attempts = mock.webhooks()
        outcomes = [(a["status"], a["error"] and a["error"].split(":")[0]) for a in attempts]
        assert outcomes == [(s, e and e.split(":")[0]) for s, e in expected]
        assert [a["attempt"] for a in attempts] == list(range(1, len(expected) + 1))
        assert [a["at"][11:19] for a in attempts] == ["22:42:26", "22:42:36", "22:42:46"][:len(expected)]
        if kind == "slow":
            assert attempts[0]["duration_ms"] >= 150
    finally:
        receiver.close()


def test_api_calls_answer_while_the_receiver_holds_every_delivery(start_server):
    """Deliveries run off the request path: with every webhook worker stuck on a receiver that
    never answers (for the whole 60 s attempt timeout), purchases and reads still answer, each
    within a client timeout far below that; had one waited on the receiver it would time out."""
    hanging = WebhookReceiver()
    hanging.hold()
    try:
        mock = start_server(scenario_with(**{
            "pvadeals.accounts": [{"key": "API-test-one", "credits": 1000, "webhook": hanging.url}],
            "pvadeals.webhooks": {"retries": 5, "delay": "1s", "timeout": "60s"},
            "pvadeals.rate_limits": [{"limit": 100000, "window": "1s"}]}))
        mock.buy(THREE_FUN)
        assert len(hanging.wait_for(1)) >= 1                 # a delivery is stuck in the receiver
        for _ in range(30):                                  # more queue up behind it
            assert mock.pva("POST", "/purchase", json={"services": [{"serviceId": THREE_FUN}]},
                            timeout=10).status_code == 200
        for _ in range(60):
            assert mock.pva("GET", "/balance", timeout=10).status_code == 200
        assert mock.pva("GET", "/requests", timeout=10).status_code == 200
        stuck = [a for a in mock.webhooks() if a["status"] is not None]
        assert stuck == []                                   # the receiver answered nothing meanwhile
    finally:
        hanging.close()


class ClosingAfterEachAnswerReceiver(RawReceiver):
    """Answers 204 with keep-alive promised, then closes the connection anyway, as a receiver
    whose idle timeout ran out between two deliveries does. ``closed`` is set once it has."""

    def __init__(self):
        self.closed = threading.Event()
        super().__init__()

    def handle(self, connection):
        with connection:
            request = b""
            while not request.endswith(b"{}"):      # headers, then the two-byte body
                request += connection.recv(65536)
            connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        self.closed.set()


def test_a_kept_alive_connection_the_receiver_closed_is_reopened_not_counted_as_a_failure():
    """The outbox's connection to one URL, driven directly against a real socket server."""
    server = ClosingAfterEachAnswerReceiver()
    watchdog = Watchdog()
    receiver = Receiver(server.url, watchdog)
    try:
        assert receiver.post(b"{}", {"Content-Type": "application/json"}, 1000) == (204, None)
        assert server.closed.wait(5)
        server.closed.clear()
        # Sent on the old connection, this would meet a closed socket (broken pipe or reset).
        assert receiver.post(b"{}", {"Content-Type": "application/json"}, 1000) == (204, None)
        assert server.connections == 2
    finally:
        receiver.close()
        watchdog.close()
        server.close()


class SizedAnswerReceiver(RawReceiver):
    """Answers each request on a connection with 200 and a body of the next of ``sizes`` bytes,
    until the client closes the connection."""

    def __init__(self, sizes):
        self._sizes = iter(sizes)
        super().__init__()

    def handle(self, connection):
        with connection:
            while True:
                request = b""
                while not request.endswith(b"{}"):      # headers, then the two-byte body
                    received = connection.recv(65536)
                    if not received:
                        return
                    request += received
                size = next(self._sizes)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size)


def test_an_answer_over_the_limit_costs_its_connection_and_one_within_it_does_not():
    """The outbox's connection to one URL, with an answer limit of 16 bytes."""
    server = SizedAnswerReceiver([16, 17, 16])
    watchdog = Watchdog()
    receiver = Receiver(server.url, watchdog, answer_bytes=16)
    try:
        outcomes = [receiver.post(b"{}", {"Content-Type": "application/json"}, 1000) for _ in range(3)]
        assert outcomes == [(200, None)] * 3             # the status decides, whatever the size
        assert server.connections == 2                   # the first kept for the second, not the second
    finally:
        receiver.close()
        watchdog.close()
        server.close()
