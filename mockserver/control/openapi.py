"""The OpenAPI 3.1 document of the control API, generated from control/schemas.py, served at
/_mock/openapi/control.json and fuzzed by the tests like the providers' documents."""
from __future__ import annotations

import re
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas as s

_BAD = {400: "A body or query of the wrong shape"}
_KEY = {404: "The key belongs to no account and matches no tenant pattern"}
_YAML = {"application/yaml": {"schema": {"type": "string"}},
         "application/json": {"schema": {"type": "object"}}}

# (method, path, summary, query schema, body schema or raw content, success schema, {status: (why, schema)})
ROUTES = [
    ("get", "/health", "Liveness, and the scenario's name", None, None, s.HealthAnswer, {}),
    ("post", "/reset", "Back to the scenario's start (one tenant with a key)", None, s.KeyBodySchema,
     s.ResetAnswer, {**_BAD, **_KEY}),
    ("get", "/scenario", "The loaded scenario", None, None, s.ScenarioAnswer, {}),
    ("put", "/scenario", "Load YAML, {name} or {path}", None, _YAML, s.ScenarioAnswer,
     {400: ("Not loaded; the running scenario is unchanged", s.ScenarioProblems)}),
    ("get", "/clock", "Virtual now", s.KeyQuerySchema, None, s.ClockAnswer, {**_BAD, **_KEY}),
    ("post", "/clock", "Advance, set or freeze the clock; due work runs first", None, s.ClockBodySchema,
     s.ClockAnswer, {**_BAD, **_KEY, 409: "The clock only moves forward, and not past year 9999"}),
    ("post", "/sms", "Deliver an SMS now", None, s.SmsBodySchema, s.SmsAnswer,
     {**_BAD, 404: "No such request or number", 409: "It takes no SMS now"}),
    ("post", "/webhook", "Point an account at a webhook URL", None, s.WebhookTargetSchema, s.WebhookTargetAnswer,
     {**_BAD, **_KEY}),
    ("get", "/webhooks", "Every webhook delivery attempt", s.WebhookQuerySchema, None, s.AttemptsAnswer,
     {**_BAD, **_KEY}),
    ("post", "/webhooks/{message_id}/redeliver", "Send a logged webhook message once more, now", None, None,
     s.AttemptAnswer, {404: "No message with that id in the delivery log",
                       409: "The tenant was reset while the attempt went out"}),
    ("get", "/requests", "The request journal", s.JournalQuerySchema, None, s.JournalAnswer, _BAD),
    ("get", "/state", "Accounts, numbers and what is due next", s.KeyQuerySchema, None, s.StateAnswer,
     {**_BAD, **_KEY}),
]


@lru_cache(maxsize=1)
def document() -> dict:
    spec = APISpec(title="mockserver control API", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], servers=[{"url": "/_mock"}])
    for method, path, summary, query, body, success, errors in ROUTES:
        responses = {"200": {"description": "OK", "content": {"application/json": {"schema": success}}}}
        for status, detail in errors.items():
            why, schema = detail if isinstance(detail, tuple) else (detail, s.ErrorAnswer)
            responses[str(status)] = {"description": why, "content": {"application/json": {"schema": schema}}}
        parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"{(\w+)}", path)]
        if query:
            parameters.append({"in": "query", "schema": query})
        operation = {"summary": summary, "responses": responses, "parameters": parameters}
        if body is not None:
            content = body if isinstance(body, dict) else {"application/json": {"schema": body}}
            operation["requestBody"] = {"required": False, "content": content}
        spec.path(path=path, operations={method: operation})
    return spec.to_dict()
