"""Pieces every wire shape uses, whoever's API it belongs to: marshmallow fields for times and for
an envelope's data, and the dumping of answers through their schemas. No Flask here, so a
provider's schemas can be imported (by the scenario tools, say) without the web layer."""
from __future__ import annotations

from functools import cache
from http import HTTPStatus

from marshmallow import Schema, fields, missing

from mockserver.engine.clock import format_iso


class IsoTime(fields.Field):
    """A virtual instant (epoch milliseconds) as UTC ISO 8601 with milliseconds and Z."""

    def __init__(self, **kwargs):
        super().__init__(**{"metadata": {"type": "string", "format": "date-time"}, **kwargs})

    def _serialize(self, value: int | None, attr, obj, **kwargs):
        return None if value is None else format_iso(value)


class Itself(fields.Nested):
    """The object being dumped, itself, through a nested schema: an envelope's ``data`` around
    what a call returned (``{"success": true, "data": <the object>, ...}``)."""

    def get_value(self, obj, attr, accessor=None, default=missing):
        return obj


def component_name(schema: type[Schema]) -> str:
    """A schema's name in an OpenAPI document (apispec's own rule: the class name, less "Schema"),
    for answers that refer to a schema by name."""
    name = schema.__name__
    return name[:-len("Schema")] if name.endswith("Schema") else name


def ref(schema: type[Schema]) -> dict:
    return {"$ref": f"#/components/schemas/{component_name(schema)}"}


def constant(value, **metadata) -> fields.Constant:
    """A field that always holds ``value``, documented as such in the OpenAPI document."""
    kind = {bool: "boolean", int: "integer", str: "string"}[type(value)]
    return fields.Constant(value, metadata={"type": kind, "enum": [value], **metadata})


@cache
def schema_instance(schema: type[Schema]) -> Schema:
    """One instance per schema, shared by every request: marshmallow's load and dump keep no state
    on the instance, and building one (copying and binding every field) costs more than the load
    or dump itself."""
    return schema()


def dump(schema: type[Schema], value, many: bool = False):
    """``value`` as the schema writes it."""
    return schema_instance(schema).dump(value, many=many)


def status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
