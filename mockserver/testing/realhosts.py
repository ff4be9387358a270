"""The providers' real ``https://`` addresses answered in process, as moto's ``mock_aws`` answers
AWS's: an unchanged client with ``https://prod-v3.pvadeals.com`` written into it reaches the
sandbox, and nothing leaves the machine for the provider.

    from mockserver.testing.realhosts import real_hosts

    with real_hosts() as mock:          # a sandbox on the default scenario, for code outside pytest
        ...                             # the client under test, unchanged
        mock.advance("3s")              # its control API, at mock.url

The ``sms_mock_inprocess`` fixture does the same while a test runs (``routed(app)``).

What is intercepted: the standard library's ``http.client`` (so ``urllib.request``), urllib3 and
requests, through wsgi-intercept (the real names at ports 443 and 80); httpx, sync and async,
through its own transports' public ``handle_request`` / ``handle_async_request`` methods, which
are wrapped for as long as the interception lasts (pytest-httpx does the same), so clients that
pass no transport of their own are covered. Requests to any other host go where they went.

Not intercepted: aiohttp. It has no public way to redirect a session it did not build with a
connector or resolver of the caller's choosing, and patching its private request path would
break with its next release; aiohttp clients reach the real names through the TLS port or the
HTTPS proxy of ``mockserver run`` (docs/real-addresses.md). Nor is anything with its own network
stack (pycurl, a subprocess)."""
from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace

import requests
import urllib3.connection
import urllib3.connectionpool
from wsgi_intercept import WSGI_HTTPConnection, add_wsgi_intercept, remove_wsgi_intercept, wsgi_fake_socket

from mockserver.app import create_app
from mockserver.control.access import Access
from mockserver.scenario import Scenario
from mockserver.scenario.hosts import merged
from mockserver.testing import SmsMock
from mockserver.testing.inprocess import (
    HOST,
    httpx_async_transport,
    httpx_transport,
    intercepted,
    interceptors_installed,
)

try:
    import httpx  # optional: clients that use it have it
except ImportError:         # pragma: no cover - the test extras install it
    httpx = None           # type: ignore[assignment]

# Both schemes' ports: a few of the family's hosts are plain http:// (privatesms.vip, smshub.org).
PORTS = (443, 80)


def host_names(app) -> frozenset[str]:
    """The real host names of the app's scenario as it is now."""
    return frozenset(merged(app.extensions["mockserver"].scenario.real_hosts))


@contextmanager
def routed(app, names: Collection[str] | None = None) -> Iterator[None]:
    """While inside: requests to ``names`` (default: the app's real host names) reach ``app``."""
    names = host_names(app) if names is None else frozenset(name.lower() for name in names)
    with ExitStack() as undo:
        undo.enter_context(interceptors_installed())
        for name in names:
            for port in PORTS:
                add_wsgi_intercept(name, port, lambda: app)
                undo.callback(remove_wsgi_intercept, name, port)
        undo.enter_context(_stdlib_https_routed())
        undo.enter_context(_urllib3_https_routed())
        undo.enter_context(_httpx_routed(app, names))
        yield


@contextmanager
def real_hosts(scenario: Scenario | str = "default", *, app=None) -> Iterator[SmsMock]:
    """A sandbox answering at the providers' real addresses while inside, for code outside
    pytest; the handle drives it (its control API at ``http://mockserver.local``). Given ``app``
    (from ``mockserver.app.create_app``), that one, left open afterwards; otherwise one
    built on ``scenario`` (a bundled name, a path or a Scenario), closed afterwards."""
    own = app is None
    if own:
        access = Access.from_environ()
        app = create_app(scenario, access=replace(access, allowed_hosts=access.allowed_hosts | {HOST}))
    try:
        with intercepted(app), routed(app), requests.Session() as session:
            yield SmsMock(f"http://{HOST}", session=session)
    finally:
        if own:
            app.extensions["mockserver"].close()


class _InterceptedHTTPS(WSGI_HTTPConnection, urllib3.connection.HTTPSConnection):
    """urllib3's HTTPS connection (requests' too), reaching the app for the hosts wsgi-intercept
    has, with no TLS (there is no socket to secure); a TLS connection as before to any other.
    wsgi-intercept's own HTTPS class for urllib3 predates urllib3 2 and refuses its arguments."""

    def connect(self) -> None:
        app, script_name = self.get_app(self.host, self.port)
        if app is None:
            urllib3.connection.HTTPSConnection.connect(self)
        else:
            self.sock = wsgi_fake_socket(app, self.host, self.port, script_name, https=True)
            self.is_verified = True     # no host to verify: else urllib3 warns of an unverified request


class _InterceptedStdlibHTTPS(WSGI_HTTPConnection):
    """http.client's HTTPSConnection (urllib.request's too) as the app for the hosts wsgi-intercept
    has, a TLS connection as before to any other. wsgi-intercept's own class for it refuses the
    ``context`` argument urllib.request passes; this one is no subclass of HTTPSConnection, whose
    constructor looks its own class up by name (which names this one while it is installed)."""
    default_port = http.client.HTTPS_PORT

    def __init__(self, host: str, port: int | None = None, *, context: ssl.SSLContext | None = None,
                 check_hostname: bool | None = None, **kwargs) -> None:
        super().__init__(host, port, **kwargs)
        self.tls_context = ssl.create_default_context() if context is None else context

    def connect(self) -> None:
        app, script_name = self.get_app(self.host, self.port)
        if app is not None:
            self.sock = wsgi_fake_socket(app, self.host, self.port, script_name, https=True)
            return
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls_context.wrap_socket(self.sock, server_hostname=self.host)


@contextmanager
def _stdlib_https_routed() -> Iterator[None]:
    before = http.client.HTTPSConnection
    http.client.HTTPSConnection = _InterceptedStdlibHTTPS        # type: ignore[misc,assignment]
    try:
        yield
    finally:
        http.client.HTTPSConnection = before                     # type: ignore[misc]


@contextmanager
def _urllib3_https_routed() -> Iterator[None]:
    pool = urllib3.connectionpool.HTTPSConnectionPool
    before = pool.ConnectionCls
    pool.ConnectionCls = _InterceptedHTTPS
    try:
        yield
    finally:
        pool.ConnectionCls = before


# httpx: the transports' methods as httpx defines them, and the routes in force (innermost last).
_ORIGINAL_SYNC = None if httpx is None else httpx.HTTPTransport.handle_request
_ORIGINAL_ASYNC = None if httpx is None else httpx.AsyncHTTPTransport.handle_async_request
_routes: list[tuple[frozenset[str], object, object]] = []
_routes_guard = threading.Lock()


def _route(host: str):
    for names, sync, asynchronous in reversed(_routes):
        if host in names:
            return sync, asynchronous
    return None


def _handle_request(self, request):
    found = _route(request.url.host)
    return _ORIGINAL_SYNC(self, request) if found is None else found[0].handle_request(request)


async def _handle_async_request(self, request):
    found = _route(request.url.host)
    if found is None:
        return await _ORIGINAL_ASYNC(self, request)
    return await found[1].handle_async_request(request)


@contextmanager
def _httpx_routed(app, names: frozenset[str]) -> Iterator[None]:
    if httpx is None:
        yield
        return
    entry = (names, httpx_transport(app), httpx_async_transport(app))
    with _routes_guard:
        _routes.append(entry)
        httpx.HTTPTransport.handle_request = _handle_request                    # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request = _handle_async_request   # type: ignore[method-assign]
    try:
        yield
    finally:
        with _routes_guard:
            _routes.remove(entry)
            if not _routes:
                httpx.HTTPTransport.handle_request = _ORIGINAL_SYNC                    # type: ignore[method-assign]
                httpx.AsyncHTTPTransport.handle_async_request = _ORIGINAL_ASYNC        # type: ignore[method-assign]
