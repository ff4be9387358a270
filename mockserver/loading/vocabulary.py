"""The scenario format's own field names. A message about a scenario file names an unknown field
only if it is one of these or close to one (a typo): a file named over HTTP may be no scenario at
all, and its keys may be secrets (see paths.format_path)."""
from __future__ import annotations

import difflib
from functools import cache

from marshmallow import Schema, fields

from mockserver.loading.schema import scenario_schema


def nested_schema(field: fields.Field) -> type[Schema] | None:
    """The schema a field's values load with, if it has one (a list's items', a fixture's)."""
    inner = field.inner if isinstance(field, fields.List) else field
    nested = inner.nested if isinstance(inner, fields.Nested) else getattr(inner, "item_schema", None)
    return nested if isinstance(nested, type) else None


def all_schemas(*roots: type[Schema]) -> list[type[Schema]]:
    """Every schema class reachable from the roots through nested fields, and custom fields'
    ``item_schema`` (fixture files, SMS lists, Provynx's servers)."""
    seen: list[type[Schema]] = []
    todo = list(roots)
    while todo:
        schema = todo.pop()
        if schema in seen:
            continue
        seen.append(schema)
        todo.extend(nested for field in schema().fields.values() if (nested := nested_schema(field)))
    return seen


@cache
def field_names() -> frozenset[str]:
    return frozenset(field.data_key or name for schema in all_schemas(scenario_schema())
                     for name, field in schema().fields.items())


def is_known(name: str) -> bool:
    """A field name of the format, or a near miss of one (at most a letter or two off)."""
    known = field_names()
    return name in known or bool(difflib.get_close_matches(name, known, n=1, cutoff=0.8))
