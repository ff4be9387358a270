"""Feeding the request journal: a thin WSGI layer around the Flask app, one entry per client
request. It reads the WSGI environ directly, which costs far less per request than Flask hooks;
the request pipeline leaves the caller's tenant in the environ, and routing misses mark themselves.
The body is the one bounds.BodyLimit read (inside this layer, so its 413s are journaled too)."""
from __future__ import annotations

import functools
import time

from mockserver.engine.exchange import Exchange
from mockserver.engine.faults import BROKEN, CUT_OFF, MUTATE
from mockserver.engine.journal import summarize
from mockserver.http.faulting import FAULT
from mockserver.http.pipeline import (
    DROPPED_ON_PURPOSE,
    IGNORED,
    IGNORED_QUERY,
    KEY,
    PATH_ARGS,
    POLL_DONE,
    REFUSED,
    REJECTION,
    ROUTE,
    SUBJECT,
    TENANT,
)
from mockserver.http.wire import BODY, UNMATCHED
from mockserver.providers.registry import by_path
from mockserver.sandbox import Sandbox


@functools.cache
def _header_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class JournalMiddleware:
    def __init__(self, app, sandbox: Sandbox, skip: str):
        self._app = app
        self._sandbox = sandbox
        self._skip = skip
        self._longest = sandbox.limits.max_journal_text

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self._skip or path.startswith(self._skip + "/"):
            return self._app(environ, start_response)
        started = time.perf_counter()
        seen = {}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info)

        result = self._app(environ, recording_start_response)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = auth.partition(" ")
        tenant = environ.get(TENANT)
        sandbox = self._sandbox
        longest = self._longest
        at_ms, method, query = sandbox.clock.now(tenant), environ.get("REQUEST_METHOD", "")[:16], \
            environ.get("QUERY_STRING", "")[:longest]
        if environ.get(KEY):                # the key as the provider read it (a bearer token, api_key=...)
            key = environ[KEY][:longest]
        else:
            key = (key.strip()[:longest] or None) if scheme.lower() == "bearer" else None
        status, body = int(seen.get("status", "500")[:3]), environ.get(BODY)
        taken = environ.get(FAULT)
        sandbox.journal.record(
            at_ms=at_ms, tenant=tenant, provider=self._provider(path), method=method, path=path[:longest],
            query=query, key=key, status=status, duration_ms=round((time.perf_counter() - started) * 1000, 2),
            body=summarize(body) if body else "", matched=not environ.get(UNMATCHED, False),
            ignored=environ.get(IGNORED, ()), fault=None if taken is None else taken.label,
            happened=None if taken is None else taken.rule.happened)
        if tenant is not None:
            self._observe(environ, tenant, key, at_ms, method, path[:longest], query, status, body, taken)
        return result

    def _observe(self, environ, tenant, key, at_ms, method, path, query, status, body, taken) -> None:
        """Tell the client report (report/observe.py) what this request was."""
        route = environ.get(ROUTE)
        self._sandbox.observer.observe(Exchange(
            method, path, query, key=key, body=body or b"", at_ms=at_ms, tenant=tenant, status=status,
            route=None if route is None else route.name, kind=None if route is None else route.kind,
            target=None if route is None else environ.get(SUBJECT) or environ[PATH_ARGS].get("id"),
            retry_header=None if route is None else route.retry_header,
            retry_value=environ.get(_header_key(route.retry_header)) if route is not None and route.retry_header
            else None,
            rejection=environ.get(REJECTION),
            dropped=DROPPED_ON_PURPOSE in environ or (taken is not None and taken.rule.kind in CUT_OFF), done=POLL_DONE in environ,
            ignored=environ.get(IGNORED, ()) + environ.get(IGNORED_QUERY, ()), refused=REFUSED in environ,
            fault=None if taken is None else taken.label,
            broken=taken is not None and taken.rule.kind in BROKEN,
            mutated=taken is not None and taken.rule.kind == MUTATE))

    @staticmethod
    def _provider(path: str) -> str | None:
        provider = by_path(path)
        return None if provider is None else provider.name
