"""Restoring a snapshot of 1,000 numbers beside re-creating that state through the API.

A server started with `mockserver run` (granian, as users run it) buys 1,000 PVADeals numbers one
request at a time, as a test building an elaborate state would; its state is then taken
(GET /_mock/snapshot), the server reset, and the snapshot restored (PUT /_mock/snapshot). Each
round times both on the same server, back to back; the ratio is re-creating over restoring.

    python bench/snapshot_restore.py [--rounds 3] [--numbers 1000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).parent
KEY = "API-bench"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _serve(ready: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "mockserver", "run", "--port", "0", "--quiet", "--frozen",
                             "--scenario", str(HERE / "scenario.yaml"), "--ready-file", str(ready)],
                            stdout=subprocess.DEVNULL, env=env)


def _url(ready: Path, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("mockserver run did not start")
        time.sleep(0.02)
    return json.loads(ready.read_text())["url"]


def one_round(url: str, numbers: int, http: requests.Session) -> dict:
    http.post(f"{url}/_mock/reset", json={}, timeout=30).raise_for_status()
    service = http.get(f"{url}/v3/api/services/all", headers=AUTH, timeout=30).json()["data"]["services"][0]["_id"]
    started = time.perf_counter()
    for _ in range(numbers):
        bought = http.post(f"{url}/v3/api/purchase", json={"services": [{"serviceId": service}]}, headers=AUTH,
                           timeout=30)
        assert bought.status_code == 200, bought.text
    recreate_s = time.perf_counter() - started
    snapshot = http.get(f"{url}/_mock/snapshot", timeout=30).content
    http.post(f"{url}/_mock/reset", json={}, timeout=30).raise_for_status()
    started = time.perf_counter()
    restored = http.put(f"{url}/_mock/snapshot", data=snapshot, headers={"Content-Type": "application/json"},
                        timeout=60)
    restore_s = time.perf_counter() - started
    assert restored.status_code == 200 and restored.json()["numbers"] == numbers, restored.text
    return {"recreate_s": recreate_s, "restore_s": restore_s, "ratio": recreate_s / restore_s,
            "snapshot_bytes": len(snapshot)}


def measure(numbers: int = 1000, rounds: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        ready = Path(folder) / "ready.json"
        process = _serve(ready)
        try:
            url = _url(ready, process)
            with requests.Session() as http:
                runs = [one_round(url, numbers, http) for _ in range(rounds)]
        finally:
            process.terminate()
            process.wait(timeout=10)
    ratios = [run["ratio"] for run in runs]
    result = {"numbers": numbers, "recreate_s": statistics.median(r["recreate_s"] for r in runs),
              "restore_s": statistics.median(r["restore_s"] for r in runs), "ratio": statistics.median(ratios),
              "range": [min(ratios), max(ratios)], "snapshot_bytes": runs[-1]["snapshot_bytes"]}
    print(f"snapshot of {numbers:,} numbers: restored in {result['restore_s']*1000:.0f} ms, re-created through the API "
          f"in {result['recreate_s']*1000:.0f} ms, ratio {result['ratio']:.1f} ({result['range'][0]:.1f}-"
          f"{result['range'][1]:.1f} over {rounds} rounds; target >= 10); the snapshot is "
          f"{result['snapshot_bytes'] / 1e6:.2f} MB", flush=True)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    measure(arguments.numbers, arguments.rounds)
