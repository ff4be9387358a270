"""The OpenAPI 3.1 document of the control API, generated from its route registrations
(control/views.py) and control/schemas.py, served at /_mock/openapi/control.json and fuzzed by the
tests like the providers' documents."""
from __future__ import annotations

from functools import cache

from mockserver.control.access import TOKEN_HEADER, TOKEN_VARIABLE
from mockserver.control.views import OPERATIONS, PREFIX
from mockserver.http.openapi import build
from mockserver.providers.registry import PROVIDERS

_WHEN = (f"Needed when the server runs with {TOKEN_VARIABLE} set, from every client, loopback ones "
         f"too; without it, the control API answers loopback clients only and takes no token.")
# Either header carries the token (access.refusal reads both).
SECURITY_SCHEMES = {
    "adminToken": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER,
                   "description": f"The value of {TOKEN_VARIABLE}. {_WHEN}"},
    "adminBearer": {"type": "http", "scheme": "bearer",
                    "description": f"The value of {TOKEN_VARIABLE}, as Authorization: Bearer. {_WHEN}"},
}


@cache
def document() -> dict:
    # Each provider's part of GET /_mock/state is in its own shape, referred to by name.
    return build({"title": "mockserver control API", "version": "1"}, PREFIX, OPERATIONS,
                 security_schemes=SECURITY_SCHEMES, components=tuple(provider.state_schema for provider in PROVIDERS))
