"""An attempt's deadline covers looking its host name up. The system resolver cannot be made slow
from a test without changing the machine's DNS settings, so these stand a lookup function of the
test's own in for socket.getaddrinfo (the one thing delivery lets a caller replace): one that
blocks until the test lets it go, and one that answers 127.0.0.1 at once. Everything else is
real: the Receiver, its watchdog, and a real receiver on 127.0.0.1."""
from __future__ import annotations

import socket
import threading

import pytest

from mockserver.engine.delivery import Receiver, Resolver, Watchdog, connect_within
from mockserver.testing import WebhookReceiver

LIVENESS_S = 30      # far longer than any deadline below: only a hang would reach it


class HangingLookup:
    """A resolver that never answers until released (then says the name does not exist)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.released = threading.Event()
        self.finished = threading.Event()
        self.names: list[str] = []

    def __call__(self, host, port, family=0, kind=0, *rest):
        self.names.append(host)
        self.started.set()
        try:
            self.released.wait(LIVENESS_S)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        finally:
            self.finished.set()


def loopback_lookup(host, port, family=0, kind=0, *rest):
    return socket.getaddrinfo("127.0.0.1", port, family, kind)


@pytest.fixture
def watchdog():
    dog = Watchdog()
    yield dog
    dog.close()


def test_an_attempt_to_a_name_whose_lookup_hangs_times_out_at_its_deadline(watchdog):
    lookup = HangingLookup()
    receiver = Receiver("http://hooks.example.test:8080/x", watchdog, resolver=Resolver(4, lookup))
    try:
        outcome = receiver.post(b"{}", {}, timeout_ms=300)
        assert outcome == (None, "timeout after 300 ms")
        # It gave up while the lookup was still under way: the deadline, not the resolver, ended it.
        assert lookup.started.is_set() and not lookup.finished.is_set()
    finally:
        lookup.released.set()
        receiver.close()
    assert lookup.finished.wait(LIVENESS_S)


def test_a_name_is_looked_up_through_the_resolver_and_the_attempt_goes_out(watchdog):
    real = WebhookReceiver()
    port = int(real.url.rsplit(":", 1)[1])
    receiver = Receiver(f"http://hooks.example.test:{port}/x", watchdog, resolver=Resolver(4, loopback_lookup))
    try:
        assert receiver.post(b'{"event":"ping"}', {"Content-Type": "application/json"}, timeout_ms=5000) == (204, None)
        [delivery] = real.wait_for(1)
        assert (delivery["path"], delivery["headers"]["Host"]) == ("/x", f"hooks.example.test:{port}")
    finally:
        receiver.close()
        real.close()


def test_lookups_under_way_are_bounded_and_a_lookup_past_the_bound_waits_only_until_its_deadline():
    lookup = HangingLookup()
    resolver = Resolver(1, lookup)
    stuck = threading.Thread(target=lambda: _swallow(lambda: connect_within("any", ("a.example.test", 80), 5,
                                                                            resolver=resolver)))
    stuck.start()
    try:
        assert lookup.started.wait(LIVENESS_S)
        with pytest.raises(TimeoutError):      # the one slot is taken: no second thread, a timeout
            connect_within("any", ("b.example.test", 80), 0.2, resolver=resolver)
        assert lookup.names == ["a.example.test"]
    finally:
        lookup.released.set()
        stuck.join(LIVENESS_S)
    # The slot is free again once the hanging lookup ends.
    with pytest.raises(socket.gaierror):
        connect_within("any", ("c.example.test", 80), 5, resolver=resolver)
    assert lookup.names == ["a.example.test", "c.example.test"]


def test_an_ip_literal_is_not_looked_up(watchdog):
    lookup = HangingLookup()
    real = WebhookReceiver()
    receiver = Receiver(real.url + "/x", watchdog, resolver=Resolver(1, lookup))
    try:
        assert receiver.post(b"{}", {}, timeout_ms=5000) == (204, None)
        assert lookup.names == []
    finally:
        lookup.released.set()
        receiver.close()
        real.close()


def _swallow(action) -> None:
    try:
        action()
    except Exception:
        pass
