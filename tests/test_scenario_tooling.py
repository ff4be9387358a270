"""Tooling around scenario files: the shipped JSON Schema, the scenario reference and `mockserver validate`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from mockserver.loading import bundled_names, load_scenario
from mockserver.loading.jsonschema import SHIPPED, scenario_json_schema
from mockserver.loading.loader import SCENARIOS_DIR
from mockserver.loading.reference import SHIPPED as REFERENCE
from mockserver.loading.reference import scenario_reference

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_json_schema_is_what_the_marshmallow_schemas_generate():
    shipped = json.loads(SHIPPED.read_text())
    assert shipped == scenario_json_schema(), "regenerate: python -m mockserver.loading.jsonschema"
    jsonschema.Draft202012Validator.check_schema(shipped)


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_passes_the_json_schema(name):
    path = SCENARIOS_DIR / f"{name}.yaml"
    assert path.read_text().startswith("# yaml-language-server: $schema=scenario.schema.json\n")   # beside it
    data = json.loads(json.dumps(yaml.safe_load(path.read_text())))   # keys as JSON has them
    jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text())).validate(data)


@pytest.mark.parametrize("mistake", [
    {"name": "x", "pvadeals": {"acounts": []}},
    {"name": "x", "pvadeals": {"lifetime": "forever"}},
    {"name": "x", "provynx": {"accounts": [{"keys": ["nsk_live_a"] * 11}]}},
    {"description": "no name"},
])
def test_the_json_schema_catches_mistakes_in_the_editor_too(mistake):
    validator = jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text()))
    assert list(validator.iter_errors(mistake))


def test_validate_command_reports_each_file(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("name: good\npvadeals: {accounts: [{key: API-a}]}\n")
    bad.write_text("name: bad\npvadeals:\n  lifetime: soon\n")
    result = subprocess.run([sys.executable, "-m", "mockserver", "validate", str(good), str(bad), "timeouts"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: ok (good)",
        f"{bad}:3: pvadeals.lifetime: not a duration (use e.g. 500ms, 3s, 20m, 1h)",
        "timeouts: ok (timeouts)"]
    ok = subprocess.run([sys.executable, "-m", "mockserver", "validate", str(good)], capture_output=True, timeout=60)
    assert ok.returncode == 0


def test_the_scenario_reference_is_what_the_declarations_generate():
    """docs/scenario-reference.md cannot drift: it is the generated text, and it names every field
    of every part of the format with a type, a default and an example."""
    assert REFERENCE.read_text(encoding="utf-8") == scenario_reference(), "regenerate: mockserver schema --markdown"
    printed = subprocess.run([sys.executable, "-m", "mockserver", "schema", "--markdown"], capture_output=True,
                             text=True, timeout=60)
    assert printed.stdout == scenario_reference()
    text = REFERENCE.read_text(encoding="utf-8")
    for name, definition in json.loads(SHIPPED.read_text())["$defs"].items():
        assert f"\n## {name}\n" in text
        for field in definition["properties"]:
            row = next(line for line in text.split(f"\n## {name}\n", 1)[1].splitlines()
                       if line.startswith(f"| `{field}` |"))
            assert row.count(" | ") == 4 and " |  |" not in row.replace("|  | `", ""), row
    for field in ("`paths`", "`scope`", "`algorithm`", "`number_format`", "`operators`"):   # once left out
        assert f"| {field} |" in text


def test_validate_warns_about_what_loads_but_cannot_be_meant(tmp_path):
    """A match on a service the catalog does not have never applies; a scenario with no accounts
    answers every call 401. Both load (exit 0), with a warning naming the line and field."""
    odd = tmp_path / "odd.yaml"
    odd.write_text("name: odd\npvadeals:\n  behaviors:\n    - match: {service: Telegarm}\n      sms: never\n"
                   "provynx:\n  behaviors:\n    - match: {country: zz, server: 1}\n")
    result = subprocess.run([sys.executable, "-m", "mockserver", "validate", str(odd)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{odd}: ok (odd)",
        f"{odd}:4: pvadeals.behaviors[0].match.service: warning: matches no service of the catalog, so this "
        "behavior never applies; did you mean `Telegram`?",
        f"{odd}:8: provynx.behaviors[0].match.country: warning: matches no country of the catalog, so this "
        "behavior never applies",
        f"{odd}:1: (top level): warning: no accounts and no tenant key patterns in any provider section: every "
        "API call would answer 401 (add accounts, or copy them from the bundled default scenario)"]


@pytest.mark.parametrize("name", bundled_names())
def test_no_bundled_scenario_has_a_warning(name):
    assert load_scenario(name).warnings == ()
