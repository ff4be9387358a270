"""OpenAPI 3.1 documents generated from registered routes and their schemas: each provider's (from
its Route registrations and error shapes) and the control API's. Nothing here is written by hand
per route, so a new route is documented by its registration. The fuzz tests call every documented
operation and check each answer against the schema documented for its status."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from marshmallow import Schema

from mockserver.providers.contract import Provider
from mockserver.providers.shapes import component_name

_PATH_ARGUMENT = re.compile(r"<(?:[^:>]+:)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str                                   # werkzeug syntax, below the document's server URL
    summary: str
    success: tuple[int, type[Schema] | None] | None    # (status, schema); None: it never succeeds
    errors: dict[int, tuple[str, type[Schema]]] = field(default_factory=dict)
    query: type[Schema] | None = None
    body: type[Schema] | dict | None = None     # a schema (JSON), or raw content by media type
    parameters: tuple[dict, ...] = ()           # more parameters (headers)
    error_headers: dict[int, dict] = field(default_factory=dict)
    security: list[dict] | None = None          # None: the document's; []: it needs no credential


def openapi_path(path: str) -> str:
    return _PATH_ARGUMENT.sub(r"{\1}", path)


def build(info: dict, server: str, operations: list[Operation], *, bearer: str | None = None,
          security_schemes: dict[str, dict] | None = None,
          answers_carry_every_field: bool = False, components: tuple[type[Schema], ...] = ()) -> dict:
    """The document. ``bearer``: every operation takes a bearer token, so described.
    ``security_schemes``: otherwise, the credentials operations take (any one of them will do),
    by name. ``answers_carry_every_field``: every property of every schema an answer uses
    is required (the providers' answers never leave a field out). ``components``: schemas that
    answers refer to by name rather than through a field (a provider's part of a larger answer)."""
    # Imported here: the control API's routes import Operation as the server starts, and apispec is
    # needed only when a document is asked for.
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    schemes = {"bearerAuth": {"type": "http", "scheme": "bearer", "description": bearer}} if bearer else {}
    schemes.update(security_schemes or {})
    spec = APISpec(title=info["title"], version=info["version"], openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], servers=[{"url": server}],
                   **({"info": {"description": info["description"]}} if "description" in info else {}),
                   **({"security": [{name: []} for name in schemes]} if schemes else {}))
    for name, scheme in schemes.items():
        spec.components.security_scheme(name, scheme)
    for schema in components:
        spec.components.schema(component_name(schema), schema=schema)
    inputs: set[str] = set()
    paths: dict[str, dict] = {}
    for op in operations:
        responses = {}
        if op.success is not None:
            status, answer = op.success
            responses[str(status)] = {"description": "OK", **({"content": _json(answer)} if answer else {})}
        for status, (why, schema) in sorted(op.errors.items()):
            responses[str(status)] = {"description": why, "content": _json(schema)}
            if status in op.error_headers:
                responses[str(status)]["headers"] = op.error_headers[status]
        parameters = [{"in": "query", "schema": op.query}] if op.query else []
        parameters += list(op.parameters)
        operation = {"summary": op.summary, "parameters": parameters, "responses": responses}
        if op.security is not None:
            operation["security"] = op.security
        if op.body is not None:
            content = op.body if isinstance(op.body, dict) else _json(op.body)
            operation["requestBody"] = {"required": True, "content": content}
            if not isinstance(op.body, dict):
                inputs |= _reachable(op.body)
        if op.query:
            inputs |= _reachable(op.query)
        paths.setdefault(openapi_path(op.path), {})[op.method.lower()] = operation
    for path, operations_of_path in paths.items():
        arguments = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                     for name in re.findall(r"{(\w+)}", path)]
        spec.path(path=path, operations=operations_of_path, parameters=arguments or None)
    document = spec.to_dict()
    if answers_carry_every_field:
        for name, component in document.get("components", {}).get("schemas", {}).items():
            if name not in inputs and "properties" in component:
                component["required"] = sorted(component["properties"])
    return document


def _json(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _reachable(schema: type[Schema]) -> set[str]:
    """The component names of an input schema and of every schema it nests: none of them is an
    answer, so none gets every property required."""
    names, todo = set(), [schema]
    while todo:
        current = todo.pop()
        if component_name(current) in names:
            continue
        names.add(component_name(current))
        for value in current().fields.values():
            value = getattr(value, "inner", value)                  # a List's items
            nested = getattr(value, "nested", None)
            if isinstance(nested, type) and issubclass(nested, Schema):
                todo.append(nested)
    return names


_DOCUMENTS: dict[tuple[str, str | None], dict] = {}


def provider_document(provider: Provider, section) -> dict:
    """The document of the answers a provider gives with this scenario section; kept by the
    section's variant only, since nothing else the section holds changes it."""
    key = (provider.name, provider.variant(section))
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = _provider_document(provider, section)
    return _DOCUMENTS[key]


def _provider_document(provider: Provider, section) -> dict:
    errors = provider.errors
    common = {401: ("Missing or invalid API key", errors.schema),
              429: ("Rate limit exceeded", errors.rate_limited_schema)}
    retry_after = {429: {"Retry-After": {"description": "Seconds until a request is admitted again",
                                         "schema": {"type": "integer"}}}}
    operations = []
    for route in provider.routes:
        if route.public:
            continue
        guarded = tuple(parameter for guard in route.guards for parameter in guard.parameters)
        # Routes that share a path are told apart by parameters (Route.when): OpenAPI has one
        # operation per path and method, so each is listed under its path with those parameters
        # as a query string, the form sms-activate's own documentation uses.
        path = route.path + ("?" + urlencode(sorted(route.when.items())) if route.when else "")
        operations.append(Operation(
            method=route.method, path=path, summary=route.summary,
            success=None if route.status is None else (route.status, route.answer_for(section)),
            errors={**{status: (why, errors.schema) for status, why in route.errors.items()}, **common},
            query=route.query, body=route.body, parameters=guarded, error_headers=retry_after))
    info = provider.openapi_info
    return build(info, provider.prefix, operations, bearer=info.get("security"),
                 security_schemes=info.get("security_schemes"), answers_carry_every_field=True,
                 components=provider.referred_schemas)
