"""Reaching a sandbox app without a socket, for test suites that may not open one.

wsgi-intercept routes ``http://mockserver.local`` to the app for the clients built on the
standard library's http.client (``http.client``, ``urllib.request``), on urllib3 and on
requests. httpx takes a transport instead (sync and async, below). aiohttp and anything with its
own network stack cannot be intercepted: use the socket mode (the ``sms_mock`` fixture)."""
from __future__ import annotations

import threading
from contextlib import ExitStack, contextmanager

HOST = "mockserver.local"
# urllib.request needs no interceptor of its own: its handlers open http.client's connection
# classes, looked up when they connect, which http_client_intercept replaces. wsgi-intercept's
# urllib opener would break its HTTPS (its connection class is no longer http.client's then).
_INTERCEPTS = ("http_client_intercept", "urllib3_intercept", "requests_intercept")
# How many callers are inside interceptors_installed(): the last one out uninstalls them, so that
# one interception (the providers' real hosts, testing/realhosts.py) may begin and end inside another.
_users = 0
_users_guard = threading.Lock()


@contextmanager
def interceptors_installed():
    """wsgi-intercept's interceptors in place while inside; connections to hosts no intercept
    names go to the network as before."""
    import importlib
    global _users
    modules = [importlib.import_module(f"wsgi_intercept.{name}") for name in _INTERCEPTS]
    with _users_guard:
        if _users == 0:
            for module in modules:
                module.install()
        _users += 1
    try:
        yield
    finally:
        with _users_guard:
            _users -= 1
            if _users == 0:
                for module in modules:
                    module.uninstall()


@contextmanager
def intercepted(app, host: str = HOST, port: int = 80):
    """While inside: every interceptable client reaches ``app`` at http://host:port."""
    from wsgi_intercept import add_wsgi_intercept, remove_wsgi_intercept

    with ExitStack() as undo:
        undo.enter_context(interceptors_installed())
        add_wsgi_intercept(host, port, lambda: app)
        undo.callback(remove_wsgi_intercept, host, port)
        yield


def httpx_transport(app):
    """An httpx transport to the app: ``httpx.Client(transport=..., base_url=...)``."""
    import httpx
    return httpx.WSGITransport(app=app)


def httpx_async_transport(app):
    """An async httpx transport to the app: each request runs the app in a worker thread, as a
    WSGI server would, so the event loop is never blocked by it."""
    import anyio
    import httpx

    sync = httpx.WSGITransport(app=app)

    class AsyncWSGITransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            content = await request.aread()
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            answer = await anyio.to_thread.run_sync(sync.handle_request, copy)
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.read(),
                                  request=request)

    return AsyncWSGITransport()
