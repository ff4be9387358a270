"""Requests addressed to a provider's real host name (through the TLS port, the HTTPS proxy or the
in-process interception): a thin WSGI layer in front of the app.

Such a request is the provider's, never the sandbox's own: the control API and the dashboard
answer 404 there, whoever asks. A host of the sms-activate family is answered in its dialect:
the client's path (``/stubs/handler_api.php``) is the dialect's (``/herosms/stubs/...``).
Every other request passes untouched."""
from __future__ import annotations

from collections.abc import Mapping

from mockserver.http.wire import json_bytes
from mockserver.sandbox import Sandbox
from mockserver.scenario.hosts import RealHost, host_name, merged

_NOT_FOUND = json_bytes({"error": "Not Found", "status": 404})
# Host headers already looked up, with what each is (at most this many, so that clients sending
# made-up names cannot grow it without bound): most requests then cost one dictionary lookup.
_KNOWN_HEADERS_KEPT = 1024


class RealHostFront:
    def __init__(self, app, sandbox: Sandbox, control_prefix: str):
        self._app = app
        self._sandbox = sandbox
        self._control = control_prefix
        self._seen: object = None
        self._table: Mapping[str, RealHost] = {}
        self._known: dict[str | None, RealHost | None] = {}

    def table(self) -> Mapping[str, RealHost]:
        """The real hosts of the scenario loaded now, by name."""
        extra = self._sandbox.scenario.real_hosts
        if extra is not self._seen:      # a scenario was loaded; a race only builds it twice
            self._table, self._known, self._seen = merged(extra), {}, extra
        return self._table

    def __call__(self, environ, start_response):
        header = environ.get("HTTP_HOST")
        if self._sandbox.scenario.real_hosts is not self._seen:
            self.table()
        try:
            host = self._known[header]
        except KeyError:
            name = host_name(header)
            host = None if name is None else self._table.get(name)
            if len(self._known) < _KNOWN_HEADERS_KEPT:
                self._known[header] = host
        if host is None:
            return self._app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path == self._control or path.startswith(self._control + "/"):
            start_response("404 Not Found", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(_NOT_FOUND)))])
            return [_NOT_FOUND]
        if host.path_prefix:
            environ["PATH_INFO"] = host.path_prefix + path
        return self._app(environ, start_response)
