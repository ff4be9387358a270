"""Loading a request's body or query through its marshmallow schema, planned once per schema: what
``schema.load`` gives, for input it takes as it is, without walking marshmallow's machinery
(its error store, per-field closures and hooks looked up on every call). Through marshmallow, a
purchase's body of one service cost a fifth of the whole request.

A planned loader handles the plain case only and says so (UNPLANNED) for anything else: a value
of another type than the field's own (the text "5" for an Integer), a missing required field, a
null, an unknown key, a validator that refuses. The caller then loads through marshmallow, which
gives the same result or words the error, so every error stays marshmallow's. A schema with load
hooks, or that keeps unknown keys, is not planned at all; a field of another kind (a Duration, a
Dict) is loaded by its own ``deserialize``. tests/test_quickload.py holds the two equal."""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields
from marshmallow.utils import missing

from mockserver.http.shapes import has_hooks, schema_instance

UNPLANNED = object()       # "load this through marshmallow"
_LOAD_HOOKS = ("pre_load", "post_load", "validates", "validates_schema")


class _Unplanned(Exception):
    """Raised inside a plan: the value is not the plain case."""


@cache
def loader(schema: type[Schema]) -> Callable[[object], object]:
    """``schema``'s loader: the loaded value, or UNPLANNED."""
    plan = _plan(schema_instance(schema), frozenset())
    if plan is None:
        return lambda data: UNPLANNED

    def load(data):
        try:
            return plan(data)
        except (_Unplanned, ValidationError, OverflowError):
            return UNPLANNED
    return load


def _plan(schema: Schema, planning: frozenset) -> Callable[[object], dict] | None:
    """A function loading one object as ``schema.load`` does, raising _Unplanned when it is not
    the plain case; None when the schema is not one to plan."""
    if has_hooks(schema, _LOAD_HOOKS) or schema.unknown not in (RAISE, EXCLUDE) or schema.many:
        return None
    planning = planning | {type(schema)}
    steps = []
    for name, field in schema.load_fields.items():
        if field.attribute is not None and "." in field.attribute:
            return None                      # marshmallow nests the value: not planned
        key = field.data_key if field.data_key is not None else name
        steps.append((key, field.attribute or name, field.required, field.load_default, _field_loader(key, field, planning)))
    known = frozenset(key for key, *_ in steps)
    refuse_unknown = schema.unknown == RAISE

    def load(data) -> dict:
        if type(data) is not dict or (refuse_unknown and not known.issuperset(data)):
            raise _Unplanned
        out = {}
        for key, attribute, required, default, load_value in steps:
            value = data.get(key, missing)
            if value is missing:
                if required:
                    raise _Unplanned
                value = default() if callable(default) else default
                if value is not missing:
                    out[attribute] = value
                continue
            out[attribute] = load_value(value, data)
        return out
    return load


def _field_loader(key: str, field: fields.Field, planning: frozenset) -> Callable[[object, dict], object]:
    """One field's value, as ``field.deserialize`` gives it (a null only where allowed)."""
    if getattr(field, "pre_load", None) or getattr(field, "post_load", None):      # marshmallow 4's field hooks
        return _by_marshmallow(key, field)
    convert = _plain_value(field, planning)
    if convert is None:
        return _by_marshmallow(key, field)
    validators, allow_none = tuple(field.validators), field.allow_none

    def load_value(value, data):
        if value is None:
            if allow_none:
                return None
            raise _Unplanned
        value = convert(value)
        for validator in validators:
            if validator(value) is False:
                raise _Unplanned
        return value
    return load_value


def _by_marshmallow(key: str, field: fields.Field):
    return lambda value, data: field.deserialize(value, key, data)


def _plain_value(field: fields.Field, planning: frozenset) -> Callable[[object], object] | None:
    """The conversion ``field._deserialize`` makes of a value of the field's own JSON type (others
    raise _Unplanned), for the kinds of field bodies use; None for any other kind."""
    kind = type(field)
    if kind is fields.String:
        return _exactly(str)
    if kind is fields.Integer:
        return _exactly(int)
    if kind is fields.Boolean and field.truthy == fields.Boolean.truthy and field.falsy == fields.Boolean.falsy:
        return _exactly(bool)
    if kind is fields.Float and not field.allow_nan:
        return _finite_float
    if kind is fields.Nested and type(field.schema) not in planning:
        nested = _plan(field.schema, planning)
        if nested is None or field.unknown not in (None, field.schema.unknown):
            return None
        if field.many:
            return lambda value: _each(value, nested)
        return nested
    if kind is fields.List:
        inner = field.inner
        if inner.validators or inner.allow_none or getattr(inner, "pre_load", None) or getattr(inner, "post_load", None):
            return None
        item = _plain_value(inner, planning)
        return None if item is None else (lambda value: _each(value, item))
    return None


def _exactly(kind: type) -> Callable[[object], object]:
    def same(value):
        if type(value) is not kind:
            raise _Unplanned
        return value
    return same


def _finite_float(value) -> float:
    if (type(value) is not float and type(value) is not int) or not math.isfinite(value):
        raise _Unplanned
    return float(value)


def _each(value, load_item) -> list:
    if type(value) is not list:
        raise _Unplanned
    return [load_item(item) for item in value]
