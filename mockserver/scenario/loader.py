"""Finding, reading and validating scenario files; every problem names file, line and field."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import ValidationError

from .fields import fixture_dirs, flatten_messages
from .model import Scenario
from .schema import ScenarioSchema
from .yamlpos import Loader as _Loader
from .yamlpos import format_path, line_of, load_with_lines

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "bundled"
SCENARIOS_DIR = BUNDLED_DIR / "scenarios"
FIXTURES_DIR = BUNDLED_DIR / "fixtures"


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
    return {name: (yaml.load((SCENARIOS_DIR / f"{name}.yaml").read_text(encoding="utf-8"), Loader=_Loader)
                   or {}).get("description", "") for name in bundled_names()}


def resolve(name_or_path: str | Path) -> Path:
    """A path to an existing file, or the name of a bundled scenario."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    bundled = SCENARIOS_DIR / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    raise ScenarioError([f"{name_or_path}: no such file, and no bundled scenario by that name "
                         f"(bundled: {', '.join(bundled_names())})"])


def load_scenario(name_or_path: str | Path) -> Scenario:
    path = resolve(name_or_path)
    return load_text(path.read_text(encoding="utf-8"), source=str(path), base_dir=path.parent)


def load_text(text: str, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    try:
        data, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError([f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from exc
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}:1: a scenario is a mapping with at least a name"])
    folders = ((base_dir,) if base_dir is not None else ()) + (FIXTURES_DIR,)
    token = fixture_dirs.set(folders)
    try:
        scenario = ScenarioSchema().load(data)
    except ValidationError as exc:
        raise ScenarioError([f"{source}:{line_of(lines, path) or 1}: {format_path(path)}: {message}"
                             for path, message in flatten_messages(exc.messages)]) from exc
    finally:
        fixture_dirs.reset(token)
    return replace(scenario, source=source, raw=data)
