"""Feeding the request journal: a thin WSGI layer around the Flask app, one entry per client
request. It reads the WSGI environ directly, which costs far less per request than Flask hooks;
the provider gates leave the caller's tenant in the environ, and routing misses mark themselves."""
from __future__ import annotations

import io
import time

from .engine.journal import summarize
from .sandbox import Sandbox

TENANT = "mockserver.tenant"          # set by a provider gate once it knows the caller
UNMATCHED = "mockserver.unmatched"    # set when no route answered the path


class JournalMiddleware:
    def __init__(self, app, sandbox: Sandbox, providers: dict[str, str], skip: str):
        self._app = app
        self._sandbox = sandbox
        self._providers = providers
        self._skip = skip

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self._skip):
            return self._app(environ, start_response)
        started = time.perf_counter()
        body = _peek_body(environ)
        seen = {}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info)

        result = self._app(environ, recording_start_response)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = auth.partition(" ")
        tenant = environ.get(TENANT)
        sandbox = self._sandbox
        sandbox.journal.record(
            at_ms=sandbox.clock.now(tenant), tenant=tenant, provider=self._provider(path),
            method=environ.get("REQUEST_METHOD", ""), path=path, query=environ.get("QUERY_STRING", ""),
            key=key.strip() or None if scheme.lower() == "bearer" else None,
            status=int(seen.get("status", "500")[:3]), duration_ms=round((time.perf_counter() - started) * 1000, 2),
            body=body, matched=not environ.get(UNMATCHED, False))
        return result

    def _provider(self, path: str) -> str | None:
        for prefix, name in self._providers.items():
            if path.startswith(prefix):
                return name
        return None


def _peek_body(environ) -> str:
    """The start of the request body for the journal, leaving the whole body for the app."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if length <= 0:
        return ""
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(raw)
    return summarize(raw)
