"""Validated fixture files are kept between runs (mockserver/scenario/fixture_cache.py): a later run
reads an unchanged file's entry instead of validating it again, and never a stale or foreign one."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from mockserver.loading import ScenarioError, load_scenario
from mockserver.providers.provynx import section as provynx_section
from mockserver.providers.pvadeals import section as pvadeals_section
from mockserver.providers.pvadeals.section import PvaService
from mockserver.providers.smsactivate import section as smsactivate_section
from mockserver.scenario import fixture_cache

CATALOG = ("- {id: 0123456789abcdef01234567, name: Alpha, price: 0.5}\n"
           "- {id: 0123456789abcdef01234568, name: Beta, price: 1.5}\n")
# A later run: a new process, with nothing but the files and the cache folder in common.
LATER_RUN = ("import json, sys; from mockserver.loading import load_scenario; "
             "print(json.dumps([s.name for s in load_scenario(sys.argv[1]).pvadeals.services]))")


@pytest.fixture
def files(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(cache))
    (tmp_path / "catalog.yaml").write_text(CATALOG)
    (tmp_path / "s.yaml").write_text("name: s\npvadeals:\n  services: catalog.yaml\n")
    return tmp_path, cache


def later_run(scenario) -> list[str]:
    result = subprocess.run([sys.executable, "-c", LATER_RUN, str(scenario)], capture_output=True, text=True,
                            timeout=60, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def catalog_entries(cache) -> list:
    """The entries of PVADeals catalogs (lists of its services); the bundled catalogs of the other
    providers (Provynx's servers, sms-activate's services, countries and prices) have theirs too."""
    return sorted(e for e in cache.glob("*.pickle") if _pvadeals_catalog(pickle.loads(e.read_bytes())))


def _pvadeals_catalog(held) -> bool:
    return isinstance(held, list) and all(isinstance(item, PvaService) for item in held)


def doctor(entry, name: str) -> None:
    """Rename the first service inside a cache entry, so a run that reads the entry says so."""
    services = pickle.loads(entry.read_bytes())
    entry.write_bytes(pickle.dumps([replace(services[0], name=name), *services[1:]]))


def test_an_unchanged_file_is_read_back_from_its_entry_and_an_edited_one_is_validated_again(files):
    folder, cache = files
    assert [s.name for s in load_scenario(folder / "s.yaml").pvadeals.services] == ["Alpha", "Beta"]
    [entry] = catalog_entries(cache)
    assert pickle.loads(entry.read_bytes()) == list(load_scenario(folder / "s.yaml").pvadeals.services)
    assert oct(cache.stat().st_mode & 0o777) == "0o700"

    doctor(entry, "FromTheCache")
    assert later_run(folder / "s.yaml") == ["FromTheCache", "Beta"]

    (folder / "catalog.yaml").write_text(CATALOG.replace("Beta", "Gamma"))
    assert later_run(folder / "s.yaml") == ["Alpha", "Gamma"]
    assert len(catalog_entries(cache)) == 2


def test_a_broken_file_is_reported_with_its_line_every_time_and_never_kept(files):
    folder, cache = files
    (folder / "catalog.yaml").write_text(CATALOG.replace("0123456789abcdef01234568", "nope"))
    for _ in range(2):
        with pytest.raises(ScenarioError) as caught:
            load_scenario(folder / "s.yaml")
        assert f"{folder / 'catalog.yaml'}:2: [1].id: must be a 24-digit lowercase hex ObjectId" in str(caught.value)
    assert catalog_entries(cache) == []


def test_entries_in_a_folder_others_may_write_are_neither_read_nor_written(files):
    folder, cache = files
    later_run(folder / "s.yaml")
    [entry] = catalog_entries(cache)
    doctor(entry, "Planted")
    cache.chmod(0o777)
    assert later_run(folder / "s.yaml") == ["Alpha", "Beta"]
    (folder / "catalog.yaml").write_text(CATALOG.replace("Beta", "Gamma"))
    assert later_run(folder / "s.yaml") == ["Alpha", "Gamma"]
    assert catalog_entries(cache) == [entry]


def test_an_unreadable_entry_is_validated_again_and_off_keeps_nothing(files, monkeypatch):
    folder, cache = files
    later_run(folder / "s.yaml")
    [entry] = catalog_entries(cache)
    entry.write_bytes(entry.read_bytes()[:40])
    assert later_run(folder / "s.yaml") == ["Alpha", "Beta"]
    assert pickle.loads(entry.read_bytes())[1].name == "Beta"       # rewritten whole

    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", "off")
    (folder / "catalog.yaml").write_text(CATALOG.replace("Beta", "Gamma"))
    assert later_run(folder / "s.yaml") == ["Alpha", "Gamma"]
    assert catalog_entries(cache) == [entry]


def test_only_the_newest_entries_are_kept(files):
    folder, cache = files
    cache.mkdir(mode=0o700)
    for index in range(70):
        (cache / f"{index:064x}.pickle").write_bytes(b"old")
        os.utime(cache / f"{index:064x}.pickle", ns=(index * 10**9, index * 10**9))
    load_scenario(folder / "s.yaml")
    kept = {entry.name for entry in cache.glob("*.pickle")}
    assert len(kept) == 64
    assert f"{0:064x}.pickle" not in kept and f"{69:064x}.pickle" in kept
    written = [pickle.loads(e.read_bytes()) for e in cache.glob("*.pickle") if e.read_bytes() != b"old"]
    assert [s.name for s in next(v for v in written if isinstance(v, list))] == ["Alpha", "Beta"]


def test_without_a_home_nothing_is_kept_in_the_working_folder(files, monkeypatch):
    folder, _ = files
    monkeypatch.delenv("MOCKSERVER_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "nowhere")        # what expanduser gives back when it finds no home
    monkeypatch.chdir(folder)
    assert later_run(folder / "s.yaml") == ["Alpha", "Beta"]
    assert sorted(p.name for p in folder.iterdir()) == ["catalog.yaml", "s.yaml"]


# `mockserver run`'s load of its scenario: the parsed text is kept too, so an unchanged scenario
# starts without importing PyYAML.
REMEMBERING_RUN = ("import json, sys; from mockserver.loading import load_scenario; "
                   "s = load_scenario(sys.argv[1], remember=True); "
                   "print(json.dumps([s.name, [x.name for x in s.pvadeals.services], 'yaml' in sys.modules]))")


def remembering_run(scenario) -> list:
    result = subprocess.run([sys.executable, "-c", REMEMBERING_RUN, str(scenario)], capture_output=True,
                            text=True, timeout=60, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_run_scenario_is_parsed_once_and_an_edited_or_broken_one_again(files):
    folder, cache = files
    assert remembering_run(folder / "s.yaml") == ["s", ["Alpha", "Beta"], True]
    assert remembering_run(folder / "s.yaml") == ["s", ["Alpha", "Beta"], False]
    (folder / "s.yaml").write_text("name: t\npvadeals:\n  services: catalog.yaml\n")
    assert remembering_run(folder / "s.yaml") == ["t", ["Alpha", "Beta"], True]
    assert remembering_run(folder / "s.yaml") == ["t", ["Alpha", "Beta"], False]
    # Without remember (a test's files, the control API's loads) nothing more is kept.
    entries = sorted(cache.glob("*.pickle"))
    (folder / "s.yaml").write_text("name: u\npvadeals:\n  services: catalog.yaml\n")
    assert later_run(folder / "s.yaml") == ["Alpha", "Beta"]
    assert sorted(cache.glob("*.pickle")) == entries
    # A text that is not valid YAML is reported with its line each time, and never kept.
    (folder / "s.yaml").write_text("name: v\npvadeals: [\n")
    for _ in range(2):
        with pytest.raises(ScenarioError, match=r"s\.yaml:3: not valid YAML"):
            load_scenario(folder / "s.yaml", remember=True)
    assert sorted(cache.glob("*.pickle")) == entries


def test_the_schemas_that_validate_catalogs_are_part_of_what_makes_an_entry_stale():
    # The catalogs' schemas and model classes are the providers' own: an edit there (in a
    # checkout) must not leave entries validated by the previous code.
    covered = {source.resolve() for source in fixture_cache.stamped_sources()}
    for module in (pvadeals_section, provynx_section, smsactivate_section):
        assert Path(module.__file__).resolve() in covered
