"""One declaration per scenario field. A scenario's parts are frozen dataclasses, and each field a
scenario file can set is declared once, where the dataclass declares it, with ``option``: its
marshmallow field (type and validation), its default (the dataclass's own) and its description.
``schema_of`` derives from that the marshmallow schema that loads the file into the dataclass;
the JSON Schema (jsonschema.py) and the reference (reference.py) are generated from those schemas.

A dataclass may also say, as static methods: ``before_load(data)`` (the file's mapping, before
its fields load), ``check(data)`` (the loaded fields together: raise ValidationError) and
``loaded(data)`` (the loaded fields, before the dataclass is made of them)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass
from functools import cache
from typing import Any

import marshmallow
from marshmallow import Schema, fields, post_load, pre_load, validates_schema

_OPTION = "scenario_option"


class Strict(Schema):
    """Unknown keys are refused (marshmallow's default), so a typo never passes silently. A missing
    section is loaded as an empty one, so its defaults come from its own schema."""

    @pre_load
    def _fill_sections(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            missing: dict[str, Any] = {
                field.data_key or name: {} for name, field in self.fields.items()
                if isinstance(field, fields.Nested) and not field.many
                and field.load_default is marshmallow.missing and (field.data_key or name) not in data}
            data = {**missing, **data}
        return data


Kind = Callable[..., fields.Field] | type


@dataclass(frozen=True)
class Option:
    kind: Kind                             # a marshmallow field class or factory, or a declared dataclass
    text: str                              # the description
    key: str | None                        # its name in the file, when not the attribute's
    args: Mapping[str, Any]                # more arguments of the marshmallow field (validate, ...)
    convert: Callable[[Any], Any] | None   # the loaded value to the dataclass's (lists become tuples)


def option(kind: Kind, default: Any = MISSING, text: str = "", *, key: str | None = None,
           factory: Callable[[], Any] | Any = MISSING, convert: Callable[[Any], Any] | None = None,
           **args: Any) -> Any:
    """A dataclass field a scenario file sets. No default: the file must give it. ``args`` go to the
    marshmallow field; ``json`` (a dict) adds JSON Schema keywords, ``example`` an example value,
    and ``variant`` names a section whose default is not its dataclass's own (its fields' defaults
    are then the default's)."""
    meta = {_OPTION: Option(kind, text, key, args, convert)}
    if factory is not MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def many(inner: Kind | fields.Field) -> Callable[..., fields.List]:
    """A list of ``inner``: a declared dataclass or a marshmallow field."""
    return lambda **kwargs: fields.List(field_for(inner), **kwargs)


def field_for(kind: Kind | fields.Field, variant: tuple[str, Any] | None = None, **kwargs: Any) -> fields.Field:
    if isinstance(kind, fields.Field):
        return kind
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return fields.Nested(schema_of(kind, variant=variant), **kwargs)
    return kind(**kwargs)


# Dataclasses declared elsewhere (the engine's: it knows nothing of scenario files), described here.
_DESCRIBED: dict[type, tuple[str, dict[str, Option], Callable[[dict], None] | None]] = {}


def describe(cls: type, *, name: str, check: Callable[[dict], None] | None = None, **options: Any) -> None:
    """Declare the file format of a dataclass of a lower layer: ``options`` by attribute, each an
    ``option(...)`` without a default (the dataclass's is used); ``name``: its name in the schema."""
    _DESCRIBED[cls] = (name, {attr: made.metadata[_OPTION] for attr, made in options.items()}, check)


def _options(cls: type) -> tuple[str, list[tuple[dataclasses.Field, Option]], Callable[[dict], None] | None]:
    """Its name in the schema, its declared fields with their options, and its check."""
    if cls in _DESCRIBED:
        name, table, check = _DESCRIBED[cls]
        return name, [(f, table[f.name]) for f in dataclasses.fields(cls) if f.name in table], check
    declared = [(f, f.metadata[_OPTION]) for f in dataclasses.fields(cls) if _OPTION in f.metadata]
    return getattr(cls, "schema_name", cls.__name__), declared, getattr(cls, "check", None)


def _default(f: dataclasses.Field) -> Any:
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else MISSING


def _field(f: dataclasses.Field, opt: Option, default: Any) -> fields.Field:
    kwargs = dict(opt.args)
    metadata: dict[str, Any] = {"description": opt.text} if opt.text else {}
    metadata.update(kwargs.pop("json", {}))
    if "example" in kwargs:
        metadata["examples"] = [kwargs.pop("example")]
    if "variant" in kwargs:
        kwargs["variant"] = (kwargs.pop("variant"), default)
    if default is MISSING:
        kwargs["required"] = True
    elif isinstance(default, tuple):
        kwargs["load_default"] = lambda: list(default)
    elif isinstance(opt.kind, type) and dataclasses.is_dataclass(opt.kind) and isinstance(default, opt.kind):
        pass                     # a section left out loads as an empty one (Strict)
    elif f.default is MISSING:
        kwargs["load_default"] = f.default_factory
    else:
        kwargs["load_default"] = default
    if metadata:
        kwargs["metadata"] = metadata
    made = field_for(opt.kind, data_key=opt.key, **kwargs)
    if isinstance(made, fields.List) and isinstance(default, tuple) and all(
            isinstance(item, (str, int, float)) for item in default):
        made.metadata = {**made.metadata, "default": list(default)}     # for the JSON Schema
    return made


@cache
def schema_of(cls: type, extra: tuple[tuple[str, fields.Field], ...] = (), order: tuple[str, ...] = (),
              variant: tuple[str, Any] | None = None) -> type[Schema]:
    """The schema that loads a scenario file's mapping into ``cls``; ``extra``: fields of the file
    the dataclass does not declare itself (its ``loaded`` makes them into its own); ``order``: the
    fields' order in the file's documents, when not the declarations' (these first); ``variant``:
    (its name, an instance whose values are its defaults)."""
    name, declared, check = _options(cls)
    if variant is not None:
        name = variant[0]
    attributes: dict[str, Any] = {f.name: _field(f, opt, _default(f) if variant is None else getattr(
        variant[1], f.name)) for f, opt in declared}
    attributes.update(extra)
    attributes = {attr: attributes[attr] for attr in sorted(attributes, key=lambda a: (
        order.index(a) if a in order else len(order)))}
    keep_default = {f.name for f, _ in declared if _default(f) is not None}
    converters = {f.name: opt.convert for f, opt in declared if opt.convert is not None}
    before, after = getattr(cls, "before_load", None), getattr(cls, "loaded", None)

    def make(self, data: dict, **kwargs: Any) -> Any:
        values = {}
        for attr, value in data.items():
            if value is None and attr in keep_default:
                continue         # null where the default is not: the default
            converter = converters.get(attr)
            values[attr] = converter(value) if converter else tuple(value) if isinstance(value, list) else value
        return cls(**(after(values) if after else values))

    attributes["make"] = post_load(make)
    if check is not None:
        attributes["check"] = validates_schema(lambda self, data, **kwargs: check(data))
    if before is not None:
        attributes["before_load"] = pre_load(lambda self, data, **kwargs: before(data)
                                              if isinstance(data, dict) else data)
    return type(f"{name}Schema", (Strict,), attributes)
