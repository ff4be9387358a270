"""One webhook POST at a time to one receiver URL, over a kept-alive connection, with the outcome
as (status, error). http.client directly: a lane sends its attempts back to back, and this costs
about half what urllib3 does per request (360 against 540-720 µs to a Python receiver here).

Where a connection may go is the webhook_targets setting's to say ("any", "private", "loopback"),
checked on each address a connection is about to be made to: a name resolving elsewhere later is
checked again then.

Of an answer, the status decides the outcome and the body is not needed: at most ``answer_bytes``
of it are read, and a longer one is left unread and its connection closed.

An attempt has one deadline, its policy's timeout, for the whole of it: connecting, sending, the
status line, the headers and the answer. Socket timeouts bound each read and write, not their sum,
so a receiver that trickles its answer a byte at a time would pass every one of them: the
timeouts are set to the time left before each step, and a Watchdog ends what is still under way
at the deadline.

The deadline covers looking the host name up too: getaddrinfo cannot be interrupted, and a DNS
server that never answers would hold the worker for the resolver's own timeout (5 to 30 s, whatever
the attempt's). A Resolver runs each lookup on a thread of its own and waits for it only until the
deadline; the lookup finishes (or fails) on that thread afterwards. Lookups under way at once are
bounded (webhook_dns_lookups), so a DNS server that hangs cannot make the sandbox start threads
without end. An address written as an IP literal needs no lookup and gets no thread.
"""
from __future__ import annotations

import http.client
import ipaddress
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mockserver.settings import DEFAULT_LIMITS, ENV_PREFIX

# The networks each webhook_targets setting allows; "any" is not checked.
_LOOPBACK = ("127.0.0.0/8", "::1/128")
TARGET_NETWORKS = {
    "loopback": tuple(map(ipaddress.ip_network, _LOOPBACK)),
    "private": tuple(map(ipaddress.ip_network, _LOOPBACK + (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",      # RFC 1918
        "fc00::/7",                                         # IPv6 unique-local
        "169.254.0.0/16", "fe80::/10"))),                   # link-local
}


class TargetNotAllowed(Exception):
    """Every address of a receiver is outside the webhook_targets setting: nothing was sent. The
    attempt fails as one to an unreachable receiver does, and is retried by the policy like one,
    since the setting is the server's, not the message's, and a name may resolve elsewhere by the
    next attempt."""


def target_allowed(targets: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    networks = TARGET_NETWORKS.get(targets)
    if networks is None:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped     # ::ffff:10.0.0.1 reaches 10.0.0.1
    return any(address in network for network in networks)


# (host, port, family, type) -> getaddrinfo's list; socket.getaddrinfo's signature, so a caller
# (a test) can stand a resolver of its own in for the system's.
Lookup = Callable[..., list]


class Resolver:
    """Host name lookups that give up at a deadline (see the module's docstring)."""

    def __init__(self, lookups: int = DEFAULT_LIMITS.webhook_dns_lookups, lookup: Lookup | None = None):
        self._slots = threading.BoundedSemaphore(lookups)
        self._lookup = lookup

    def addresses(self, host: str, port: int, deadline: float) -> list:
        """getaddrinfo's answer for a TCP connection to (host, port); TimeoutError at the deadline."""
        if _is_ip_literal(host):
            return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        if not self._slots.acquire(timeout=_time_left(deadline)):
            raise TimeoutError(f"no DNS lookup slot for {host} before the deadline")
        lookup = self._lookup or socket.getaddrinfo
        done = threading.Event()
        outcome: dict[str, Any] = {}      # "addresses", or the lookup's "error"

        def run() -> None:
            try:
                outcome["addresses"] = lookup(host, port, 0, socket.SOCK_STREAM)
            except BaseException as exc:       # handed to the waiting attempt, if it still waits
                outcome["error"] = exc
            finally:
                self._slots.release()
                done.set()

        try:
            threading.Thread(target=run, name="webhook-dns", daemon=True).start()
        except BaseException:
            self._slots.release()
            raise
        left = deadline - time.monotonic()
        if not done.wait(max(0.0, left)):
            raise TimeoutError(f"looking up {host}")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["addresses"]


_SYSTEM_RESOLVER = Resolver()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def connect_within(targets: str, address: tuple[str, int], timeout: float, source_address=None,
                   resolver: Resolver | None = None) -> socket.socket:
    """socket.create_connection, to the first of the host's addresses that ``targets`` allows and
    that answers. Checked on the address connected to, not on the host's name or an earlier lookup.
    ``timeout`` is for looking the name up and all the addresses tried together, not each."""
    deadline = time.monotonic() + timeout
    checked = targets in TARGET_NETWORKS
    host, port = address
    refused, failure = None, None
    for family, kind, proto, _, sockaddr in (resolver or _SYSTEM_RESOLVER).addresses(host, port, deadline):
        if checked and not target_allowed(targets, ipaddress.ip_address(sockaddr[0])):
            refused = refused or sockaddr[0]
            continue
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_time_left(deadline))
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            failure = exc
    if failure is not None:
        raise failure
    if refused is None:
        raise OSError(f"no address for {host}")
    named = "" if host == refused else f" ({host})"
    raise TargetNotAllowed(f"{refused}{named} is outside {ENV_PREFIX}WEBHOOK_TARGETS={targets}")


class Watch:
    """One attempt under the watchdog's eye: its deadline (time.monotonic()) and how to end it."""
    __slots__ = ("deadline", "abort", "aborted")

    def __init__(self, deadline: float, abort: Callable[[], None]):
        self.deadline = deadline
        self.abort = abort
        self.aborted = False


class Watchdog:
    """One thread that ends attempts past their deadline by shutting their socket down, so the read
    or write they are blocked in returns at once. Shared by an outbox's receivers, so attempts cost
    no thread of their own. It sleeps until the earliest deadline of the attempts under way (as
    many as the outbox has workers, at most), and is woken only for an earlier one."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._changed = threading.Condition(self._guard)
        self._watched: set[Watch] = set()
        self._wakes_at: float | None = None        # the thread's next look; None: when woken
        # The latest deadline given. With nothing watched the thread still looks again then, rather
        # than sleep until woken: attempts that end at once would each wake it to find nothing.
        self._latest_deadline = 0.0
        self._thread: threading.Thread | None = None
        self._closed = False

    def watch(self, deadline: float, abort: Callable[[], None]) -> Watch:
        watch = Watch(deadline, abort)
        with self._guard:
            self._watched.add(watch)
            if deadline > self._latest_deadline:
                self._latest_deadline = deadline
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-watchdog", daemon=True)
                self._thread.start()
            elif self._wakes_at is None or deadline < self._wakes_at:
                self._changed.notify()
        return watch

    def unwatch(self, watch: Watch) -> bool:
        """Ends a watch; True if its deadline came first and its socket was shut down. Once this
        returns, the watchdog does not touch that socket again."""
        with self._guard:
            self._watched.discard(watch)
            return watch.aborted

    def close(self) -> None:
        """The thread ends once no attempt is watched."""
        with self._guard:
            self._closed = True
            self._changed.notify()

    def _run(self) -> None:
        with self._guard:
            while self._watched or not self._closed:
                now = time.monotonic()
                for watch in [w for w in self._watched if w.deadline <= now]:
                    self._watched.discard(watch)
                    watch.aborted = True
                    watch.abort()          # holding the lock, so unwatch() cannot return meanwhile
                if self._watched:
                    self._wakes_at = min(w.deadline for w in self._watched)
                else:
                    self._wakes_at = self._latest_deadline if self._latest_deadline > now else None
                self._changed.wait(None if self._wakes_at is None else self._wakes_at - now)
            self._thread = None


class _Connection(http.client.HTTPConnection):
    """http.client's connection with its socket from ``open_socket`` (which checks where it may
    go): ``connect`` is the method http.client opens its socket in."""

    def __init__(self, host: str, port: int | None, open_socket: Callable[..., socket.socket]):
        super().__init__(host, port)
        self.open_socket = open_socket

    def connect(self) -> None:
        self.sock = self.open_socket((self.host, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # as http.client's own connect


class _TlsConnection(_Connection):
    """The same over TLS, the certificate checked against the URL's host name."""
    default_port = http.client.HTTPS_PORT

    def __init__(self, host: str, port: int | None, open_socket: Callable[..., socket.socket],
                 context: ssl.SSLContext):
        super().__init__(host, port, open_socket)
        self.context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


class Receiver:
    """The connection to one webhook URL. Used by one thread at a time (its lane's)."""

    def __init__(self, url: str, watchdog: Watchdog, *, answer_bytes: int = DEFAULT_LIMITS.webhook_answer_bytes,
                 targets: str = DEFAULT_LIMITS.webhook_targets, resolver: Resolver | None = None):
        # A URL no POST can go to (a port past 65535, no host) does not raise here, where the
        # outbox queues an attempt: each attempt to it fails, logged with the reason, and the
        # policy retries it like one to an unreachable receiver.
        self._problem: str | None = None
        self._secure, self._host, self._port, self._target = False, None, None, "/"
        try:
            parts = urlsplit(url)
            self._secure = parts.scheme == "https"
            self._host, self._port = parts.hostname, parts.port
            self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        except ValueError as exc:
            self._problem = f"invalid URL: {exc}"
        else:
            if parts.scheme not in ("http", "https"):
                self._problem = f"invalid URL: scheme {parts.scheme!r} is not http or https"
            elif not self._host:
                self._problem = "invalid URL: no host"
            elif self._port == 0:
                self._problem = "invalid URL: port 0"
        self._resolver = resolver
        self._watchdog = watchdog
        self._answer_bytes = answer_bytes
        self._targets = targets
        self._connection: http.client.HTTPConnection | None = None
        # The watchdog shuts the socket down through a duplicate descriptor of its own: http.client
        # may close the socket itself mid-attempt (an answer with Connection: close), and once
        # closed, its descriptor's number can go to any other socket the process opens.
        self._abort_handle: socket.socket | None = None

    def post(self, body: bytes, headers: dict, timeout_ms: int) -> tuple[int | None, str | None]:
        """(status, None) on a 2xx; otherwise what went wrong. Never raises for the receiver's faults."""
        if self._problem is not None:
            return None, self._problem
        if self._connection is not None and _dropped(self._connection):
            self.close()
        watch = self._watchdog.watch(time.monotonic() + timeout_ms / 1000, self._abort)
        status, error, reusable = None, None, False
        try:
            status, reusable = self._exchange(body, headers, watch.deadline)
        except TargetNotAllowed as exc:
            error = f"target not allowed: {exc}"
        except TimeoutError:
            error = f"timeout after {timeout_ms} ms"
        except (OSError, http.client.HTTPException) as exc:
            error = f"connection error: {_root_cause(exc)}"
        except ValueError as exc:           # e.g. a port out of range
            error = f"request failed: {exc}"
        if self._watchdog.unwatch(watch):   # the deadline came first: what the exchange met came of that
            status, error, reusable = None, f"timeout after {timeout_ms} ms", False
        if not reusable:
            self.close()
        if error is None and status is not None and not 200 <= status < 300:     # no error: a status
            error = f"HTTP {status}"
        return status, error

    def _exchange(self, body: bytes, headers: dict, deadline: float) -> tuple[int, bool]:
        """The POST and its answer: the status, and whether the connection can carry the next one."""
        connection = self._connection or self._open()
        connection.timeout = _time_left(deadline)      # for connecting, if it has to
        if connection.sock is not None:
            connection.sock.settimeout(connection.timeout)
        connection.request("POST", self._target, body=body, headers=headers)
        connection.sock.settimeout(_time_left(deadline))
        response = connection.getresponse()
        response.read(self._answer_bytes)
        # Closed: the answer ended within the limit. Otherwise the rest is still coming, and the
        # connection goes rather than read it.
        return response.status, response.isclosed() and not response.will_close

    def _open(self) -> http.client.HTTPConnection:
        """A connection that connects on its first request, through _open_socket. HTTPS wraps
        the socket it returns and checks the certificate against the URL's host name."""
        assert self._host is not None       # post() tries no URL without one
        connection = (_TlsConnection(self._host, self._port, self._open_socket, ssl.create_default_context())
                      if self._secure else _Connection(self._host, self._port, self._open_socket))
        self._connection = connection
        return connection

    def _open_socket(self, address: tuple, timeout: float, source_address=None) -> socket.socket:
        sock = connect_within(self._targets, address, timeout, source_address, resolver=self._resolver)
        try:
            self._abort_handle = sock.dup()
        except OSError:
            sock.close()
            raise
        return sock

    def _abort(self) -> None:
        """The watchdog's way to end an attempt (on its thread): whatever the lane's thread is
        blocked in on the socket returns, with an error or an early end of the answer."""
        handle = self._abort_handle
        if handle is not None:
            try:
                handle.shutdown(socket.SHUT_RDWR)
            except OSError:             # no longer connected
                pass

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._abort_handle is not None:
            self._abort_handle.close()
            self._abort_handle = None


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed by the receiver (or sent
    something unasked): reconnect rather than lose the next attempt to it."""
    if connection.sock is None:
        return True
    # poll, not select: select cannot watch a descriptor numbered 1024 or more, which a server
    # with many connections open reaches.
    poller = select.poll()
    poller.register(connection.sock, select.POLLIN)
    return bool(poller.poll(0))


def _root_cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        exc, cause = cause, cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__
