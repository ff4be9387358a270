"""The WSGI servers as the project runs them, in one place: waitress's options from the sandbox's
Limits (`mockserver run --server waitress` and ServedSandbox alike), and the front granian serves
(`mockserver run`, the default), which reads each request body before a worker thread sees it."""
from __future__ import annotations

import asyncio
import gc
import io
import logging
import queue
import sys
import threading
from collections.abc import Callable

from mockserver.http.wire import DroppedConnection
from mockserver.settings import SNAPSHOT_PATH, Limits

# How far past the app's own body limits waitress still reads a body and hands it to the app, so
# that a body somewhat too large gets the app's answer (JSON, in the provider's shape) rather than
# waitress's plain-text 413; past it, waitress answers itself without buffering any more.
BODY_SLACK_BYTES = 64 * 1024

# Besides client connections, waitress's connection count includes its listening socket and its
# trigger (a pipe); without these two, max_connections would allow two connections fewer.
WAITRESS_OWN_DESCRIPTORS = 2


class _LateBody(io.BytesIO):
    """wsgi.input of a body that did not arrive within Limits.body_read_timeout_s: reading it
    raises TimeoutError, which the app answers 408 in the API's own error shape (as it would a
    socket's timeout under another WSGI server)."""

    def read(self, size: int | None = -1) -> bytes:
        raise TimeoutError("the request body did not arrive in time")


# How many allocations the youngest generation of the cyclic garbage collector takes before it is
# collected (Python's default: 700). A request allocates hundreds of objects, so at 700 each
# collection found some of them alive, promoted them, and the full collections this brings
# walked the whole state (tens of thousands of numbers): about a sixth of a purchase's time.
GC_YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """For a server process, once its app is built and its state restored: what exists then lives
    as long as the process (gc.freeze: the collector no longer walks it), and the youngest
    generation is collected every GC_YOUNG_THRESHOLD allocations. Never called in a test's own
    process (the in-process fixtures), whose collector is the user's."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def waitress_options(limits: Limits) -> dict:
    """Keyword arguments for waitress.create_server, besides the app, the address and the threads."""
    return {
        # waitress's defaults (100 connections, idle ones kept 120 s) let a few hundred connections
        # opened and left idle lock it up: past the limit it stops accepting until some time out.
        "connection_limit": limits.max_connections + WAITRESS_OWN_DESCRIPTORS,
        "channel_timeout": limits.idle_connection_timeout_s,
        # Idle connections are looked for every cleanup_interval seconds (default 30), so one lived
        # up to channel_timeout + 30 s; looking every second is cheap, a pass over the open channels.
        "cleanup_interval": 1,
        # select() cannot watch a descriptor numbered 1024 or more, which max_connections' default
        # of 1000 connections reaches; poll() has no such bound.
        "asyncore_use_poll": True,
        # waitress buffers a whole body (in memory, then a temporary file) before the app sees it:
        # bounded here rather than at its 1 GiB default. It refuses a body of this size or more.
        "max_request_body_size": body_buffer_bytes(limits),
    }


def body_buffer_bytes(limits: Limits, path: str | None = None) -> int:
    """The most of a body either server reads before the app answers 413 itself: of a request to
    ``path``, or (None) to any path. Only a snapshot's may be larger than a scenario."""
    if path is None:
        return max(limits.max_body_bytes, limits.max_scenario_bytes, limits.max_snapshot_bytes) + BODY_SLACK_BYTES
    if path == SNAPSHOT_PATH:
        return limits.max_snapshot_bytes + BODY_SLACK_BYTES
    return max(limits.max_body_bytes, limits.max_scenario_bytes) + BODY_SLACK_BYTES


class BufferedBodies:
    """The WSGI app as granian serves it, through granian's RSGI (async) interface.

    granian's own WSGI interface calls the app on one of its few threads with the body still on
    the wire, and reading it there blocks that thread for as long as the client likes: eight
    clients that declare a body and stall froze the whole server, health checks included. Here
    the body is read on granian's event loop, where a stalled one costs no thread, within
    ``body_read_timeout_s`` and at most ``body_buffer_bytes`` (as waitress does); only then does
    the app run, on the whole body (on the loop itself or on a worker thread: see ``on_loop``).
    Answers are collected whole before they are sent, so no client can hold a thread by reading
    slowly either.

    The worker thread also hands the whole answer to granian itself (response_bytes is safe from
    any thread), so the client has it without waiting for the event loop to come round; the
    request's coroutine only learns afterwards that it is done (it must not end before: granian
    answers 500 for a coroutine that ended unanswered). A request without a body (neither
    Content-Length nor Transfer-Encoding: HTTP/1 has no other way to send one) reads nothing.

    ``on_loop(environ)``, if given, names the requests the app answers without ever waiting (no
    sleep, no network, no file): those run on the event loop itself once their body is in. The
    crossing to a worker thread and back (a queue, a wake-up through the loop's self-pipe, a
    future) cost about a quarter of a provider request's time; a request that may wait still
    takes a thread, so that it holds up no other."""

    def __init__(self, app, limits: Limits, threads: int, on_loop: Callable[[dict], bool] | None = None):
        from granian.rsgi import (  # granian only when it serves: waitress reads this module too
            ProtocolClosed,
            ProtocolError,
        )

        self._app = app
        self._on_loop = on_loop
        self._short_body = (ProtocolClosed, ProtocolError)
        self._deadline_s = limits.body_read_timeout_s
        # What is read of a body before the app refuses it: a snapshot's may be far larger than any
        # other (granian reads bodies into memory, on its loop, before the app's limits apply).
        self._cap = body_buffer_bytes(limits, "")
        self._snapshot_cap = body_buffer_bytes(limits, SNAPSHOT_PATH)
        self._threads = threads
        # (environ, protocol, future) for the workers; None tells one to stop.
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._loop = None

    def __rsgi_init__(self, loop) -> None:
        self._loop = loop
        for number in range(self._threads):
            threading.Thread(target=self._work, name=f"mockserver-{number}", daemon=True).start()

    def __rsgi_del__(self, loop) -> None:
        for _ in range(self._threads):
            self._jobs.put(None)

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":          # websockets are off; nothing else is served
            return
        environ = _environ(scope)
        environ["wsgi.input"] = io.BytesIO()
        if "CONTENT_LENGTH" in environ or "HTTP_TRANSFER_ENCODING" in environ:
            # Not a size check (the app's front makes the one, and answers 413 in the API's shape):
            # only what stops this front buffering more than the app could take. A body declared
            # longer than the cap is not read at all.
            declared = environ.get("CONTENT_LENGTH", "")
            cap = self._snapshot_cap if environ["PATH_INFO"] == SNAPSHOT_PATH else self._cap
            if not (declared.isdigit() and int(declared) > cap):
                # A declared length is at most the cap here, and HTTP/1 sends no more than it
                # declares: the body is read whole, in one call. A chunked one, in parts, to the cap.
                reading = self._read_whole(protocol) if declared else self._read(protocol, cap)
                try:
                    environ["wsgi.input"] = io.BytesIO(await _within(reading, self._deadline_s))
                except asyncio.TimeoutError:
                    environ["wsgi.input"] = _LateBody()
        if self._on_loop is not None and self._on_loop(environ):
            status, headers, chunks, broken = self._call(environ)
            if not broken:
                protocol.response_bytes(status, headers, b"".join(chunks))
                return
            await _break_off(protocol, status, headers, chunks)
        answered = self._loop.create_future()
        self._jobs.put((environ, protocol, answered))
        broken = await answered
        if broken is not None:
            await _break_off(protocol, *broken)

    async def _read_whole(self, protocol) -> bytes:
        """A body of a declared length; empty if the client stopped short of it, which the app
        answers with a 400, as it does a body shorter than declared."""
        try:
            return await protocol()
        except self._short_body:
            return b""

    async def _read(self, protocol, cap: int) -> bytes:
        """The body, or its first cap + 1 bytes (the app refuses it then, without the rest)."""
        parts, size = [], 0
        async for chunk in protocol:
            parts.append(chunk)
            size += len(chunk)
            if size > cap:
                break
        return b"".join(parts)

    def _work(self) -> None:
        """A worker thread: runs the app for each request queued, answers it, then wakes its
        coroutine (with None, or what there is of a broken answer for it to send)."""
        jobs, call = self._jobs, self._call
        while (job := jobs.get()) is not None:
            environ, protocol, answered = job
            try:
                status, headers, chunks, broken = call(environ)
                if broken:
                    self._wake(_settle, answered, (status, headers, chunks))
                    continue
                protocol.response_bytes(status, headers, b"".join(chunks))
                self._wake(_settle, answered, None)
            except BaseException as exc:       # the coroutine raises it, as granian expects
                self._wake(_fail, answered, exc)

    def _wake(self, *call) -> None:
        try:
            self._loop.call_soon_threadsafe(*call)
        except RuntimeError:            # the loop closed: the server is stopping
            pass

    def _call(self, environ):
        """The app's answer, on a worker thread: (status, headers, body chunks, broken off)."""
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = int(status.split(" ", 1)[0]), headers

        chunks, broken = [], False
        answer = self._app(environ, start_response)
        try:
            for chunk in answer:
                chunks.append(chunk)
        except DroppedConnection:
            broken = True
        except Exception:
            logging.getLogger("mockserver").exception("answer broken off on %s %s",
                                                      environ["REQUEST_METHOD"], environ["PATH_INFO"])
            broken = True
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        return seen["status"], seen["headers"], chunks, broken


async def _break_off(protocol, status: int, headers, chunks) -> None:
    """An answer that broke on purpose (a drop fault) or by a crash: what there is of it, then the
    connection closed short of its Content-Length, as the client would see it elsewhere."""
    transport = protocol.response_stream(status, headers)
    for chunk in chunks:
        await transport.send_bytes(chunk)
    raise ConnectionAbortedError("answer broken off")


if sys.version_info >= (3, 11):
    async def _within(reading, seconds: float):
        """What ``reading`` gives, or TimeoutError after ``seconds``; asyncio.timeout runs it in
        this task, where wait_for (all 3.10 has) makes a task of it for every body."""
        async with asyncio.timeout(seconds):
            return await reading
else:
    def _within(reading, seconds: float):
        return asyncio.wait_for(reading, seconds)


def _settle(future, value) -> None:
    if not future.done():              # not cancelled meanwhile
        future.set_result(value)


def _fail(future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


# What each header is called in the environ, learnt as headers come (at most _HEADER_KEYS_KEPT
# names, so that clients inventing names cannot grow it without bound).
_HEADER_KEYS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
_HEADER_KEYS_KEPT = 1024
# The part of the environ that depends only on the address the request came in on.
_SERVER_ENVIRONS: dict[str, dict] = {}


def _environ(scope) -> dict:
    """The WSGI environ granian's WSGI interface would build from the request."""
    server = _SERVER_ENVIRONS.get(scope.server)
    if server is None:
        server_host, _, server_port = scope.server.rpartition(":")
        server = {
            "SCRIPT_NAME": "",
            "SERVER_NAME": server_host.strip("[]"),
            "SERVER_PORT": server_port,
            "SERVER_SOFTWARE": "Granian",
            "wsgi.version": (1, 0),
            "wsgi.errors": _ERRORS,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        if len(_SERVER_ENVIRONS) < 64:
            _SERVER_ENVIRONS[scope.server] = server
    environ = server.copy()
    path = scope.path
    environ["REQUEST_METHOD"] = scope.method
    # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1.
    environ["PATH_INFO"] = path if path.isascii() else path.encode("utf-8", "surrogateescape").decode("latin-1")
    environ["QUERY_STRING"] = scope.query_string
    environ["SERVER_PROTOCOL"] = "HTTP/" + scope.http_version
    client_host, _, client_port = scope.client.rpartition(":")
    environ["REMOTE_ADDR"] = client_host.strip("[]")
    environ["REMOTE_PORT"] = client_port     # a fault finds the client's socket by its address (rawwire.py)
    environ["wsgi.url_scheme"] = scope.scheme
    keys = _HEADER_KEYS
    for name, value in scope.headers.items():
        key = keys.get(name)
        if key is None:
            key = "HTTP_" + name.upper().replace("-", "_")
            if len(keys) < _HEADER_KEYS_KEPT:
                keys[name] = key
        # A header sent more than once is one value, its values joined by commas (RFC 9110 5.3).
        environ[key] = environ[key] + "," + value if key in environ else value
    if "HTTP_HOST" not in environ and scope.authority:
        environ["HTTP_HOST"] = scope.authority
    return environ


class _LogErrors(io.TextIOBase):
    """wsgi.errors: what the app writes there goes to the log."""

    def write(self, text: str) -> int:
        if text.strip():
            logging.getLogger("mockserver").error(text.rstrip())
        return len(text)


_ERRORS = _LogErrors()
