"""Tooling around scenario files: the shipped JSON Schema, `mockserver validate`, and the bundled
files surviving a plain (non-editable) install."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
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
    assert path.read_text().startswith("# yaml-language-server: $schema=../scenario.schema.json\n")
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


def test_bundled_scenarios_and_fixtures_load_after_a_plain_wheel_install(tmp_path):
    """Build a wheel, install it (no source tree, not editable) into a fresh venv that borrows only
    the dependencies, and load every bundled scenario there."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(wheels), str(ROOT)], check=True, timeout=300, cwd=tmp_path)
    [wheel] = wheels.glob("mockserver-*.whl")
    packaged = zipfile.ZipFile(wheel).namelist()
    assert "mockserver/scenarios/default.yaml" in packaged
    assert "mockserver/fixtures/provynx/server3.yaml" in packaged
    assert "mockserver/scenarios/scenario.schema.json" in packaged
    # every package of the source tree is in it, so a new one cannot be left out of setup.py
    packages = {name.rsplit("/", 1)[0] for name in packaged if name.endswith("/__init__.py")}
    assert packages >= {str(init.parent.relative_to(ROOT)) for init in (ROOT / "mockserver").rglob("__init__.py")}

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", site, str(wheel)],
                   check=True, timeout=300)
    # The dependencies come from the test environment's site-packages (a plain path: its .pth files,
    # including the editable install's, are not run, so mockserver comes from the wheel alone).
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = ("import mockserver, json; from mockserver.scenario import bundled_names, load_scenario; "
              "names = bundled_names(); [load_scenario(n) for n in names]; "
              "print(json.dumps({'file': mockserver.__file__, 'names': names}))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["file"].startswith(site) and loaded["names"] == bundled_names()
