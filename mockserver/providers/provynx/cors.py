"""Provynx's CORS: API_CORS_ORIGINS (or the scenario's cors_origins; the variable wins) lets
browser pages on those origins call the API, preflight included. Unset: no CORS headers at all."""
from __future__ import annotations

import os

METHODS = "GET, POST, DELETE, OPTIONS"
HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSED = "Retry-After, Idempotent-Replayed"


def allowed_origins(section) -> tuple[str, ...]:
    """Read at every request, so a test may change the variable on a running server."""
    configured = os.environ.get("API_CORS_ORIGINS")
    if configured is not None:
        return tuple(origin.strip() for origin in configured.split(",") if origin.strip())
    return section.cors_origins


def headers(section, origin: str | None, method: str) -> dict:
    """What every answer gets: the allow headers for an allowed origin (and the preflight's for
    OPTIONS), and Vary: Origin whenever CORS is on, since the answer depends on the origin."""
    allowed = allowed_origins(section)
    if not allowed:
        return {}
    added = {"Vary": "Origin"}
    if origin and origin in allowed:
        added.update({"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED})
        if method == "OPTIONS":
            added.update({"Access-Control-Allow-Methods": METHODS, "Access-Control-Allow-Headers": HEADERS,
                          "Access-Control-Max-Age": "600"})
    return added
