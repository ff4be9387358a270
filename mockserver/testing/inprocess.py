"""Reaching a sandbox app without a socket, for test suites that may not open one.

wsgi-intercept routes ``http://mockserver.local`` to the app for the clients built on the
standard library's http.client (``http.client``, ``urllib.request``), on urllib3 and on
requests. httpx takes a transport instead (sync and async, below). aiohttp and anything with its
own network stack cannot be intercepted: use the socket mode (the ``sms_mock`` fixture)."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager

HOST = "mockserver.local"
_INTERCEPTS = ("http_client_intercept", "urllib_intercept", "urllib3_intercept", "requests_intercept")


@contextmanager
def intercepted(app, host: str = HOST, port: int = 80):
    """While inside: every interceptable client reaches ``app`` at http://host:port."""
    import importlib

    from wsgi_intercept import add_wsgi_intercept, remove_wsgi_intercept

    with ExitStack() as undo:
        for name in _INTERCEPTS:
            module = importlib.import_module(f"wsgi_intercept.{name}")
            module.install()
            undo.callback(module.uninstall)
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
