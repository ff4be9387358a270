"""The OpenAPI 3.1 document of the control API, generated from its route registrations
(control/views.py) and control/schemas.py, served at /_mock/openapi/control.json and fuzzed by the
tests like the providers' documents."""
from __future__ import annotations

from functools import cache

from ..openapi import build
from ..providers.registry import PROVIDERS
from .views import OPERATIONS, PREFIX


@cache
def document() -> dict:
    # Each provider's part of GET /_mock/state is in its own shape, referred to by name.
    return build({"title": "mockserver control API", "version": "1"}, PREFIX, OPERATIONS,
                 components=tuple(provider.state_schema for provider in PROVIDERS))
