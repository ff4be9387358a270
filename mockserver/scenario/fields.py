"""Scenario field types: durations, money, instants and catalog lists kept in fixture files."""
from __future__ import annotations

import contextvars
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields

from mockserver.engine.clock import (
    ANSWER_HORIZON_MS,
    DAY_MS,
    EARLIEST_MS,
    LATEST_MS,
    format_iso,
    parse_iso,
)
from mockserver.engine.durations import format_duration, parse_duration
from mockserver.engine.signing import SecretError, secret_key
from mockserver.scenario import fixture_cache
from mockserver.scenario.declare import schema_of
from mockserver.scenario.files import check_file_name, read_text_file
from mockserver.scenario.paths import format_path, line_of
from mockserver.settings import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class FixtureSearch:
    """Where one load looks for the fixture files a scenario names: ``folders`` in order (the
    scenario's own folder, then the bundled fixtures), and only what lies inside ``roots`` once
    links and ``..`` are resolved. Set by the loader for the duration of one load."""
    folders: tuple[Path, ...] = ()
    roots: tuple[Path, ...] = ()
    limits: Limits = DEFAULT_LIMITS
    bundled: Path | None = None       # the bundled fixtures: part of mockserver, read whatever the limits
    # The fixture files this load has read, in order (what `mockserver run --watch` watches).
    read: list[Path] = field(default_factory=list, compare=False)
    # Whether a name is one of the format's fields (or close to one), for naming it in a message:
    # the loader, above the providers whose sections make the format, says.
    known: Callable[[str], bool] = field(default=lambda name: False, compare=False)


fixture_search: contextvars.ContextVar[FixtureSearch] = contextvars.ContextVar("fixture_search",
                                                                                default=FixtureSearch())  # noqa: B039 (a load sets its own; the default is only read)


def load_limits() -> Limits:
    """The limits of the load under way (the defaults outside one)."""
    return fixture_search.get().limits


def _schema_hints(field: fields.Field, hints: dict) -> None:
    """JSON Schema keywords for the scenario schema (see jsonschema.py); the field's own metadata wins."""
    field.metadata = {**hints, **field.metadata}


def schema_name(schema: type[Schema] | Schema) -> str:
    """The name a schema has in the JSON Schema's $defs: its class name without "Schema"."""
    name = (schema if isinstance(schema, type) else type(schema)).__name__
    return name[:-len("Schema")] if name.endswith("Schema") else name


def ref(schema: type[Schema]) -> dict:
    return {"$ref": f"#/components/schemas/{schema_name(schema)}"}


# Real time a scenario may make something wait: a fault holding a request, a receiver's answer.
LONGEST_WAIT_MS = 120_000


class Duration(fields.Field):
    """``500ms``, ``3s``, ``20m``, ``1h`` or a number of seconds, loaded as milliseconds, and at
    most ``longest_ms``: by default the clock's answer horizon, since a scenario's durations end up
    added to now in answers (an end time, an expiry), which must stay within year 9999."""

    def __init__(self, *, longest_ms: int | None = ANSWER_HORIZON_MS, **kwargs):
        self._longest_ms = longest_ms
        super().__init__(**kwargs)
        hints: dict[str, object] = {"anyOf": [{"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d))+$"},
                           {"type": "number", "minimum": 0}]}
        if isinstance(self.load_default, int):
            hints["default"] = format_duration(self.load_default)
        _schema_hints(self, hints)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            ms = parse_duration(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if self._longest_ms is not None and ms > self._longest_ms:
            raise ValidationError(f"at most {_spoken(self._longest_ms)}")
        return ms


def _spoken(ms: int) -> str:
    return f"{ms // DAY_MS} days" if ms % DAY_MS == 0 else format_duration(ms)


class Money(fields.Field):
    """A non-negative amount, kept as Decimal so balances never drift; at most MOCKSERVER_MAX_MONEY
    with at most MOCKSERVER_MAX_MONEY_PLACES decimals, checked on the digits as written, so
    "1e999999" is refused before anything computes with it (or shows it as a float)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        hints = {"type": "number", "minimum": 0, "maximum": DEFAULT_LIMITS.max_money}
        if isinstance(self.load_default, Decimal):
            hints["default"] = float(self.load_default)
        _schema_hints(self, hints)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError("not an amount (write e.g. 0.2 or 100.00)")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError("not an amount (write e.g. 0.2 or 100.00)") from exc
        if not amount.is_finite() or amount < 0:
            raise ValidationError("an amount must be a finite number, 0 or more")
        limits = load_limits()
        if amount > limits.max_money:       # compares exponents first: quick at any size
            raise ValidationError(f"at most {limits.max_money} (MOCKSERVER_MAX_MONEY)")
        _, digits, exponent = amount.as_tuple()
        trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        if -exponent - trailing_zeros > limits.max_money_places:
            raise ValidationError(f"at most {limits.max_money_places} decimal places (MOCKSERVER_MAX_MONEY_PLACES)")
        return amount


class WebhookUrl(fields.Url):
    """An http(s) URL to POST events to, whose port (if given) is one a connection can go to:
    marshmallow's URL check takes any digits, and a port past 65535 only failed at delivery."""

    def __init__(self, **kwargs):
        super().__init__(require_tld=False, schemes={"http", "https"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        url = super()._deserialize(value, attr, data, **kwargs)
        try:
            port = urlsplit(url).port
        except ValueError:
            port = 0
        if port == 0:
            raise ValidationError("a webhook URL's port is from 1 to 65535")
        return url


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
                instant = parse_iso(value)
            except (ValueError, OverflowError):
                pass
            else:
                if not EARLIEST_MS <= instant <= LATEST_MS:
                    raise ValidationError(f"the clock keeps between {format_iso(EARLIEST_MS)} and {format_iso(LATEST_MS)}")
                return instant
        raise ValidationError("not an instant: use 'now' or ISO 8601 like 2026-01-28T22:42:26Z")


_loaded_this_process: dict[tuple, object] = {}


class Fixture(fields.Field):
    """Inline data, or the name of a YAML file holding it, loaded into ``kind`` (a declared dataclass)."""

    def __init__(self, kind: type, *, many: bool = False, **kwargs):
        super().__init__(**kwargs)
        schema = self.item_schema = schema_of(kind)   # the schema its values load with
        self._many = many
        inline = {"type": "array", "items": ref(schema)} if many else ref(schema)
        _schema_hints(self, {"anyOf": [{"type": "string", "description": "a fixture file"}, inline]})

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return self._load_file(value)
        if not isinstance(value, list if self._many else dict):
            kind = "a list" if self._many else "a mapping"
            raise ValidationError(f"expected {kind}, or the name of a fixture file")
        return self.item_schema(many=self._many).load(value)

    def _load_file(self, name: str):
        search = fixture_search.get()
        path = _find_fixture(name, search)
        search.read.append(path)
        stat = path.stat()
        # Loaded data is frozen, so a file unchanged since its last load is not parsed again.
        cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, self.item_schema, self._many)
        if cache_key not in _loaded_this_process:
            trusted = search.bundled is not None and path.is_relative_to(search.bundled)
            _loaded_this_process[cache_key] = self._parse(path, search.limits, trusted)
        return _loaded_this_process[cache_key]

    def _parse(self, path: Path, limits: Limits, trusted: bool):
        # Messages about a fixture name its path, line and field, never a value it holds: the file
        # is not the caller's own text (see paths.format_path).
        raw, problem = read_text_file(path, None if trusted else limits.max_scenario_bytes)
        if problem:
            raise ValidationError(f"{path}: {problem}")
        loader = f"{self.item_schema.__module__}.{self.item_schema.__qualname__}{'[]' if self._many else ''}"
        cached = fixture_cache.load(raw, loader)
        if cached is not None:
            return cached
        import yaml  # here: a start whose fixtures all come from the cache imports no PyYAML

        from mockserver.scenario.yamlpos import YamlTooLarge, load_with_lines
        try:
            data, lines = load_with_lines(raw.decode("utf-8"), DEFAULT_LIMITS if trusted else limits)
        except YamlTooLarge as exc:
            raise ValidationError(f"{path}:{exc.line}: {exc}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ValidationError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML") from exc
        if not isinstance(data, list if self._many else dict):
            raise ValidationError(f"{path}: expected {'a list' if self._many else 'a mapping'} at the top level")
        try:
            loaded = self.item_schema(many=self._many).load(data)
        except ValidationError as exc:
            known = fixture_search.get().known
            problems = [f"{path}:{line_of(lines, where) or 1}: {format_path(where, known)}: {text}"
                        for where, text in flatten_messages(exc.messages)]
            raise ValidationError("; ".join(problems)) from exc
        fixture_cache.store(raw, loader, loaded)
        return loaded


FIXTURE_SUFFIXES = (".yaml", ".yml")


class BodyFile(fields.String):
    """The name of a file whose bytes a fault answers with (an HTML error page), found as fixture
    files are (the scenario's folder, then the bundled fixtures: ``faults/nginx-502.html``) and read
    within the scenario limit; loads as the file's bytes and its suffix (".html")."""

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[bytes, str]:  # type: ignore[override]  # a name in, the file out
        name = super()._deserialize(value, attr, data, **kwargs)
        search = fixture_search.get()
        path = _find_fixture(name, search, BODY_FILE_SUFFIXES)
        search.read.append(path)
        trusted = search.bundled is not None and path.is_relative_to(search.bundled)
        raw, problem = read_text_file(path, None if trusted else search.limits.max_scenario_bytes)
        if problem:
            raise ValidationError(f"{path}: {problem}")
        return raw, path.suffix.lower()


# What an answer body file may be: text a proxy sends, never a scenario's neighbour such as a .env.
BODY_FILE_SUFFIXES = (".html", ".htm", ".txt", ".json", ".xml")


def _find_fixture(name: str, search: FixtureSearch, suffixes: tuple[str, ...] = FIXTURE_SUFFIXES) -> Path:
    """The file a fixture reference names, relative to the folders searched. The reference comes
    from a scenario that may be someone else's, so it is never an absolute path, never leads
    outside the allowed folders, names a YAML file (not a .env next to the scenario), and is not
    echoed in messages. Where it leads is checked before whether anything is there, so the answer
    about a place outside the folders is the same whether a file exists there or not."""
    if Path(name).is_absolute() or "\0" in name:
        raise ValidationError("a fixture file is named relative to the scenario's folder (or is a bundled "
                              "fixture), not by an absolute path")
    try:
        check_file_name(name)
        candidates = [candidate for candidate in (Path(os.path.realpath(folder / name)) for folder in search.folders)
                      if any(candidate.is_relative_to(root) for root in search.roots)]
        if not candidates:
            raise ValidationError("that fixture file lies outside the folders scenarios may read "
                                  "(the scenario's own, the allowed scenario folders, the bundled fixtures)")
        if not name.lower().endswith(suffixes):
            raise ValidationError(f"a fixture file's name ends in {' or '.join(suffixes)}")
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    except (OSError, ValueError) as exc:     # too long for the file system, or not valid text
        raise ValidationError("not a usable file name (too long, or not valid text)") from exc
    raise ValidationError("fixture file not found (looked in the scenario's folder and the bundled fixtures)")


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


def signing_secret(secret: str) -> None:
    """A Standard Webhooks signing secret: whsec_ and the base64 of at least one byte (what
    engine/signing.py can sign with). One check for the scenario's secrets and the control API's."""
    if not secret.startswith("whsec_"):
        raise ValidationError("a signing secret starts with whsec_")
    try:
        if secret_key(secret):
            return
    except SecretError:
        pass
    raise ValidationError("a signing secret is whsec_ followed by base64 (of at least one byte)")
