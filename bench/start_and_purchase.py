"""Two figures of one checkout, or of several side by side: `mockserver run` spawn to its first 200,
and a purchase's cost in process (the WSGI app called directly, no server, no client).

    .venv/bin/python bench/start_and_purchase.py                      # the installed mockserver
    .venv/bin/python bench/start_and_purchase.py --checkout OLD --checkout .   # A/B, alternating

A checkout is a folder holding a ``mockserver`` package (``git archive COMMIT | tar -x -C OLD``
makes one of an older commit); it goes first on PYTHONPATH, so every figure of a run comes from
the same interpreter and libraries. Checkouts alternate run by run, so a busy machine weighs on
each alike. Only public tools: subprocess, urllib, the WSGI call of the module-level app that
``mockserver.wsgi`` exports in every version.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenario.yaml"
KEY = "API-bench"

# Runs in a fresh process per round: builds the app as a server process does (mockserver.wsgi,
# frozen clock, so no SMS falls due during the timing) and times purchases of one number.
PURCHASES = """
import io, json, sys, time
from mockserver.wsgi import app
body = json.dumps({"services": [{"serviceId": sys.argv[1]}]}).encode()

def environ():
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/v3/api/purchase", "QUERY_STRING": "",
            "SERVER_NAME": "bench", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1", "HTTP_AUTHORIZATION": "Bearer " + sys.argv[3]}

statuses = []
def start_response(status, headers, exc_info=None):
    statuses.append(status)

count = int(sys.argv[2])
for _ in range(count // 10):                 # warm up: first calls build caches
    b"".join(app(environ(), start_response))
started, cpu_started = time.perf_counter(), time.thread_time()
for _ in range(count):
    b"".join(app(environ(), start_response))
elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
assert all(status.startswith("200") for status in statuses), set(statuses)
print(json.dumps([elapsed / count * 1e6, cpu / count * 1e6]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(checkout: Path | None, **extra: str) -> dict:
    env = {**os.environ, **extra}
    if checkout is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    return env


def first_200_s(checkout: Path | None, cache: str) -> tuple[float, float]:
    """Seconds from spawning `mockserver run` to its first 200 on GET balance, and the CPU
    seconds the server used from its spawn to its exit, stopped right after that 200: on a
    machine others load, CPU time shows a difference that wall time drowns."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v3/api/balance"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {KEY}"})
    # MOCKSERVER_CACHE_DIR: a private folder for versions that keep a fixture cache (warmed
    # before the timed runs, as a user's would be); later versions ignore it.
    env = environment(checkout, MOCKSERVER_CACHE_DIR=cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "run", "--port", str(port), "--scenario",
                                str(SCENARIO), "--quiet"], env=env, cwd=HERE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(request, timeout=1) as answer:
                    if answer.status == 200:
                        wall = time.perf_counter() - started
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.perf_counter() - started > 30 or process.poll() is not None:
                raise RuntimeError(f"mockserver run from {checkout or 'the installed package'} did not start")
            time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def purchase_us(checkout: Path | None, count: int) -> tuple[float, float]:
    """Microseconds a purchase of one number takes in process: wall time, and the CPU time of
    the thread that made them (steadier while others load the machine)."""
    env = environment(checkout, MOCKSERVER_SCENARIO=str(SCENARIO), MOCKSERVER_FROZEN="1")
    service = json.loads(subprocess.run(
        [sys.executable, "-c", "import json\nfrom werkzeug.test import Client\nfrom mockserver.wsgi import app\n"
         "c = Client(app)\nprint(json.dumps(c.get('/v3/api/services/all', headers={'Authorization': "
         f"'Bearer {KEY}'}}).json['data']['services'][0]['_id']))"],
        env=env, cwd=HERE, capture_output=True, text=True, check=True).stdout)
    output = subprocess.run([sys.executable, "-c", PURCHASES, service, str(count), KEY], env=env, cwd=HERE,
                            capture_output=True, text=True, check=True).stdout
    wall, cpu = json.loads(output.strip().splitlines()[-1])
    return wall, cpu


def summary(values: list[float], unit: str, scale: float) -> str:
    if not values:
        return "not measured"
    return (f"median {statistics.median(values) * scale:.0f} {unit} "
            f"(range {min(values) * scale:.0f}-{max(values) * scale:.0f}, {len(values)} runs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", action="append", type=Path,
                        help="a folder holding a mockserver package; repeat to compare (default: the installed one)")
    parser.add_argument("--starts", type=int, default=15, help="timed starts per checkout")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds per checkout")
    parser.add_argument("--purchases", type=int, default=3000, help="purchases per round")
    args = parser.parse_args()
    checkouts: list[Path | None] = [path.resolve() for path in args.checkout] if args.checkout else [None]
    # From bytecode, as an installed package starts (pip compiles it); PYTHONDONTWRITEBYTECODE
    # would otherwise make every start compile every module from source.
    for checkout in checkouts:
        if checkout is not None:
            compileall.compile_dir(str(checkout / "mockserver"), quiet=1)
    starts: dict = {checkout: [] for checkout in checkouts}
    start_cpu: dict = {checkout: [] for checkout in checkouts}
    purchases: dict = {checkout: [] for checkout in checkouts}
    purchase_cpu: dict = {checkout: [] for checkout in checkouts}
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as caches:
        folders = {checkout: tempfile.mkdtemp(dir=caches) for checkout in checkouts}
        for checkout in checkouts:
            first_200_s(checkout, folders[checkout])
        for _ in range(args.starts):
            for checkout in checkouts:
                wall, cpu = first_200_s(checkout, folders[checkout])
                starts[checkout].append(wall)
                start_cpu[checkout].append(cpu)
    for _ in range(args.rounds):
        for checkout in checkouts:
            wall, cpu = purchase_us(checkout, args.purchases)
            purchases[checkout].append(wall)
            purchase_cpu[checkout].append(cpu)
    for checkout in checkouts:
        print(f"{checkout or 'installed'}:")
        print(f"  mockserver run, spawn to first 200: {summary(starts[checkout], 'ms', 1000)}")
        print(f"  its CPU time, spawn to exit after that 200: {summary(start_cpu[checkout], 'ms', 1000)}")
        print(f"  a purchase in process: {summary(purchases[checkout], 'µs', 1)}")
        print(f"  its CPU time: {summary(purchase_cpu[checkout], 'µs', 1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
