"""The terminal's request log of `mockserver run`: one line per request (method, path, status and
milliseconds), for the requests of the client under development. An open dashboard polls the
server every second; its requests are left out unless asked for (`mockserver run --verbose`), or
they would bury the client's own lines."""
from __future__ import annotations

import sys
import time

from mockserver.dashboard import fetched_by_the_page
from mockserver.engine.redaction import redact

# The User-Agent of `mockserver run`'s readiness check, which the log always leaves out.
STARTUP_PROBE = "mockserver-startup-probe"

# What is logged: nothing, the client's requests, or every request (mockserver.wsgi reads it from
# MOCKSERVER_LOG_REQUESTS).
LOG_NOTHING, LOG_CLIENT_REQUESTS, LOG_EVERY_REQUEST = "0", "1", "all"
LOG_LEVELS = (LOG_NOTHING, LOG_CLIENT_REQUESTS, LOG_EVERY_REQUEST)


class RequestLog:
    """WSGI middleware writing the log line of each request. ``dashboard``: also the requests an
    open dashboard page makes by itself."""

    def __init__(self, app, stream=None, *, dashboard: bool = False):
        self._app = app
        self._stream = stream or sys.stdout
        self._dashboard = dashboard

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("HTTP_USER_AGENT") == STARTUP_PROBE or (not self._dashboard and fetched_by_the_page(path)):
            return self._app(environ, start_response)
        started = time.perf_counter()
        seen = {}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        try:
            return self._app(environ, recording_start_response)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"]
            # The dashboard's ?token= (the admin token) and any signing secret are never printed.
            self._write(redact(f"{environ.get('REQUEST_METHOD', '-')} {path} {seen.get('status', '-')} {elapsed:.1f}ms"))

    def _write(self, line: str) -> None:
        if self._stream is None:
            return
        try:
            print(line, file=self._stream, flush=True)
        except (OSError, ValueError):
            # Nobody reads the log any more (`mockserver run | head`, a closed pipe or file):
            # the server goes on serving, without one.
            self._stream = None


def wrap(app, level: str):
    """The app as `mockserver run` serves it at a MOCKSERVER_LOG_REQUESTS level."""
    if level == LOG_NOTHING:
        return app
    return RequestLog(app, dashboard=level == LOG_EVERY_REQUEST)
