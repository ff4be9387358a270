"""The scenario format's own field names. A message about a scenario file names an unknown field
only if it is one of these or close to one (a typo): a file named over HTTP may be no scenario at
all, and its keys may be secrets (see paths.format_path)."""
from __future__ import annotations

import difflib
from functools import cache

from marshmallow import Schema


def all_schemas(*roots: type[Schema]) -> list[type[Schema]]:
    """Every schema class reachable from the roots through nested fields."""
    seen, todo = [], list(roots)
    while todo:
        schema = todo.pop()
        if schema in seen:
            continue
        seen.append(schema)
        for field in schema().fields.values():
            inner = getattr(field, "inner", field)
            nested = getattr(inner, "nested", None)
            if isinstance(nested, type):
                todo.append(nested)
    return seen


def fixture_schemas() -> tuple[type[Schema], ...]:
    """The schemas a scenario's fields lead to, those behind fixture files and SMS lists included."""
    from mockserver.providers.registry import PROVIDERS
    from mockserver.scenario.common import SmsPlanSchema
    from mockserver.scenario.schema import scenario_schema
    return (scenario_schema(), SmsPlanSchema, *(schema for provider in PROVIDERS for schema in provider.extra_schemas))


@cache
def field_names() -> frozenset[str]:
    return frozenset(field.data_key or name for schema in all_schemas(*fixture_schemas())
                     for name, field in schema().fields.items())


def is_known(name: str) -> bool:
    """A field name of the format, or a near miss of one (at most a letter or two off)."""
    known = field_names()
    return name in known or bool(difflib.get_close_matches(name, known, n=1, cutoff=0.8))
