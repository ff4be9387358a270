"""mockserver as a user's project gets it: a wheel (not editable, no source tree) installed into a
fresh virtual environment, its bundled files, and the test files of docs/testing.md run there as
a new project's tests, with and without pytest-xdist."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from mockserver.loading import bundled_names

ROOT = Path(__file__).parent.parent
TESTING_DOC = ROOT / "docs" / "testing.md"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(the wheel, the venv's python, its site-packages) for a wheel built from this tree and
    installed alone into a new venv that borrows only the dependencies."""
    tmp_path = tmp_path_factory.mktemp("packaging")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(wheels), str(ROOT)], check=True, timeout=300, cwd=tmp_path)
    [wheel] = wheels.glob("mockserver-*.whl")
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
    return wheel, python, Path(site)


def _outside_this_tree() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}


def test_the_wheel_holds_every_package_and_the_bundled_files(installed):
    wheel, _, _ = installed
    packaged = zipfile.ZipFile(wheel).namelist()
    assert "mockserver/scenarios/default.yaml" in packaged
    assert "mockserver/fixtures/provynx/server3.yaml" in packaged
    assert "mockserver/scenarios/scenario.schema.json" in packaged
    # every package of the source tree is in it, so a new one cannot be left out of setup.py
    packages = {name.rsplit("/", 1)[0] for name in packaged if name.endswith("/__init__.py")}
    assert packages >= {str(init.parent.relative_to(ROOT)) for init in (ROOT / "mockserver").rglob("__init__.py")}


def test_the_wheel_carries_the_mit_license_setup_cfg_names(installed):
    wheel, _, _ = installed
    licenses = [name for name in zipfile.ZipFile(wheel).namelist() if name.endswith("/LICENSE")]
    assert len(licenses) == 1 and ".dist-info/" in licenses[0]
    assert zipfile.ZipFile(wheel).read(licenses[0]).decode().startswith("MIT License")


def test_the_changelog_keeps_an_unreleased_section():
    lines = (ROOT / "CHANGELOG.md").read_text().splitlines()
    section = lines[lines.index("## Unreleased") + 1:]
    assert any(line.startswith("- ") for line in section)


def test_installing_mockserver_brings_no_pytest_plugin_but_its_own(installed):
    """pytest loads every plugin an installed distribution declares, in every session of a user's
    project: what mockserver needs to run (not its test extras) must declare none but mockserver's."""
    from importlib import metadata

    from packaging.requirements import Requirement
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        wanted = [Requirement(line.split(":", 1)[1]) for line in archive.read(name).decode().splitlines()
                  if line.startswith("Requires-Dist:")]
    seen, plugins = set(), {}
    queue = [r for r in wanted if r.marker is None or r.marker.evaluate({"extra": ""})]
    while queue:
        requirement = queue.pop()
        if requirement.name.lower() in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(requirement.name.lower())
        distribution = metadata.distribution(requirement.name)
        plugins.update({entry.name: distribution.metadata["Name"] for entry in distribution.entry_points
                        if entry.group == "pytest11"})
        queue += [Requirement(text) for text in distribution.requires or []]
    assert {"flask", "marshmallow", "granian", "requests"} <= seen and "waitress" not in seen
    assert plugins == {}


def test_bundled_scenarios_and_fixtures_load_after_a_plain_wheel_install(installed, tmp_path):
    _, python, site = installed
    script = ("import mockserver, json; from mockserver.loading import bundled_names, load_scenario; "
              "names = bundled_names(); [load_scenario(n) for n in names]; "
              "print(json.dumps({'file': mockserver.__file__, 'names': names}))")
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env=_outside_this_tree(), timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["file"].startswith(str(site)) and loaded["names"] == bundled_names()


def doc_test_files() -> dict[str, str]:
    """docs/testing.md's Python blocks, by the file name each names on its first line."""
    blocks = re.findall(r"```python\n# (test_\w+\.py)\n(.*?)```", TESTING_DOC.read_text(), re.S)
    return {name: body for name, body in blocks}


def test_every_python_block_of_the_testing_doc_is_a_whole_named_file():
    blocks = re.findall(r"```python\n(.*?)```", TESTING_DOC.read_text(), re.S)
    assert len(blocks) == len(doc_test_files()) >= 4


@pytest.mark.parametrize("workers", [None, "2"])
def test_the_testing_doc_runs_as_a_new_projects_tests(installed, tmp_path, workers):
    _, python, _ = installed
    for name, body in doc_test_files().items():
        (tmp_path / name).write_text(body)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")       # the rootdir: not this tree's setup.cfg
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    env = _outside_this_tree()
    if workers:
        # The run without workers shows that the wheel's entry point loads the plugin; this one
        # names its plugins instead of loading every one this environment has (most of its time).
        command += ["-p", "mockserver.pytest_plugin", "-p", "xdist.plugin", "-n", workers]
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b10 passed\b", result.stdout), result.stdout[-2000:]
