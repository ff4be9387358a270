"""Tooling around scenario files: the shipped JSON Schema and `mockserver validate`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from mockserver.scenario import bundled_names
from mockserver.scenario.jsonschema import SHIPPED, scenario_json_schema
from mockserver.scenario.loader import SCENARIOS_DIR

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_json_schema_is_what_the_marshmallow_schemas_generate():
    shipped = json.loads(SHIPPED.read_text())
    assert shipped == scenario_json_schema(), "regenerate: python -m mockserver.scenario.jsonschema"
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
    good.write_text("name: good\n")
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
