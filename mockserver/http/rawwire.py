"""Answers broken below HTTP, for the faults a scenario declares: a body cut short, garbage then a
closed connection, an empty reply, a connection reset after the headers or mid-body, a body
trickled over a duration. A WSGI server (granian included) offers no way to send bytes that are
not a well-formed answer, so these are written on the client's own socket, which the operating
system lets this process find by the client's address, and the server is then left a connection
that goes nowhere (its descriptor now names /dev/null): what it writes afterwards is lost, as a
real network loses it.

Linux only (it reads /proc/self/fd); elsewhere ``client_socket`` finds nothing, and the caller
falls back to the nearest effect HTTP allows (a connection closed mid-body)."""
from __future__ import annotations

import os
import select
import socket
import stat
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_FDS = "/proc/self/fd"
_STEP_S = 0.01          # how often a trickle looks at its clock
# How long one write may wait for a client that reads nothing before the fault gives up on it.
# A timeout (not blocking mode) also keeps the socket non-blocking for the server sharing it.
_SEND_TIMEOUT_S = 10.0


@dataclass
class ClientSocket:
    """A duplicate of the server's socket to one client, and the descriptor number it came from."""
    sock: socket.socket
    fd: int


def client_socket(host: str, port: int) -> ClientSocket | None:
    """The connection this process has with the client at ``host``:``port``, or None."""
    try:
        names = os.listdir(_FDS)
    except OSError:
        return None
    for name in names:
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            dup = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            peer = dup.getpeername()
            if isinstance(peer, tuple) and _same_host(peer[0], host) and peer[1] == port:
                return ClientSocket(dup, fd)
        except OSError:
            pass
        dup.close()
    return None


def _same_host(seen: str, wanted: str) -> bool:
    return seen == wanted or seen.removeprefix("::ffff:") == wanted.removeprefix("::ffff:")


def head_bytes(status: int, reason: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(client: ClientSocket, data: bytes, *, end: str = "close", trickle_s: float = 0.0,
         clock_s: Callable[[], float] = time.monotonic, first: int = 0, patience_s: float = 0.0) -> None:
    """Take the connection from the server, write ``data`` on it, then end it: ``close`` (a FIN) or
    ``reset`` (an RST: the client's next read fails with ECONNRESET). With ``trickle_s``, the
    bytes after the first ``first`` go out evenly over that many seconds of ``clock_s`` (real or
    virtual time: a virtual clock moves when the test moves it); ``patience_s`` (real time, 0: none)
    bounds how long a trickle waits for a clock no one moves, after which the connection is reset.
    The server's descriptor is left pointing at /dev/null, so nothing it writes later reaches the
    client."""
    sock = client.sock
    # The server's descriptor names /dev/null before a byte goes out: once the client has what it
    # gets and hangs up, the server may close that descriptor and the number may name the next
    # client's connection, which a later dup2 would then cut.
    _detach(client)
    try:
        sock.settimeout(_SEND_TIMEOUT_S)
        if not trickle_s:
            sock.sendall(data)
        else:
            sock.sendall(data[:first])
            if not _trickle(sock, data[first:], trickle_s, clock_s, patience_s):
                end = "reset"
        if end == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass                    # the client went away first: nothing more to break
    finally:
        sock.close()            # the last reference: the connection ends (with an RST if SO_LINGER says so)


def _trickle(sock: socket.socket, data: bytes, over_s: float, clock_s: Callable[[], float],
             patience_s: float) -> bool:
    """Whether it sent everything before its patience ran out or the client hung up."""
    start, sent = clock_s(), 0
    given_up_at = time.monotonic() + patience_s if patience_s else None
    while sent < len(data):
        if (given_up_at is not None and time.monotonic() >= given_up_at) or _hung_up(sock):
            return False
        elapsed = clock_s() - start
        due = len(data) if elapsed >= over_s else int(len(data) * elapsed / over_s)
        if due > sent:
            sock.sendall(data[sent:due])
            sent = due
        else:
            time.sleep(_STEP_S)         # real time between looks at the clock, never provider time
    return True


def _hung_up(sock: socket.socket) -> bool:
    """Whether the client has closed its end (a read would see the end of the stream): a trickle
    it gave up on (its read timeout) stops rather than hold a server thread."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        # Readable: a peek returns at once, nothing if the client closed (the socket's timeout
        # would otherwise make the peek wait for data).
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (BlockingIOError, InterruptedError, TimeoutError):
        return False
    except OSError:
        return True


def _detach(client: ClientSocket) -> None:
    """The server's descriptor now names /dev/null: what it writes or reads there goes nowhere,
    and closing it no longer touches the connection, which our duplicate alone holds."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(null, client.fd)
    except OSError:
        pass
    finally:
        os.close(null)
