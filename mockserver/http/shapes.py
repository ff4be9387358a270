"""Pieces every wire shape uses, whoever's API it belongs to: marshmallow fields for times and for
an envelope's data, and the dumping of answers through their schemas. No Flask here, so a
provider's schemas can be imported (by the scenario tools, say) without the web layer."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from http import HTTPStatus

from marshmallow import Schema, fields
from marshmallow.utils import missing

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
def schema_instance(schema: type[Schema], many: bool = False) -> Schema:
    """One instance per schema, shared by every request (marshmallow's loads and dumps keep no
    state on it): a new one per request cost 100 µs, several times the work itself."""
    return schema(many=many)


def dump(schema: type[Schema], value, many: bool = False):
    """``value`` as the schema writes it (what ``schema().dump(value, many=many)`` gives)."""
    dumper = _dumper(schema)
    return [dumper(item) for item in value] if many else dumper(value)


@cache
def _dumper(schema: type[Schema]) -> Callable[[object], dict]:
    return compile_dumper(schema_instance(schema))


def compile_dumper(schema: Schema, _planning: frozenset = frozenset()) -> Callable[[object], dict]:
    """A function that dumps as ``schema.dump`` does, planned once per schema: walking
    marshmallow's field machinery for every answer cost more than the rest of a request's work
    (a balance: 14 µs against 1 µs). Planned are the fields these shapes use (constants,
    functions, nested schemas and lists of them, plain values); a field of another kind (Method,
    Pluck...), one with a dump default, or one that nests a schema being planned is serialized
    by marshmallow itself, and a schema with dump hooks is dumped by marshmallow whole.
    tests/test_dumps.py holds the two equal on live answers and on the odd cases."""
    if has_hooks(schema, ("pre_dump", "post_dump")):
        return schema.dump
    planning = _planning | {type(schema)}
    steps = [(field.data_key if field.data_key is not None else name, _field_dumper(name, field, planning))
             for name, field in schema.dump_fields.items()]

    def dumped(obj) -> dict:
        out = {}
        for key, value_of in steps:
            value = value_of(obj)
            if value is not missing:
                out[key] = value
        return out
    return dumped


def has_hooks(schema: Schema, tags: tuple[str, ...]) -> bool:
    """Whether the schema has hooks of any of these kinds ("pre_dump", "validates", ...)."""
    # marshmallow 3 keys its hooks by (tag, pass_many), marshmallow 4 by the tag alone.
    return any(hooks and (key[0] if isinstance(key, tuple) else key) in tags for key, hooks in schema._hooks.items())


def _plain(field: fields.Field) -> bool:
    """A field whose dump is get the attribute, then ``_serialize`` it (Field's own way)."""
    kind = type(field)
    return (kind.serialize is fields.Field.serialize and kind.get_value is fields.Field.get_value
            and field._CHECK_ATTRIBUTE and field.dump_default is missing)


def _nests(field: fields.Nested, planning: frozenset) -> Schema | None:
    """The schema a plain Nested field (not a Pluck, say) dumps through, unless it is being planned."""
    if type(field) not in (fields.Nested, Itself) or field.dump_default is not missing:
        return None
    schema = field.schema
    return None if type(schema) in planning else schema


def _field_dumper(name: str, field: fields.Field, planning: frozenset) -> Callable[[object], object]:
    if type(field) is fields.Constant:
        constant = field.constant
        return lambda obj: constant
    if type(field) is Itself and (schema := _nests(field, planning)) is not None:
        itself = compile_dumper(schema, planning)
        return lambda obj: None if obj is None else itself(obj)
    if type(field) is fields.Function and field.serialize_func is not None:
        return field.serialize_func
    get = _getter(field.attribute or name)
    if type(field) is fields.Nested and (schema := _nests(field, planning)) is not None:
        nested, many = compile_dumper(schema, planning), schema.many or field.many
        return lambda obj: _each(get(obj), nested, many)
    if (type(field) is fields.List and field.dump_default is missing and isinstance(field.inner, fields.Nested)
            and not field.inner.many and (schema := _nests(field.inner, planning)) is not None):
        nested = compile_dumper(schema, planning)
        return lambda obj: _each(get(obj), nested, True)
    if not _plain(field):
        return lambda obj: field.serialize(name, obj)
    serialize = field._serialize

    def value_of(obj):
        value = get(obj)
        return value if value is missing else serialize(value, name, obj)
    return value_of


def _each(value, dumper, many: bool):
    if value is missing or value is None:
        return value
    # A None in a list dumps as None, as marshmallow's Nested does.
    return [None if item is None else dumper(item) for item in value] if many else dumper(value)


def _getter(attribute: str) -> Callable[[object], object]:
    """marshmallow's get_value: obj[key], falling back to getattr; "a.b" walks."""
    if "." in attribute:
        keys = attribute.split(".")

        def walk(obj):
            for key in keys:
                obj = _value_for_key(obj, key)
            return obj
        return walk
    return lambda obj: _value_for_key(obj, attribute)


def _value_for_key(obj, key: str):
    if isinstance(obj, dict):
        return obj[key] if key in obj else getattr(obj, key, missing)
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
