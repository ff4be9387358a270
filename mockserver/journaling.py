"""Feeding the request journal from the Flask app: one entry per client request."""
from __future__ import annotations

import time

from flask import Flask, Response, g, request

from .engine.journal import summarize
from .sandbox import Sandbox
from .wire import bearer_token


def install_journal(app: Flask, sandbox: Sandbox, providers: dict[str, str], skip: str) -> None:
    """Journal every request but the control API's own; ``providers`` maps path prefix to name."""

    @app.before_request
    def start_clock():
        g.journal_started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        path = request.path
        if path == skip or path.startswith(skip + "/"):
            return response
        key = bearer_token(request)
        tenant = sandbox.tenant_for_key(key, provision=False) if key else None
        sandbox.journal.record(
            at_ms=sandbox.clock.now(tenant), tenant=tenant, provider=_provider(path, providers),
            method=request.method, path=path, query=request.query_string.decode("latin-1"), key=key,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - g.get("journal_started", time.perf_counter())) * 1000, 2),
            body=summarize(request.get_data(cache=True)), matched=request.url_rule is not None)
        return response


def _provider(path: str, providers: dict[str, str]) -> str | None:
    for prefix, name in providers.items():
        if path == prefix or path.startswith(prefix + "/"):
            return name
    return None
