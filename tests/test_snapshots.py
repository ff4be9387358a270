"""Snapshots over the control API and the command line: restored on a server running another
scenario, one tenant at a time, refused whole (and nothing changed) when they cannot be used."""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import requests

from harness import AIRBNB, KEY, LIVE, OTHER_KEY, MockServer, RunningServer, scenario_with


def state(server: MockServer) -> dict:
    snapshot = server.control("GET", "/snapshot").json()
    for entry in snapshot["journal"]["entries"]:
        entry["duration_ms"] = None
    return snapshot


@pytest.fixture
def busy(start_server):
    """A server with numbers of both providers, an SMS received and one still to come."""
    server = start_server(scenario_with(**{"pvadeals.accounts": [{"key": KEY, "credits": 100},
                                                                 {"key": OTHER_KEY, "credits": 5}]}), real_time=False)
    server.buy(AIRBNB, AIRBNB)
    server.pnx_buy()
    server.advance("3s")
    server.buy(AIRBNB)
    return server


def test_a_snapshot_restores_on_a_server_running_another_scenario_with_what_is_still_to_come(busy, start_server):
    snapshot = busy.control("GET", "/snapshot").json()
    assert (snapshot["format"], snapshot["version"], snapshot["key"]) == ("mockserver-snapshot", 1, None)
    other = start_server("default", real_time=False)
    restored = other.control("PUT", "/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert restored.json() == {"status": "restored", "scenario": "test", "accounts": 4, "numbers": 4, "pending": 4,
                               "now": "2026-01-28T22:42:29.452Z"}
    assert other.control("GET", "/scenario").json()["definition"] == busy.control("GET", "/scenario").json()["definition"]
    assert state(other) == state(busy)
    # What is still to come comes alike: the last number's SMS, with the same code.
    for server in (busy, other):
        server.advance("3s")
    newest = busy.pva("GET", "/requests", params={"orderField": "createdAt", "first": 1}).json()
    last = newest["data"]["data"]["edges"][0]["node"]["_id"]
    assert other.detail(last) == busy.detail(last)
    assert other.detail(last)["status"] == "COMPLETED"
    assert other.buy(AIRBNB) == busy.buy(AIRBNB)


def test_a_tenants_snapshot_restores_that_tenant_only(busy, start_server):
    snapshot = busy.control("GET", "/snapshot", params={"key": KEY}).json()
    assert snapshot["tenant"] == ["pvadeals", KEY] and snapshot["streams"] is None
    assert [a["key"] for a in snapshot["providers"]["pvadeals"]["accounts"]] == [KEY]
    assert snapshot["providers"]["provynx"]["accounts"] == []
    other = start_server(scenario_with(**{"pvadeals.accounts": [{"key": KEY, "credits": 100},
                                                                {"key": OTHER_KEY, "credits": 5}]}), real_time=False)
    other.buy(AIRBNB, key=OTHER_KEY)
    theirs = other.pva("GET", "/requests", key=OTHER_KEY).json()
    restored = other.control("PUT", "/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert restored.json()["accounts"] == 1 and restored.json()["numbers"] == 3
    assert other.pva("GET", "/requests").json() == busy.pva("GET", "/requests").json()
    assert other.credits() == busy.credits() == 99.4        # three numbers at 0.20
    assert other.pva("GET", "/requests", key=OTHER_KEY).json() == theirs      # the other tenant as it was
    assert other.pnx("GET", "/balance", key=LIVE).json()["balance"] == 10      # and the other provider's


def test_a_tenants_snapshot_needs_the_scenario_it_was_taken_on(busy, start_server):
    snapshot = busy.control("GET", "/snapshot", params={"key": KEY}).json()
    other = start_server("default", real_time=False)
    refused = other.control("PUT", "/snapshot", json=snapshot)
    assert refused.status_code == 400
    assert refused.json()["error"] == (
        "snapshot not restored; the state is unchanged: snapshot.scenario.definition: a snapshot of one key restores "
        "into a server running its scenario ('test' as it was then); load that first, or restore a snapshot of the "
        "whole server")


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(version=2, mockserver="9.0"),
     "this snapshot is in format version 2 (written by mockserver 9.0); mockserver 0.1.0 reads version 1 only: "
     "take the snapshot again with this version"),
    (lambda s: s.clear() or s.update(name="not a snapshot"),
     'not a mockserver snapshot (a JSON object with "format": "mockserver-snapshot")'),
    (lambda s: s["providers"]["pvadeals"]["accounts"][0].update(credits="lots"),
     'snapshot.providers.pvadeals.accounts[0].credits: expected an amount as text, e.g. "12.50"'),
    (lambda s: s["providers"]["pvadeals"]["accounts"][0].update(credits="1e400"),
     "snapshot.providers.pvadeals.accounts[0].credits: not an amount the sandbox could have made"),
    (lambda s: s["providers"]["pvadeals"]["accounts"][0]["requests"][0].update(end_ms=10 ** 16),
     "snapshot.providers.pvadeals.accounts[0].requests[0].end_ms: outside the years the clock can show"),
    (lambda s: s["providers"]["pvadeals"]["accounts"][0]["requests"][0].update(duration_days=-3),
     "snapshot.providers.pvadeals.accounts[0].requests[0].duration_days: not a rental's days"),
    (lambda s: s["providers"]["pvadeals"]["accounts"][0]["requests"][0].update(service="nope"),
     "snapshot.providers.pvadeals.accounts[0].requests[0].service: no such service in the scenario"),
    # Parts read after the providers' fail too: what was applied before them is undone.
    (lambda s: s["timeline"]["events"][0].update(call="reset_tenant"),
     "snapshot.timeline.events[0].call: not something a pvadeals event does"),
    (lambda s: s["timeline"]["events"][0].update(args=[{"request": "nope"}, 0, None]),
     "snapshot.timeline.events[0].args[0]: no such request in the snapshot"),
    (lambda s: s["journal"]["entries"][0].update(status="200"),
     "snapshot.journal.entries[0].status: expected a whole number"),
    # The report's observations too: a request made later would trip over a wrong one.
    (lambda s: s["report"][0]["keys"][0].update(failed_purchase=[1]),
     "snapshot.report[0].keys[0].failed_purchase: not an observation of the shape this version keeps"),
    (lambda s: s["report"][0]["keys"][0].update(loop_first=["request", 1]),
     "snapshot.report[0].keys[0].loop_first: not an item of evidence"),
    (lambda s: s["report"][0]["keys"][0].update(loop_first=[[{}]]),
     "snapshot.report[0].keys[0].loop_first: not an item of evidence"),
    (lambda s: s["providers"]["provynx"]["stock"][0].__setitem__(0, []),
     "snapshot.providers.provynx.stock[0]: expected [server, country, service, count left]"),
    (lambda s: s["timeline"]["events"][0].update(args=[{"request": []}, 0, None]),
     "snapshot.timeline.events[0].args[0]: no such request in the snapshot"),
    (lambda s: s["providers"]["provynx"]["accounts"][0].update(keys=[]),
     "snapshot.providers.provynx.accounts[0].keys: an account has from 1 to 10 active keys"),
    (lambda s: s["providers"]["provynx"]["accounts"][0]["numbers"][0].update(sms_at_ms=None),
     "snapshot.providers.provynx.accounts[0].numbers[0].sms_at_ms: a number's SMS and when it came go together"),
    (lambda s: s["providers"]["pvadeals"]["accounts"][0]["requests"][0]["messages"][0].__setitem__(2, 10 ** 20),
     "snapshot.providers.pvadeals.accounts[0].requests[0].messages[0]: expected [text, code or null, at_ms]"),
    (lambda s: s["streams"]["codes"][1].pop(),
     "snapshot.streams.codes: not the state of a random stream"),
])
def test_a_snapshot_that_cannot_be_restored_is_refused_whole_and_changes_nothing(busy, change, message):
    snapshot = busy.control("GET", "/snapshot").json()
    busy.buy(AIRBNB)            # the state the server has now, which a refusal must leave as it is
    before = state(busy)
    broken = copy.deepcopy(snapshot)
    change(broken)
    refused = busy.control("PUT", "/snapshot", json=broken)
    assert (refused.status_code, refused.json()) == (400, {
        "error": f"snapshot not restored; the state is unchanged: {message}", "status": 400})
    assert state(busy) == before


def test_a_tenants_snapshot_whose_key_is_another_tenants_is_refused_and_changes_nothing(busy):
    snapshot = busy.control("GET", "/snapshot", params={"key": KEY}).json()
    busy.buy(AIRBNB, key=OTHER_KEY)
    before = state(busy)
    for key in (OTHER_KEY, "API-nobody", LIVE):
        refused = busy.control("PUT", "/snapshot", json={**snapshot, "key": key})
        assert (refused.status_code, refused.json()["error"]) == (
            400, "snapshot not restored; the state is unchanged: snapshot.key: not a key of the snapshot's tenant")
        assert state(busy) == before


def test_snapshot_save_and_load_from_the_command_line(busy, start_server, tmp_path):
    saved = tmp_path / "state.json"
    command = [sys.executable, "-m", "mockserver", "snapshot"]
    done = subprocess.run([*command, "save", str(saved), "--url", busy.url], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"mockserver snapshot: saved the state to {saved}\n"), done.stderr
    assert json.loads(saved.read_text())["providers"] == busy.control("GET", "/snapshot").json()["providers"]
    other = start_server("default", real_time=False)
    done = subprocess.run([*command, "load", str(saved), "--url", other.url], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"mockserver snapshot: restored {saved}: scenario 'test', 4 accounts, "
                                                 "4 numbers, 4 events pending, now 2026-01-28T22:42:29.452Z\n")
    assert state(other) == state(busy)
    saved.write_text('{"format": "mockserver-snapshot", "version": 0}')
    done = subprocess.run([*command, "load", str(saved), "--url", other.url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "this snapshot is in format version 0" in done.stderr


def test_a_snapshot_may_be_larger_than_a_scenario_and_only_a_snapshot():
    server = RunningServer("--quiet", env={"MOCKSERVER_MAX_SCENARIO_BYTES": "4096"})
    try:
        snapshot = requests.get(f"{server.url}/_mock/snapshot", timeout=10).json()
        body = json.dumps(snapshot).encode()
        assert len(body) > 4096 * 4
        restored = requests.put(f"{server.url}/_mock/snapshot", data=body, timeout=10,
                                headers={"Content-Type": "application/json"})
        assert restored.status_code == 200, restored.text
        too_large = requests.put(f"{server.url}/_mock/scenario", data=body, timeout=10,
                                 headers={"Content-Type": "application/json"})
        assert (too_large.status_code, too_large.json()) == (413, {"error": "Request Entity Too Large", "status": 413})
    finally:
        server.stop()


def test_a_snapshot_of_the_default_scenario_restores_on_a_server_running_another(start_server, busy):
    """The definition travels as JSON, whose keys are text: servers "1", "2", "3" are servers 1-3."""
    bundled = start_server("default", real_time=False)
    bundled.pnx_buy(key="nsk_live_mock")
    snapshot = bundled.control("GET", "/snapshot").json()
    assert set(snapshot["scenario"]["definition"]["provynx"]["servers"]) == {"1", "2", "3"}
    restored = busy.control("PUT", "/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert busy.control("GET", "/scenario").json()["name"] == "default"
    assert state(busy) == state(bundled)
