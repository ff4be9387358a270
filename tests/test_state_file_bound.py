"""The state file's writer and reader agree: what a --state server writes, it can start from. A
state that outgrows MOCKSERVER_MAX_SNAPSHOT_BYTES (which a start reads) is not written; the log
and /_mock/health say so at once, the file keeps the last state that fit, and GET /_mock/snapshot
never hands out a document PUT would refuse. A small bound stands in for a large state here."""
from __future__ import annotations

import requests
import yaml

from harness import AIRBNB, BASE_SCENARIO, KEY, RunningServer, scenario_with

BOUND = 30_000          # the harness scenario's state is about 22 kB, and each purchase adds about 3 kB
ENV = {"MOCKSERVER_MAX_SNAPSHOT_BYTES": str(BOUND)}


def buy(url: str) -> None:
    answer = requests.post(f"{url}/v3/api/purchase", json={"services": [{"serviceId": AIRBNB}]},
                           headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert answer.status_code == 200, answer.text


def outgrow(server: RunningServer, state_file) -> None:
    """Purchases until the state is past the bound; the log and /_mock/health say so."""
    for _ in range(4):
        buy(server.url)
    notice = f"the state file {state_file} is not kept current: the state is "
    logged = server.read_until(lambda line: "is not kept current" in line)
    assert f"mockserver: {notice}" in logged
    assert f"bytes, more than MOCKSERVER_MAX_SNAPSHOT_BYTES ({BOUND}), which a start reads" in logged
    health = requests.get(f"{server.url}/_mock/health", timeout=10).json()
    assert health["status"] == "ok" and len(health["notices"]) == 1 and health["notices"][0].startswith(notice)


def test_a_state_past_the_bound_is_said_at_once_and_the_file_still_starts_a_server(tmp_path):
    scenario, state_file = tmp_path / "dev.yaml", tmp_path / "state.json"
    scenario.write_text(yaml.safe_dump(BASE_SCENARIO))
    options = ("--scenario", str(scenario), "--state", str(state_file), "--state-interval", "0.2", "--quiet")
    server = RunningServer(*options, env=ENV)
    try:
        outgrow(server, state_file)
        snapshot = requests.get(f"{server.url}/_mock/snapshot", timeout=10)
        assert snapshot.status_code == 409
        assert snapshot.json()["error"].startswith("the snapshot is ")
        assert f"more than MOCKSERVER_MAX_SNAPSHOT_BYTES ({BOUND}), which PUT /_mock/snapshot" in snapshot.json()["error"]
        one_key = requests.get(f"{server.url}/_mock/snapshot", params={"key": "nsk_live_acme"}, timeout=10)
        assert one_key.status_code == 200 and len(one_key.content) <= BOUND
    finally:
        server.stop()
    assert len(state_file.read_bytes()) <= BOUND           # the last state that fit, written before
    again = RunningServer(*options, env=ENV)
    try:
        assert f"state restored from {state_file}: scenario 'test'" in again.banner
        assert "notices" not in requests.get(f"{again.url}/_mock/health", timeout=10).json()
        outgrow(again, state_file)
        assert requests.post(f"{again.url}/_mock/reset", timeout=10).status_code == 200
        again.read_until(lambda line: "the state fits MOCKSERVER_MAX_SNAPSHOT_BYTES again" in line)
        assert "notices" not in requests.get(f"{again.url}/_mock/health", timeout=10).json()
        assert requests.get(f"{again.url}/_mock/snapshot", timeout=10).status_code == 200
    finally:
        again.stop()


def test_a_snapshot_of_a_scenario_with_a_long_seed_is_read_back(start_server):
    # A seed of 40 digits is within the scenario's bound (MOCKSERVER_MAX_YAML_NUMBER_CHARS), and
    # past the one on numbers in other control bodies (MOCKSERVER_MAX_JSON_NUMBER_CHARS).
    mock = start_server(scenario_with(seed=int("9" * 40)), real_time=False)
    mock.buy(AIRBNB)
    taken = mock.control("GET", "/snapshot")
    assert taken.status_code == 200
    restored = mock.control("PUT", "/snapshot", data=taken.content, headers={"Content-Type": "application/json"})
    assert restored.status_code == 200, restored.text
    assert mock.control("GET", "/snapshot").json() == taken.json()
