"""The HTTPS proxy (`mockserver run --proxy-port N`): clients that honour HTTPS_PROXY reach the
sandbox at the providers' real names with nothing but environment variables.

It accepts ``CONNECT name:443`` for the real host names only, and joins the client to the
sandbox's own TLS listener (``--tls-port``, or one on loopback it starts for the proxy), where
granian ends TLS with the local CA's certificate for that name and the app answers as it does
on every port. Any other name, port or method is refused before anything else happens: the name
is never looked up and nothing is sent anywhere; the only connection the proxy ever opens is to
the sandbox.

A small asyncio handler rather than a proxy library: the proxies that intercept TLS (mitmproxy,
proxy.py) bring their own CA handling and far more than this needs, and configuring them to
forward nothing but a fixed list of names is more code than reading one request line.
It runs on its own thread and event loop, beside whichever server serves the app.

A tunnel's client reaches the app from loopback, so without an admin token a client from
elsewhere could drive the control API through it; such clients are refused unless the server
has MOCKSERVER_ADMIN_TOKEN (with it, the control API asks for the token whoever calls)."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
from collections.abc import Collection

from mockserver.settings import Limits

ALLOWED_PORT = 443
_LOG = logging.getLogger("mockserver.proxy")


class ConnectProxy:
    def __init__(self, names: Collection[str], upstream: tuple[str, int], limits: Limits, *,
                 admit_remote: bool = False):
        self._names = frozenset(name.lower() for name in names)
        self._upstream = upstream
        self._limits = limits
        self._admit_remote = admit_remote
        self._open = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    def start(self, host: str, port: int) -> int:
        """Listens on host:port (0: a free one) from a thread of its own; the port it took.
        OSError when it cannot listen."""
        started: dict[str, object] = {}
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(host, port, started, ready),
                                        name="mockserver-proxy", daemon=True)
        self._thread.start()
        ready.wait()
        if "error" in started:
            raise started["error"]      # type: ignore[misc]
        return started["port"]          # type: ignore[return-value]

    def close(self) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None:
            try:
                loop.call_soon_threadsafe(stopped.set)
            except RuntimeError:        # its loop has ended already
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, host: str, port: int, started: dict, ready: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            try:
                # limit: readuntil refuses a head longer than this without reading more of it.
                self._server = await asyncio.start_server(self._serve, host, port,
                                                          limit=self._limits.max_proxy_head_bytes)
            except OSError as exc:
                started["error"] = exc
                ready.set()
                return
            started["port"] = self._server.sockets[0].getsockname()[1]
            ready.set()
            await self._stopped.wait()
            self._server.close()
        asyncio.run(main())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._tunnel(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        limits = self._limits
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limits.body_read_timeout_s)
        except asyncio.LimitOverrunError:
            return await _answer(writer, 431, "Request Header Fields Too Large", "the CONNECT request is too long")
        refusal = self._refusal(head, writer.get_extra_info("peername"))
        if refusal is not None:
            return await _answer(writer, *refusal)
        if self._open >= limits.max_connections:
            return await _answer(writer, 503, "Service Unavailable", "too many tunnels open")
        self._open += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            self._open -= 1
            return await _answer(writer, 502, "Bad Gateway", "the sandbox's TLS listener does not answer")
        try:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            idle = limits.idle_connection_timeout_s
            pipes = [asyncio.create_task(_pipe(reader, upstream_writer, idle)),
                     asyncio.create_task(_pipe(upstream_reader, writer, idle))]
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            for pipe in pipes:
                pipe.cancel()
        finally:
            self._open -= 1
            upstream_writer.close()

    def _refusal(self, head: bytes, peer) -> tuple[int, str, str] | None:
        """(status, reason, why) for a request the proxy refuses, else None. Decided from the
        request line alone: nothing is looked up or sent for a refused one."""
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, _, rest = line.partition(" ")
        authority = rest.partition(" ")[0]
        if method != "CONNECT":
            return 405, "Method Not Allowed", ("this proxy only tunnels HTTPS (CONNECT) to the providers' hosts; "
                                               f"{method[:16]!r} refused")
        name, _, port = authority.rpartition(":")
        name = name.lower().rstrip(".")
        if name not in self._names or port != str(ALLOWED_PORT):
            _LOG.warning("proxy: refused CONNECT %s (not a provider's host at port %d)", authority[:300], ALLOWED_PORT)
            return 403, "Forbidden", (f"{authority[:300]!r} is not a provider's host at port {ALLOWED_PORT}: "
                                      "this proxy reaches only the sandbox, never the network")
        if not self._admit_remote and not _loopback(peer):
            return 403, "Forbidden", ("the proxy tunnels for loopback clients only; set MOCKSERVER_ADMIN_TOKEN on the "
                                      "server to use it from elsewhere")
        return None


async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter, idle_s: float) -> None:
    """Bytes from source to target until source ends, breaks or stays silent for idle_s."""
    try:
        while chunk := await asyncio.wait_for(source.read(65536), idle_s):
            target.write(chunk)
            await target.drain()
    except (OSError, asyncio.TimeoutError):
        pass


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str, why: str) -> None:
    body = (why + "\n").encode("utf-8")
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1") + body)
    await writer.drain()


def _loopback(peer) -> bool:
    try:
        return ipaddress.ip_address(peer[0]).is_loopback
    except (TypeError, ValueError, IndexError):
        return False
