"""granian, the one bundled server, as the project runs it (`mockserver run` and the ``sms_mock``
fixture alike): its settings from the sandbox's Limits, and the front it serves the WSGI app
through, which reads each request body on granian's event loop before a worker thread sees it."""
from __future__ import annotations

import asyncio
import gc
import io
import logging
import queue
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.rsgi import ProtocolClosed, ProtocolError
from granian.server.embed import Server

from mockserver.http.wire import DroppedConnection
from mockserver.settings import SNAPSHOT_PATH, Limits

# How far past the app's own body limits the front still reads a body and hands it to the app, so
# that a body somewhat too large gets the app's answer (JSON, in the provider's shape).
BODY_SLACK_BYTES = 64 * 1024



class _LateBody(io.BytesIO):
    """wsgi.input of a body that did not arrive within Limits.body_read_timeout_s: reading it
    raises TimeoutError, which the app answers 408 in the API's own error shape (as it would a
    socket's timeout under another WSGI server)."""

    def read(self, size: int | None = -1) -> bytes:
        raise TimeoutError("the request body did not arrive in time")


# Paths whose answers wait on nothing, not even the state lock: the front answers them on its
# event loop, so that health checks and the index answer however many threads slow control calls
# (webhook probes, scenario loads) hold.
NEVER_WAITING = frozenset({"/", "/_mock/health"})

# How many allocations the youngest generation of the cyclic garbage collector takes before it is
# collected (Python's default: 700). A request allocates hundreds of objects, so at 700 each
# collection found some of them alive, promoted them, and the full collections this brings
# walked the whole state (tens of thousands of numbers).
GC_YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """For a server process, once its app is built and its state restored: what exists then lives
    as long as the process (gc.freeze: the collector no longer walks it), and the youngest
    generation is collected every GC_YOUNG_THRESHOLD allocations. Never called in a test's own
    process (the ``sms_mock`` fixture), whose collector is the user's."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def body_buffer_bytes(limits: Limits, path: str) -> int:
    """The most of a body to ``path`` the front reads before the app answers 413 itself. Only a
    snapshot's may be larger than a scenario."""
    if path == SNAPSHOT_PATH:
        return limits.max_snapshot_bytes + BODY_SLACK_BYTES
    return max(limits.max_body_bytes, limits.max_scenario_bytes) + BODY_SLACK_BYTES


def granian_server(app, limits: Limits, *, host: str, port: int, threads: int, **tls: Any) -> Server:
    """granian's embedded server for the WSGI ``app``, to run with ``await server.serve()`` on an
    asyncio loop and end with ``server.stop()`` (on that loop).

    granian's defaults let ordinary clients lock everyone out: it serves at most ``backlog``
    (128) connections at once, idle keep-alive ones included, and keeps an idle one until it
    has waited 30 s for the next request's headers. Here it serves ``max_connections`` at once
    (idle or sending a body slowly), the next waiting in the OS's queue, and closes a connection
    that sends no complete request head for ``idle_connection_timeout_s``. HTTP/1 only: neither
    provider speaks HTTP/2 in cleartext, and h2c bodies come without a length. ``tls``: granian's
    ssl_* arguments, for the HTTPS listener at the providers' real names (--tls-port)."""
    server = Server(BufferedBodies(app, limits, threads=threads),
                    address=host, port=port, interface=Interfaces.RSGI, http=HTTPModes.http1,
                    websockets=False, log_enabled=False,
                    backlog=limits.max_connections, backpressure=limits.max_connections,
                    http1_settings=HTTP1Settings(header_read_timeout=limits.idle_connection_timeout_s * 1000), **tls)
    # Not among the embedded server's arguments: without it a stop would wait for ever on a
    # request that never ends.
    server.workers_kill_timeout = limits.stop_grace_s
    return server


def free_port(host: str, port: int) -> int:
    """The port granian will bind (a free one for 0), checked first: granian reports a port in
    use with a Rust panic, not a message. Raises OSError if it cannot be bound."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return probe.getsockname()[1]


class ServerThread:
    """granian serving ``app`` on ``host``:``port`` from an asyncio loop on a thread of its own,
    in this process (what the ``sms_mock`` fixture runs). ``port`` 0 picks a free one."""

    def __init__(self, app, limits: Limits, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
        self.port = free_port(host, port)
        self._server = granian_server(app, limits, host=host, port=self.port, threads=threads)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._server.serve(),),
                                        name="mockserver-granian", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._server.stop)
            self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()


class BufferedBodies:
    """The WSGI app as granian serves it, through granian's RSGI (async) interface.

    granian's own WSGI interface calls the app on one of its few threads with the body still on
    the wire, and reading it there blocks that thread for as long as the client likes: eight
    clients that declare a body and stall froze the whole server, health checks included. Here
    the body is read on granian's event loop, where a stalled one costs no thread, within
    ``body_read_timeout_s`` and at most ``body_buffer_bytes``; only then does the app run, on a
    worker thread (on the loop itself for NEVER_WAITING paths), with the whole body. Answers are collected whole before they are sent, so no
    client can hold a thread by reading slowly either. A request without a body (neither
    Content-Length nor Transfer-Encoding: HTTP/1 has no other way to send one) reads nothing."""

    def __init__(self, app, limits: Limits, threads: int):
        self._app = app
        self._deadline_s = limits.body_read_timeout_s
        self._limits = limits
        self._threads = threads
        # (environ, future, its loop) for the workers; None tells one to stop.
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()

    def __rsgi_init__(self, loop) -> None:
        # Daemon threads, not a ThreadPoolExecutor's: a request held past the stop's grace (a
        # delay fault) must not keep the process from exiting.
        for number in range(self._threads):
            threading.Thread(target=self._work, name=f"mockserver-{number}", daemon=True).start()

    def __rsgi_del__(self, loop) -> None:
        for _ in range(self._threads):
            self._jobs.put(None)

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":          # websockets are off; nothing else is served
            return
        environ = wsgi_environ(scope)
        environ["wsgi.input"] = io.BytesIO()
        if "CONTENT_LENGTH" in environ or "HTTP_TRANSFER_ENCODING" in environ:
            # Not a size check (the app's front makes the one, and answers 413 in the API's shape):
            # only what stops this front buffering more than the app could take. A body declared
            # longer than the cap is not read at all.
            declared = environ.get("CONTENT_LENGTH", "")
            cap = body_buffer_bytes(self._limits, environ["PATH_INFO"])
            if not (declared.isdigit() and int(declared) > cap):
                try:
                    environ["wsgi.input"] = io.BytesIO(await asyncio.wait_for(self._read(protocol, cap),
                                                                              self._deadline_s))
                except asyncio.TimeoutError:
                    environ["wsgi.input"] = _LateBody()
        if environ["PATH_INFO"] in NEVER_WAITING:
            status, headers, chunks, broken = self._call(environ)
        else:
            answered = asyncio.get_running_loop().create_future()
            self._jobs.put((environ, answered))
            status, headers, chunks, broken = await answered
        if not broken:
            protocol.response_bytes(status, headers, b"".join(chunks))
            return
        # An answer that broke on purpose (a drop fault) or by a crash: what there is of it, then
        # the connection closed short of its Content-Length, as the client would see it elsewhere.
        transport = protocol.response_stream(status, headers)
        for chunk in chunks:
            await transport.send_bytes(chunk)
        raise ConnectionAbortedError("answer broken off")

    @staticmethod
    async def _read(protocol, cap: int) -> bytes:
        """The body, or its first cap + 1 bytes (the app refuses it then, without the rest); what
        arrived if the client stopped short of it (the app answers 400 to a body shorter than
        declared)."""
        parts, size = [], 0
        try:
            async for chunk in protocol:
                parts.append(chunk)
                size += len(chunk)
                if size > cap:
                    break
        except (ProtocolClosed, ProtocolError):
            pass
        return b"".join(parts)

    def _work(self) -> None:
        """A worker thread: answers requests until told to stop."""
        while self._answer(self._jobs.get()):
            pass

    def _answer(self, job: tuple[dict, asyncio.Future] | None) -> bool:
        """Runs the app for a request and hands its coroutine the answer; False for the stop. The
        request is held only in this call, so that a waiting thread keeps no body alive."""
        if job is None:
            return False
        environ, answered = job
        try:
            outcome = self._call(environ)
        except BaseException as exc:       # the coroutine raises it, as granian expects
            _wake(answered, answered.set_exception, exc)
        else:
            _wake(answered, answered.set_result, outcome)
        return True

    def _call(self, environ: dict) -> tuple[int, list, list[bytes], bool]:
        """The app's answer, on a worker thread: (status, headers, body chunks, broken off)."""
        seen: dict = {}

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
            close: Callable[[], None] | None = getattr(answer, "close", None)
            if close is not None:
                close()
        return seen["status"], seen["headers"], chunks, broken


def _wake(future: asyncio.Future, settle: Callable, value) -> None:
    """``settle(value)`` on the future's loop, unless the future is done (cancelled) by then."""
    def settle_if_waiting() -> None:
        if not future.done():
            settle(value)
    try:
        future.get_loop().call_soon_threadsafe(settle_if_waiting)
    except RuntimeError:            # the loop closed: the server has stopped
        pass


def wsgi_environ(scope) -> dict:
    """The WSGI environ of an RSGI request, as granian's WSGI interface would build it."""
    server_host, _, server_port = scope.server.rpartition(":")
    path = scope.path
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1.
        "PATH_INFO": path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_host.strip("[]"),
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": "HTTP/" + scope.http_version,
        "SERVER_SOFTWARE": "Granian",
        "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    for name, value in scope.headers.items():
        key = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}.get(name)
        key = key or "HTTP_" + name.upper().replace("-", "_")
        # A header sent more than once is one value, its values joined by commas (RFC 9110 5.3).
        environ[key] = environ[key] + "," + value if key in environ else value
    if "HTTP_HOST" not in environ and scope.authority:
        environ["HTTP_HOST"] = scope.authority
    return environ
