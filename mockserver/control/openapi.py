"""The OpenAPI 3.1 document of the control API, generated from its route registrations
(control/views.py, which hands them over: this module imports no view) and control/schemas.py,
served at /_mock/openapi/control.json and fuzzed by the tests like the providers' documents."""
from __future__ import annotations

from mockserver.control.access import TOKEN_HEADER, TOKEN_VARIABLE
from mockserver.providers.openapi import Operation, build
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


def document(prefix: str, operations: list[Operation]) -> dict:
    """The document of the routes registered under ``prefix``, in their order (views.py keeps it)."""
    # Each provider's part of GET /_mock/state is in its own shape, referred to by name.
    return build({"title": "mockserver control API", "version": "1"}, prefix, operations,
                 security_schemes=SECURITY_SCHEMES, components=tuple(provider.state_schema for provider in PROVIDERS))
