"""Ordinary client behaviour cannot lock others out of `mockserver run`: hundreds of idle
keep-alive connections and hundreds of clients sending a body slowly, all held open at once,
leave a new client's health check answered at once."""
from __future__ import annotations

import resource
import socket
import time

import pytest
import requests

from harness import RunningServer

IDLE_KEEP_ALIVE = 500
SLOW_BODIES = 200
# The requirement itself (a new client is answered within a second), as an upper bound only: a
# health check takes milliseconds, and a locked-out one took tens of seconds.
ANSWERED_WITHIN_S = 1.0

HEALTH = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
def descriptors():
    """Room for both ends of every connection (the server inherits this process's limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * (IDLE_KEEP_ALIVE + SLOW_BODIES)
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the open-file limit ({hard}) is too low for {wanted} descriptors")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _served_once(port: int) -> socket.socket:
    """A keep-alive connection that has had one answer and is left open, idle."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(HEALTH)
    received = b""
    while not received.endswith(b"}"):          # the health answer's JSON body ends the answer
        chunk = connection.recv(4096)
        assert chunk, "closed before answering"
        received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    return connection


def _slow_body(port: int) -> socket.socket:
    """A client that declared a body of 1,000 bytes and has sent one."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(b"POST /_mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n{")
    return connection


def _health_s(url: str) -> float:
    """How long a new client waits for its health check's answer, on a connection of its own."""
    started = time.monotonic()
    response = requests.get(f"{url}/_mock/health", timeout=60, headers={"Connection": "close"})
    assert response.json() == {"status": "ok", "scenario": "default"}
    return time.monotonic() - started


def test_idle_keep_alive_connections_and_slow_bodies_do_not_delay_a_new_clients_health_check(descriptors):
    # The slow bodies' deadline is set far past the test, so they are all still held at the end.
    server = RunningServer("--quiet", "--frozen", env={"MOCKSERVER_BODY_READ_TIMEOUT_S": "600"})
    port = int(server.url.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    try:
        unloaded = min(_health_s(server.url) for _ in range(3))
        idle = [_served_once(port) for _ in range(IDLE_KEEP_ALIVE)]
        held += idle
        held += [_slow_body(port) for _ in range(SLOW_BODIES)]
        # The best of three, so that one hiccup of a loaded machine is not taken for a lock-out,
        # which would delay all three.
        loaded = min(_health_s(server.url) for _ in range(3))
        assert loaded < ANSWERED_WITHIN_S, f"{loaded:.3f} s with the connections held, {unloaded:.3f} s without"
        # They were held throughout: the first idle connection is still served.
        idle[0].sendall(HEALTH)
        assert idle[0].recv(64).startswith(b"HTTP/1.1 200 OK\r\n")
    finally:
        for connection in held:
            connection.close()
        server.stop()
