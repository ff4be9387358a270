"""Scenario field types: durations, money, instants and catalog lists kept in fixture files."""
from __future__ import annotations

import contextvars
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from marshmallow import Schema, ValidationError, fields

from ..engine.clock import parse_iso
from ..engine.durations import format_duration, parse_duration
from . import fixture_cache
from .yamlpos import format_path, line_of, load_with_lines

# Folders a fixture reference is looked up in, first match wins: the scenario's own folder,
# then the bundled fixtures. Set by the loader for the duration of one load.
fixture_dirs: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar("fixture_dirs", default=())


def _schema_hints(field: fields.Field, hints: dict) -> None:
    """JSON Schema keywords for the scenario schema (see jsonschema.py); the field's own metadata wins."""
    field.metadata = {**hints, **field.metadata}


def schema_name(schema: type[Schema] | Schema) -> str:
    """The name a schema has in the JSON Schema's $defs: its class name without "Schema"."""
    name = (schema if isinstance(schema, type) else type(schema)).__name__
    return name[:-len("Schema")] if name.endswith("Schema") else name


def ref(schema: type[Schema]) -> dict:
    return {"$ref": f"#/components/schemas/{schema_name(schema)}"}


class Duration(fields.Field):
    """``500ms``, ``3s``, ``20m``, ``1h`` or a number of seconds, loaded as milliseconds."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        hints = {"anyOf": [{"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d))+$"},
                           {"type": "number", "minimum": 0}]}
        if isinstance(self.load_default, int):
            hints["default"] = format_duration(self.load_default)
        _schema_hints(self, hints)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Money(fields.Field):
    """A non-negative amount, kept as Decimal so balances never drift."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        hints = {"type": "number", "minimum": 0}
        if isinstance(self.load_default, Decimal):
            hints["default"] = float(self.load_default)
        _schema_hints(self, hints)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("not an amount (write e.g. 0.2 or 100.00)")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError(f"not an amount: {value!r}") from exc
        if not amount.is_finite() or amount < 0:
            raise ValidationError("an amount must be a finite number, 0 or more")
        return amount


class Seed(fields.Field):
    """A whole number or a string; either seeds every generator the same way on every run."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("a seed is a whole number or a string")
        return value


class Instant(fields.Field):
    """``now`` (None) or an ISO 8601 instant (YAML may already have parsed it to a datetime)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        _schema_hints(self, {"type": "string", "default": "now"})

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "now" or value is None:
            return None
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        if isinstance(value, str):
            try:
                return parse_iso(value)
            except ValueError:
                pass
        raise ValidationError("not an instant: use 'now' or ISO 8601 like 2026-01-28T22:42:26Z")


_loaded_this_process: dict[tuple, object] = {}


class Fixture(fields.Field):
    """Inline data, or the name of a YAML file holding it, loaded with ``schema``."""

    def __init__(self, schema: type[Schema], *, many: bool = False, **kwargs):
        super().__init__(**kwargs)
        self._schema = schema
        self._many = many
        inline = {"type": "array", "items": ref(schema)} if many else ref(schema)
        _schema_hints(self, {"anyOf": [{"type": "string", "description": "a fixture file"}, inline]})

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return self._load_file(value)
        if not isinstance(value, list if self._many else dict):
            kind = "a list" if self._many else "a mapping"
            raise ValidationError(f"expected {kind}, or the name of a fixture file")
        return self._schema(many=self._many).load(value)

    def _load_file(self, name: str):
        path = _find_fixture(name)
        stat = path.stat()
        # Loaded data is frozen, so a file unchanged since its last load is not parsed again.
        cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, self._schema, self._many)
        if cache_key not in _loaded_this_process:
            _loaded_this_process[cache_key] = self._parse(path)
        return _loaded_this_process[cache_key]

    def _parse(self, path: Path):
        raw = path.read_bytes()
        loader = f"{self._schema.__module__}.{self._schema.__qualname__}{'[]' if self._many else ''}"
        cached = fixture_cache.load(raw, loader)
        if cached is not None:
            return cached
        data, lines = load_with_lines(raw.decode("utf-8"))
        if not isinstance(data, list if self._many else dict):
            raise ValidationError(f"{path}: expected {'a list' if self._many else 'a mapping'} at the top level")
        try:
            loaded = self._schema(many=self._many).load(data)
        except ValidationError as exc:
            problems = [f"{path}:{line_of(lines, where) or 1}: {format_path(where)}: {text}"
                        for where, text in flatten_messages(exc.messages)]
            raise ValidationError("; ".join(problems)) from exc
        fixture_cache.store(raw, loader, loaded)
        return loaded


def _find_fixture(name: str) -> Path:
    candidate = Path(name)
    if candidate.is_absolute() and candidate.is_file():
        return candidate
    for folder in fixture_dirs.get():
        if (folder / name).is_file():
            return folder / name
    searched = ", ".join(str(folder) for folder in fixture_dirs.get()) or "nowhere"
    raise ValidationError(f"fixture file {name!r} not found (looked in {searched})")


def flatten_messages(messages, path: tuple = ()):
    """marshmallow's nested error dict as (path, message) pairs, in order."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            step = () if key == "_schema" else (key,)
            yield from flatten_messages(value, path + step)
    elif isinstance(messages, list):
        for item in messages:
            yield from flatten_messages(item, path)
    else:
        yield path, str(messages)
