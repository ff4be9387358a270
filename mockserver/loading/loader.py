"""Finding, reading and validating scenario files; every problem names file, line and field.

A scenario asked for over HTTP (``allowed_dirs`` given) may only be a bundled one or a file
inside the folders the operator allowed, and the fixture files a scenario names must lie inside
its own folder, those folders or the bundled fixtures. Messages never quote a value of a file:
one named over HTTP may not be a scenario at all (see paths.format_path).
"""
from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

from marshmallow import ValidationError

from mockserver.loading.schema import scenario_schema
from mockserver.loading.vocabulary import is_known
from mockserver.loading.warnings import did_you_mean, scenario_warnings
from mockserver.scenario import fixture_cache
from mockserver.scenario.fields import FixtureSearch, fixture_search, flatten_messages
from mockserver.scenario.files import check_file_name, read_text_file
from mockserver.scenario.model import Scenario
from mockserver.scenario.paths import format_path, line_of
from mockserver.settings import DEFAULT_LIMITS, Limits

# The bundled scenarios and catalogs: the top-level scenarios/ and fixtures/ folders, installed
# as packages of their own (setup.py), found wherever the installation put them.
SCENARIOS_DIR = Path(os.path.realpath(str(files("mockserver.scenarios"))))
FIXTURES_DIR = Path(os.path.realpath(str(files("mockserver.fixtures"))))
UNKNOWN = "Unknown field."          # marshmallow's message for a key no field has


class ScenarioError(ValueError):
    """A scenario that did not load; ``problems`` holds one ``file:line: field: message`` each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def bundled_names() -> list[str]:
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.yaml"))


@lru_cache(maxsize=1)
def bundled_descriptions() -> dict[str, str]:
    """Bundled scenario name -> its description, read without loading them (the tests validate
    every bundled file)."""
    import yaml

    from mockserver.scenario.yamlpos import Loader as _Loader
    return {name: (yaml.load((SCENARIOS_DIR / f"{name}.yaml").read_text(encoding="utf-8"), Loader=_Loader)
                   or {}).get("description", "") for name in bundled_names()}


SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def resolve(name_or_path: str | Path, allowed_dirs: tuple[Path, ...] | None = None) -> Path:
    """The name of a bundled scenario, or a path to an existing file. With ``allowed_dirs``, only
    a scenario file (by its suffix) inside one of them once links and ``..`` are resolved; a
    relative path is looked up in each of them in turn."""
    text = str(name_or_path)
    try:
        check_file_name(text)
        return _resolve(text, allowed_dirs)
    except ScenarioError:
        raise
    except (OSError, ValueError) as exc:     # ENAMETOOLONG and the like; a lone surrogate
        # The name is not quoted: it may be megabytes, or not text a message can hold.
        raise ScenarioError(["the file named is not a usable file name (too long for the file system, "
                             "or not valid text)"]) from exc


def _resolve(text: str, allowed_dirs: tuple[Path, ...] | None) -> Path:
    bundled = SCENARIOS_DIR / f"{text}.yaml"
    if "/" not in text and os.sep not in text and bundled.is_file():
        return bundled
    if allowed_dirs is None:
        candidate = Path(text)
        if candidate.is_file():
            return candidate
        raise ScenarioError([f"{text}: no such file, and no bundled scenario by that name "
                             f"(bundled: {', '.join(bundled_names())})"])
    if "\0" in text or not text.lower().endswith(SCENARIO_SUFFIXES):
        raise ScenarioError([f"{text}: not a bundled scenario name (bundled: {', '.join(bundled_names())}), "
                             f"nor a scenario file ({', '.join(SCENARIO_SUFFIXES)})"])
    bases = (Path(),) if Path(text).is_absolute() else allowed_dirs
    for base in bases:
        candidate = Path(os.path.realpath(base / text))
        if not any(candidate.is_relative_to(root) for root in (*allowed_dirs, SCENARIOS_DIR)):
            raise ScenarioError([f"{text}: outside the folders this server loads scenarios from "
                                 "(mockserver run --scenario-dir; the bundled scenarios)"])
        if candidate.is_file():
            return candidate
    raise ScenarioError([f"{text}: no such file in the folders this server loads scenarios from "
                         "(mockserver run --scenario-dir)"])


def load_scenario(name_or_path: str | Path, *, allowed_dirs: tuple[Path, ...] | None = None,
                  limits: Limits = DEFAULT_LIMITS, remember: bool = False) -> Scenario:
    """A bundled scenario or a scenario file. ``allowed_dirs``: the folders a caller over HTTP
    may read (None: any file, for the command line, whose user names the file). ``remember``: keep
    its parsed text in the fixture cache (the scenario of `mockserver run` or `validate`, which the
    next start reads again; not every file a test loads, which would push the catalogs out of the
    cache)."""
    path = resolve(name_or_path, allowed_dirs)
    bundled = Path(os.path.realpath(path)).is_relative_to(SCENARIOS_DIR)     # part of mockserver: no bound
    raw, problem = read_text_file(path, None if bundled else limits.max_scenario_bytes)
    if problem:
        raise ScenarioError([f"{path}: {problem}"])
    folder = Path(os.path.realpath(path.parent))
    roots = (folder, *(allowed_dirs if allowed_dirs is not None else (Path(os.path.realpath(Path.cwd())),)))
    scenario = load_text(raw.decode("utf-8"), source=str(path), limits=limits,
                         fixtures=FixtureSearch(folders=(folder, FIXTURES_DIR), roots=(*roots, FIXTURES_DIR),
                                                limits=limits, bundled=FIXTURES_DIR, known=is_known), remember=remember)
    return replace(scenario, files=(str(path), *scenario.files))


def load_text(text: str, source: str = "<scenario>", *, allowed_dirs: tuple[Path, ...] = (),
              limits: Limits = DEFAULT_LIMITS, fixtures: FixtureSearch | None = None,
              remember: bool = False) -> Scenario:
    """A scenario from its text. The fixture files it names are looked up in ``allowed_dirs``,
    then among the bundled fixtures (``fixtures`` overrides both, for a scenario read from a file).
    ``remember``: keep the parsed text in the fixture cache (see load_scenario)."""
    if fixtures is None:
        fixtures = FixtureSearch(folders=(*allowed_dirs, FIXTURES_DIR), roots=(*allowed_dirs, FIXTURES_DIR),
                                 limits=limits, bundled=FIXTURES_DIR, known=is_known)
    data, lines = _parse(text, source, limits, remember)
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}:1: a scenario is a mapping with at least a name"])
    token = fixture_search.set(fixtures)
    try:
        scenario = scenario_schema()().load(data)
    except ValidationError as exc:
        raise ScenarioError([f"{source}:{line_of(lines, path) or 1}: {format_path(path, is_known)}: {message}"
                             + (did_you_mean(scenario_schema(), path) if message == UNKNOWN else "")
                             for path, message in flatten_messages(exc.messages)]) from exc
    finally:
        fixture_search.reset(token)
    where = unshowable(data)
    if where is not None:
        raise ScenarioError([f"{source}:{line_of(lines, where) or 1}: {format_path(where, is_known)}: a value "
                             "GET /_mock/scenario could not show as JSON (a set, binary data or an endless "
                             "number); write a list, text or a finite number"])
    warnings = tuple(f"{source}:{line_of(lines, path) or 1}: {format_path(path, is_known)}: warning: {text}"
                     for path, text in scenario_warnings(scenario))
    return replace(scenario, source=source, raw=data, files=tuple(dict.fromkeys(str(p) for p in fixtures.read)),
                   warnings=warnings)


def _parse(text: str, source: str, limits: Limits, remember: bool) -> tuple[object, dict]:
    """The document and the line of each of its values (yamlpos.load_with_lines). With
    ``remember``, a text parsed before within the same bounds is read back from the fixture cache,
    so that a start whose scenario and fixtures are unchanged imports no PyYAML (about 15 ms of
    the start); it is validated again all the same. Only documents that parsed are kept."""
    key = f"scenario-yaml:{limits.max_yaml_nodes}:{limits.max_yaml_depth}:{limits.max_yaml_number_chars}"
    if remember and (cached := fixture_cache.load(text.encode("utf-8"), key)) is not None:
        # the entry under this key is what the store below kept: a (document, lines) pair
        return cast(tuple[object, dict], cached)
    import yaml

    from mockserver.scenario.yamlpos import YamlTooLarge, load_with_lines
    try:
        parsed = load_with_lines(text, limits)
    except YamlTooLarge as exc:
        raise ScenarioError([f"{source}:{exc.line}: {exc}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError([f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from exc
    if remember:
        fixture_cache.store(text.encode("utf-8"), key, parsed)
    return parsed


_SHOWN_KEYS = (str, int, float, bool, type(None))
_SHOWN_LEAVES = (str, int, bool, type(None), dt.date, dt.time, Decimal)


def unshowable(data) -> tuple | None:
    """The path of the first value in a loaded document that a JSON answer cannot hold (the
    definition GET /_mock/scenario shows), or None. The loader bounds numbers and nesting, so
    every value here has a JSON form but a set, bytes, a NaN or an infinity, or a key that is not
    text or a number: YAML can write those, and the format's fields may take some of them."""
    pending: list[tuple[tuple[object, ...], Any]] = [((), data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, _SHOWN_KEYS) or (isinstance(key, float) and not math.isfinite(key)):
                    return path
                pending.append((path + (key,), item))
        elif isinstance(value, (list, tuple)):
            pending.extend((path + (index,), item) for index, item in enumerate(value))
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path
        elif isinstance(value, Decimal):
            if not value.is_finite():
                return path
        elif not isinstance(value, _SHOWN_LEAVES):
            return path
    return None
