"""`mockserver run --state FILE` and `--watch` as a developer runs them: real processes, killed
and restarted, scenario files edited under them."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from decimal import Decimal

import pytest
import requests
import yaml

from harness import AIRBNB, BASE_SCENARIO, KEY, RunningServer

PRICE = Decimal("0.2")           # Airbnb's, in the bundled catalog
CREDITS = Decimal(1000)
INTERVAL_S = 0.5


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "dev.yaml"
    scenario = {**BASE_SCENARIO, "pvadeals": {**BASE_SCENARIO["pvadeals"],
                                              "accounts": [{"key": KEY, "credits": int(CREDITS)}],
                                              "rate_limits": [{"limit": 1000000, "window": "1s"}]}}
    path.write_text(yaml.safe_dump(scenario))
    return path


def requests_held(url: str) -> dict[str, dict]:
    state = requests.get(f"{url}/_mock/state", params={"key": KEY}, timeout=10).json()
    return {r["_id"]: r for r in state["pvadeals"]["accounts"][0]["requests"]}


def credits(url: str) -> Decimal:
    answer = requests.get(f"{url}/v3/api/balance", headers={"Authorization": f"Bearer {KEY}"}, timeout=10).json()
    return Decimal(str(answer["data"]["credits"]))


class Burst:
    """Purchases one after another on a thread; each id with the monotonic instant its answer came."""

    def __init__(self, url: str):
        self.answered: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self._thread.start()

    def _run(self, url: str) -> None:
        with requests.Session() as http:
            while not self._stop.is_set():
                try:
                    answer = http.post(f"{url}/v3/api/purchase", json={"services": [{"serviceId": AIRBNB}]},
                                       headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
                except requests.RequestException:
                    return                   # the server is gone
                if answer.status_code == 200:
                    self.answered.append((time.monotonic(), answer.json()["data"]["requests"][0]["_id"]))

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.answered) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.answered) >= count

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def test_a_killed_server_restarts_with_every_purchase_answered_more_than_an_interval_before(scenario_file,
                                                                                              tmp_path):
    state_file = tmp_path / "state.json"
    options = ("--scenario", str(scenario_file), "--state", str(state_file),
               "--state-interval", str(INTERVAL_S), "--quiet")
    server = RunningServer(*options)
    assert "no file yet" in server.banner
    burst = Burst(server.url)
    burst.wait_for(40)
    time.sleep(INTERVAL_S * 2)      # purchases go on meanwhile; some will have been written, some not
    server.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    server.process.wait(timeout=10)
    burst.stop()
    server.process.stdout.close()

    again = RunningServer(*options)
    try:
        assert "state restored from" in again.banner
        held = requests_held(again.url)
        answered_in_time = [i for at, i in burst.answered if at < killed - INTERVAL_S]
        assert len(answered_in_time) >= 40
        assert set(answered_in_time) <= set(held)
        # All or nothing: every request kept was paid for, and nothing else was.
        assert credits(again.url) == CREDITS - PRICE * len(held)
        assert set(held) <= {i for _, i in burst.answered} | set(held)
    finally:
        again.stop()


def test_a_stopped_server_restarts_with_everything_and_a_corrupt_file_is_refused_and_kept(scenario_file, tmp_path):
    state_file = tmp_path / "state.json"
    options = ("--scenario", str(scenario_file), "--state", str(state_file), "--quiet")
    server = RunningServer(*options, "--print-ready")
    ready, note = server.banner.splitlines()[:2]      # the ready line stays first on stdout
    assert json.loads(ready)["url"] == server.url
    assert note == f"mockserver: keeping the state in {state_file} (starting from the scenario: no file yet)"
    burst = Burst(server.url)
    burst.wait_for(30)
    burst.stop()
    requests.post(f"{server.url}/_mock/clock", json={"advance": "3s"}, timeout=10)
    before = requests_held(server.url)
    server.stop()                   # SIGTERM: nothing may be lost
    again = RunningServer(*options)
    try:
        assert f"state restored from {state_file}: scenario 'test', 3 accounts, {len(before)} numbers" in again.banner
        assert requests_held(again.url) == before
        assert all(r["status"] == "COMPLETED" for r in before.values())
        assert credits(again.url) == CREDITS - PRICE * len(burst.answered)
        # Loading another scenario over HTTP starts afresh from it, and the file follows.
        assert requests.put(f"{again.url}/_mock/scenario", json={"name": "default"}, timeout=10).status_code == 200
    finally:
        again.stop()
    assert json.loads(state_file.read_text())["scenario"]["name"] == "default"

    state_file.write_bytes(b'{"format": "mockserver-snapshot", "version": 1, "provid')
    refused = RunningServer(*options, expect_banner=False)
    assert refused.process.wait(timeout=20) == 2
    output = refused.read_all()
    assert f"mockserver: cannot restore the state file {state_file}: not JSON" in output
    assert "the file is left as it is; --state-reset starts from the scenario instead" in output
    assert state_file.read_bytes() == b'{"format": "mockserver-snapshot", "version": 1, "provid'

    unwritable = RunningServer("--scenario", str(scenario_file), "--state", str(tmp_path / "no" / "state.json"),
                               expect_banner=False)
    assert unwritable.process.wait(timeout=20) == 2
    assert f"mockserver: cannot write the state file {tmp_path / 'no' / 'state.json'}: No such file or directory" \
        in unwritable.read_all()

    fresh = RunningServer(*options, "--state-reset")
    try:
        assert "starting from the scenario: --state-reset" in fresh.banner
        assert requests_held(fresh.url) == {}
    finally:
        fresh.stop()


def test_watch_reloads_an_edited_behaviour_and_keeps_the_running_scenario_on_a_broken_edit(scenario_file):
    server = RunningServer("--scenario", str(scenario_file), "--watch", "--frozen", "--quiet")
    pva = {"Authorization": f"Bearer {KEY}"}

    def buy_and_wait(seconds: str) -> str:
        bought = requests.post(f"{server.url}/v3/api/purchase", json={"services": [{"serviceId": AIRBNB}]},
                               headers=pva, timeout=10).json()["data"]["requests"][0]["_id"]
        requests.post(f"{server.url}/_mock/clock", json={"advance": seconds}, timeout=10)
        return requests.get(f"{server.url}/v3/api/request/{bought}", headers=pva, timeout=10).json()["data"]["status"]

    try:
        assert buy_and_wait("3s") == "COMPLETED"          # the default: an SMS 3 s after purchase
        scenario = yaml.safe_load(scenario_file.read_text())
        scenario["pvadeals"]["behaviors"].insert(0, {"match": {"service": "Airbnb"}, "sms": [{"after": "30s"}]})
        _edit(scenario_file, yaml.safe_dump(scenario))
        server.read_until(lambda line: "reloaded" in line)
        assert buy_and_wait("3s") == "RESERVED"
        assert buy_and_wait("30s") == "COMPLETED"

        scenario["pvadeals"]["behaviors"][0]["sms"] = [{"afterr": "1s"}]
        _edit(scenario_file, yaml.safe_dump(scenario))
        problems = server.read_until(lambda line: "afterr" in line)
        assert f"{scenario_file} changed but has mistakes; the running scenario is unchanged" in problems
        assert f"{scenario_file}:" in problems.splitlines()[-1]            # file:line: field: message
        assert buy_and_wait("3s") == "RESERVED"                           # still the edited behaviour
    finally:
        server.stop()


def _edit(path, text: str) -> None:
    """Write a file so that its change shows in its size or its modification time, whatever the
    file system's time resolution."""
    before = path.stat()
    path.write_text(text)
    if path.stat().st_size == before.st_size:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
