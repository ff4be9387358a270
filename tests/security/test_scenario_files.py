"""Scenario files over HTTP: only bundled ones and files in the folders the operator allowed; the
fixture files a scenario names stay inside those folders; no message shows what a file holds;
YAML that would expand to billions of values is refused before it is built."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness import BASE_SCENARIO
from mockserver.control.access import Access

SECRET_VALUE = "TOPSECRET-4711"
BOMB = "name: bomb\nlol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{n}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(9))


@pytest.fixture
def folders(tmp_path):
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    secret = f"- {{id: 697139f7fe5460ddc2f27214, name: Secret, price: {SECRET_VALUE}}}\n"
    (outside / "secret.yaml").write_text(secret)
    (allowed / "secret.yaml").write_text(secret)
    return allowed, outside


@pytest.fixture
def server(start_server, folders):
    return start_server(BASE_SCENARIO, access=Access(scenario_dirs=(folders[0],)))


def put_path(server, path) -> dict:
    response = server.control("PUT", "/scenario", json={"path": str(path)})
    assert response.status_code == 400, response.text
    assert SECRET_VALUE not in response.text and "root:" not in response.text
    assert server.control("GET", "/scenario").json()["name"] == "test"      # the running one stays
    return response.json()


def put_yaml(server, text: str) -> dict:
    response = server.control("PUT", "/scenario", data=text.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 400, response.text
    assert SECRET_VALUE not in response.text
    return response.json()


def test_a_file_outside_the_allowed_folders_is_not_read(server, folders):
    for path in ("/etc/passwd", "/etc/shadow", folders[1] / "secret.yaml", folders[0] / ".." / "outside" / "secret.yaml",
                 "../outside/secret.yaml", "/proc/self/environ"):
        problems = put_path(server, path)["problems"]
        assert len(problems) == 1
        assert "outside the folders this server loads scenarios from" in problems[0] or \
               "nor a scenario file" in problems[0], problems


def test_a_link_out_of_an_allowed_folder_is_not_followed(server, folders):
    allowed, outside = folders
    os.symlink(outside / "secret.yaml", allowed / "link.yaml")
    assert "outside the folders" in put_path(server, allowed / "link.yaml")["problems"][0]


def test_only_scenario_files_are_read_even_inside_an_allowed_folder(server, folders):
    (folders[0] / ".env").write_text(f"TOKEN={SECRET_VALUE}\n")
    assert "nor a scenario file (.yaml, .yml, .json)" in put_path(server, folders[0] / ".env")["problems"][0]


def test_a_file_that_is_no_scenario_is_refused_without_quoting_it(server, folders):
    (folders[0] / "config.yaml").write_text(f"database:\n  password: {SECRET_VALUE}\n{SECRET_VALUE}: 1\n"
                                            f"name: {{{SECRET_VALUE}: x}}\n")
    problems = put_path(server, folders[0] / "config.yaml")["problems"]
    where = folders[0] / "config.yaml"
    assert sorted(problems) == [f"{where}:1: <field>: Unknown field.", f"{where}:3: <field>: Unknown field.",
                                f"{where}:4: name: Not a valid string."]


@pytest.mark.parametrize("reference", ["{outside}/secret.yaml", "../outside/secret.yaml", "/proc/self/environ",
                                       "../../../../../../../etc/passwd"])
def test_fixture_references_stay_inside_the_allowed_folders(server, folders, reference):
    allowed, outside = folders
    reference = reference.format(outside=outside)
    scenario = allowed / "s.yaml"
    scenario.write_text(f"name: s\npvadeals:\n  services: {reference}\n")
    for problems in (put_path(server, scenario)["problems"],
                     put_yaml(server, scenario.read_text())["problems"]):
        assert len(problems) == 1 and problems[0].split(": ", 1)[0].endswith(":3")
        assert ("not by an absolute path" in problems[0] or "outside the folders scenarios may read" in problems[0]
                or "fixture file not found" in problems[0]), problems


def test_a_fixture_inside_an_allowed_folder_loads_and_its_values_are_not_quoted(server, folders):
    allowed, _ = folders
    (allowed / "s.yaml").write_text("name: s\npvadeals:\n  services: secret.yaml\n")
    problems = put_path(server, allowed / "s.yaml")["problems"]
    assert problems == [f"{allowed / 's.yaml'}:3: pvadeals.services: {allowed / 'secret.yaml'}:1: [0].price: "
                        "not an amount (write e.g. 0.2 or 100.00)"]
    (allowed / "secret.yaml").write_text("- {id: 697139f7fe5460ddc2f27214, name: Fine, price: 1.5}\n")
    assert server.control("PUT", "/scenario", json={"path": str(allowed / "s.yaml")}).status_code == 200


def test_a_fixture_that_is_not_text_is_refused(server, folders):
    allowed, _ = folders
    (allowed / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (allowed / "s.yaml").write_text("name: s\npvadeals:\n  services: binary.yaml\n")
    assert put_path(server, allowed / "s.yaml")["problems"] == [
        f"{allowed / 's.yaml'}:3: pvadeals.services: {allowed / 'binary.yaml'}: not UTF-8 text"]


def test_an_alias_bomb_is_refused_over_http_and_by_validate(server, tmp_path):
    assert len(BOMB) < 600
    problems = put_yaml(server, BOMB)["problems"]
    assert problems == ["PUT /_mock/scenario:7: more than 100000 values once its aliases are expanded "
                        "(MOCKSERVER_MAX_YAML_NODES)"]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    result = subprocess.run([sys.executable, "-m", "mockserver", "validate", str(bomb)], capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, f"{bomb}:7: more than 100000 values once its aliases are "
                                                     "expanded (MOCKSERVER_MAX_YAML_NODES)\n")


def test_deep_nesting_is_refused(server):
    assert put_yaml(server, "name: x\ndeep: " + "[" * 40 + "]" * 40 + "\n")["problems"] == [
        "PUT /_mock/scenario:2: nested more than 32 levels deep (MOCKSERVER_MAX_YAML_DEPTH)"]
    deep_json = server.control("PUT", "/scenario", data="[" * 5000 + "]" * 5000,
                               headers={"Content-Type": "application/json"})
    assert deep_json.status_code == 400
    assert deep_json.json()["problems"] == ["PUT /_mock/scenario: the body is nested more than 32 levels deep"]


UNUSABLE = "the file named is not a usable file name (too long for the file system, or not valid text)"


@pytest.mark.parametrize("path", ["a" * 300 + ".yaml", ("d" * 200 + "/") * 30 + "x.yaml", "\ud800.yaml",
                                  "/tmp/" + "a" * 300 + ".yml", "x" * 300])
def test_names_the_file_system_cannot_take_are_refused_without_quoting_them(server, path):
    response = server.control("PUT", "/scenario", json={"path": path})
    assert response.status_code == 400, response.text[:300]
    assert response.json()["problems"] == [UNUSABLE]
    assert "a" * 50 not in response.text and "d" * 50 not in response.text and "x" * 50 not in response.text
    assert "\\ud800" not in response.text
    assert server.control("GET", "/scenario").json()["name"] == "test"


@pytest.mark.parametrize("reference", ["a" * 300 + ".yaml", "'" + ("d" * 200 + "/") * 30 + "x.yaml'",
                                       "sub/" + "a" * 256 + ".yml"])
def test_fixture_names_the_file_system_cannot_take_are_refused_without_quoting_them(server, reference):
    problems = put_yaml(server, f"name: s\npvadeals:\n  services: {reference}\n")["problems"]
    assert problems == ["PUT /_mock/scenario:3: pvadeals.services: not a usable file name (too long, or not valid "
                        "text)"]


OUTSIDE = ("pvadeals.services: that fixture file lies outside the folders scenarios may read (the scenario's own, "
           "the allowed scenario folders, the bundled fixtures)")


def test_a_fixture_reference_outside_the_folders_does_not_tell_whether_a_file_is_there(server, folders):
    allowed, _ = folders
    scenario = allowed / "s.yaml"
    for reference in ("../outside/secret.yaml", "../outside/no-such.yaml", "../../../../../../../etc/shadow",
                      "../../../../../../../etc/no-such-file", "../../../../../../../etc"):
        scenario.write_text(f"name: s\npvadeals:\n  services: {reference}\n")
        assert put_path(server, scenario)["problems"] == [f"{scenario}:3: {OUTSIDE}"], reference
        assert put_yaml(server, scenario.read_text())["problems"] == [f"PUT /_mock/scenario:3: {OUTSIDE}"], reference


def test_a_fixture_reference_names_a_yaml_file(server, folders):
    allowed, _ = folders
    (allowed / ".env").write_text(f"- {{id: 697139f7fe5460ddc2f27214, name: Env, price: {SECRET_VALUE}}}\n")
    (allowed / "catalog").write_text("- {id: 697139f7fe5460ddc2f27214, name: Fine, price: 1.5}\n")
    scenario = allowed / "s.yaml"
    for reference in (".env", "catalog", "secret.yaml.bak"):
        scenario.write_text(f"name: s\npvadeals:\n  services: {reference}\n")
        assert put_path(server, scenario)["problems"] == [
            f"{scenario}:3: pvadeals.services: a fixture file's name ends in .yaml or .yml"]
    (allowed / "catalog.yml").write_text("- {id: 697139f7fe5460ddc2f27214, name: Fine, price: 1.5}\n")
    for reference in ("catalog.yml", "pvadeals/services.yaml"):
        scenario.write_text(f"name: s\npvadeals:\n  services: {reference}\n")
        assert server.control("PUT", "/scenario", json={"path": str(scenario)}).status_code == 200
