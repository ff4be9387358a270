"""mockserver benchmarks: what users wait for, each beside a baseline in the same run, with the
floors they must hold.

    make bench            # or: .venv/bin/python bench/run.py [--quick] [--write] [--rss-requests N]

Needs wrk (Debian package `wrk`) and git (the start-up row builds the commit it compares with from
this checkout's history). Writes bench/RESULTS.md with --write.
"""
from __future__ import annotations

import argparse
import compileall
import io
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
SCENARIO = HERE / "scenario.yaml"
PVA = {"Authorization": "Bearer API-bench"}
ROUNDS = 3
# The start-up floor's reference: the commit before the one-server rework (issue 26).
START_REFERENCE = "018c206"
# The floors (issue 26): what each row must hold.
FLOORS = {"fixture": 2.0, "start": 1.10, "GET /v3/api/balance": 0.5, "POST /v3/api/purchase": 0.2, "rss_mb": 10.0}


def _wait_until_up(url: str, started: float, what: str) -> None:
    """Until GET balance answers 200 (the first 200 a cold start is timed to), at most 30 s."""
    while True:
        try:
            if requests.get(url + "/v3/api/balance", headers=PVA, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.perf_counter() - started > 30:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.005)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The bare Flask app on granian's WSGI interface, in its own process; ``cold_start_s`` is
    spawn to first 200."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [PYTHON, "-m", "granian", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
             "--log-level", "error", "--no-ws", "--interface", "wsgi", "--blocking-threads", "8", "bare_app:app"],
            cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until_up(self.url, started, "the bare app")
        self.cold_start_s = time.perf_counter() - started

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Launched(Served):
    """`mockserver run` as a user starts it, on the bench scenario; ``source``: a source tree to
    run it from instead of the installed package."""

    def __init__(self, source: Path | None = None, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **(env or {})}
        if source is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [PYTHON, "-m", "mockserver", "run", "--port", str(self.port), "--scenario", str(SCENARIO), "--quiet"],
            env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until_up(self.url, started, f"mockserver run ({source or 'this checkout'})")
        self.cold_start_s = time.perf_counter() - started
        # The CPU time the start took, which other load on the machine changes far less.
        self.cold_start_cpu_s = _cpu_s(self.process.pid)


def _cpu_s(pid: int) -> float:
    """CPU time (user and system) of a process and its children so far."""
    total = 0.0
    for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
        total += _cpu_s(int(child))
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return total + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, connections: int, seconds: int, method: str = "GET", body: str = "", headers: dict = PVA,
        pid: int | None = None) -> dict:
    """wrk's figures; with ``pid``, also the server's CPU time per request, which other load on
    the machine changes far less than its rate."""
    script = None
    cpu_before = _cpu_s(pid) if pid else 0.0
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if method != "GET":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(f'wrk.method = "{method}"\nwrk.body = {json.dumps(body)}\n'
                     'wrk.headers["Content-Type"] = "application/json"\n')
        script.close()
        args += ["-s", script.name]
    output = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    cpu_s = _cpu_s(pid) - cpu_before if pid else 0.0
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    count = int(re.search(r"(\d+) requests in", output).group(1))
    return {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"], "non_2xx": int(errors.group(1)) if errors else 0,
            "cpu_us": cpu_s / max(count, 1) * 1e6}


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group(0)), re.sub(r"[\d.]+", "", text)
    return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def throughput(seconds: int) -> list[dict]:
    """GET balance and POST purchase with 16 connections: `mockserver run` beside the bare app on
    granian, alternating over ROUNDS runs; each one's median run, and each round's ratio."""
    servers = {"mockserver": Launched(), "bare": Served()}
    rows = []
    try:
        cases = [("GET /v3/api/balance", "/v3/api/balance", "GET", ""),
                 ("POST /v3/api/purchase", "/v3/api/purchase", "POST", '{"services":[{"serviceId":"697139f7fe5460ddc2f27214"}]}')]
        for label, path, method, body in cases:
            runs: dict[str, list[dict]] = {name: [] for name in servers}
            for _ in range(ROUNDS):
                for name, server in servers.items():
                    runs[name].append(wrk(server.url + path, 16, seconds, method, body, pid=server.process.pid))
            measured = {name: sorted(results, key=lambda r: r["rps"])[len(results) // 2] for name, results in runs.items()}
            ratios = [m["rps"] / b["rps"] for m, b in zip(runs["mockserver"], runs["bare"], strict=True)]
            cpu = {name: statistics.median(r["cpu_us"] for r in results) for name, results in runs.items()}
            rows.append({"case": label, "c": 16, **{f"{name}_{k}": v for name, result in measured.items()
                                                     for k, v in result.items()},
                         "cpu_us": cpu, "cpu_ratio": cpu["bare"] / cpu["mockserver"],
                         "ratio": measured["mockserver"]["rps"] / measured["bare"]["rps"],
                         "ratio_range": [min(ratios), max(ratios)], "floor": FLOORS[label]})
            print(f"{label:24} c=16 mockserver {measured['mockserver']['rps']:7.0f} rps "
                  f"(p50 {measured['mockserver']['p50_ms']:.2f} ms, p99 {measured['mockserver']['p99_ms']:.2f} ms)"
                  f"  bare {measured['bare']['rps']:7.0f} rps  ratio {rows[-1]['ratio']:.2f} "
                  f"({min(ratios):.2f}-{max(ratios):.2f}; floor >= {FLOORS[label]}); server CPU a request "
                  f"{cpu['mockserver']:.0f} us, bare {cpu['bare']:.0f} us (bare / mockserver {rows[-1]['cpu_ratio']:.2f})",
                  flush=True)
    finally:
        for server in servers.values():
            server.close()
    return rows


def _reference_tree(folder: Path) -> Path:
    """The source of START_REFERENCE, unpacked from this checkout's history into ``folder``."""
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", START_REFERENCE, "mockserver"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def cold_start(starts: int) -> dict:
    """Spawn to first 200 of `mockserver run`: this checkout beside START_REFERENCE, alternating;
    the median of each and of the pair-by-pair ratios, with their range."""
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as scratch:
        reference = _reference_tree(Path(scratch))
        # Both start from bytecode, as an installed package does (pip compiles it). In a checkout
        # with PYTHONDONTWRITEBYTECODE set, Python would otherwise compile every module from
        # source at each start: about 90 ms that no installed copy pays.
        import mockserver
        for folder in (Path(mockserver.__file__).parent, reference / "mockserver"):
            compileall.compile_dir(str(folder), quiet=1)
        # The reference keeps a cache of the bundled fixtures, filled at an installation's first
        # start: filled here by a first start of each, not timed.
        cache = {"MOCKSERVER_CACHE_DIR": str(Path(scratch) / "cache")}
        sources = {"now": None, "reference": reference}
        for source in sources.values():
            Launched(source, cache).close()
        times: dict[str, list[float]] = {name: [] for name in sources}
        cpu: dict[str, list[float]] = {name: [] for name in sources}
        for _ in range(starts):
            for name, source in sources.items():
                server = Launched(source, cache)
                times[name].append(server.cold_start_s)
                cpu[name].append(server.cold_start_cpu_s)
                server.close()
    ratios = [n / r for n, r in zip(times["now"], times["reference"], strict=True)]
    result = {**{f"{k}_s": statistics.median(v) for k, v in times.items()},
              **{f"{k}_range_s": [min(v), max(v)] for k, v in times.items()},
              "ratio": statistics.median(ratios), "ratio_range": [min(ratios), max(ratios)], "starts": starts,
              "floor": FLOORS["start"], "cpu_s": {k: statistics.median(v) for k, v in cpu.items()}}
    print(f"mockserver run, spawn to first 200: {result['now_s']*1000:.0f} ms, at {START_REFERENCE} "
          f"{result['reference_s']*1000:.0f} ms, ratio {result['ratio']:.2f} ({min(ratios):.2f}-{max(ratios):.2f} "
          f"over {starts} starts each; floor <= {FLOORS['start']}); CPU time to it {result['cpu_s']['now']*1000:.0f} ms, "
          f"at {START_REFERENCE} {result['cpu_s']['reference']*1000:.0f} ms", flush=True)
    return result


def fixture_cost(tests: int, rounds: int) -> dict:
    """bench/fixture_cost.py: N tests of one request each on sms_mock beside the same on pytest-httpserver."""
    import fixture_cost as measure
    measured = measure.rounds_s(tests, rounds)
    ratios = [m / h for m, h in zip(measured["sms_mock"], measured["httpserver"], strict=True)]
    result = {"tests": tests, **{f"{k}_s": statistics.median(v) for k, v in measured.items()},
              "ratio": statistics.median(ratios), "ratio_range": [min(ratios), max(ratios)], "floor": FLOORS["fixture"]}
    print(f"{tests} tests of one request: sms_mock {result['sms_mock_s']:.2f} s, pytest-httpserver "
          f"{result['httpserver_s']:.2f} s, ratio {result['ratio']:.2f} ({min(ratios):.2f}-{max(ratios):.2f} over "
          f"{rounds} rounds; floor <= {FLOORS['fixture']})", flush=True)
    return result


def _snapshot_restore() -> dict:
    """bench/snapshot_restore.py: restoring 1,000 numbers beside re-creating them through the API."""
    import snapshot_restore
    return snapshot_restore.measure(1000, ROUNDS)


def thousand_numbers() -> dict:
    """1,000 numbers bought, then 20 virtual minutes in one advance: SMS, expiries, every webhook."""
    from mockserver.app import create_app
    from mockserver.loading import load_text
    from mockserver.testing import WebhookReceiver

    receiver = WebhookReceiver()
    scenario = load_text(f"""name: thousand
seed: 1
clock: {{frozen: true}}
pvadeals:
  accounts: [{{key: API-bench, credits: 100000, webhook: "{receiver.url}/pva"}}]
  rate_limits: [{{limit: 100000000, window: 1s}}]
  behaviors:
    - match: {{service: 3Fun}}
      sms: never
""")
    app = create_app(scenario, real_time=False)
    sandbox = app.extensions["mockserver"]
    client = app.test_client()
    services = [s["_id"] for s in client.get("/v3/api/services/all", headers=PVA).get_json()["data"]["services"]]
    for batch in range(20):
        body = {"services": [{"serviceId": services[(batch * 50 + i) % len(services)]} for i in range(50)]}
        assert client.post("/v3/api/purchase", headers=PVA, json=body).status_code == 200
    sandbox.settle()                          # the 1,000 number_purchased deliveries
    delivered_before = len(receiver.deliveries)
    started = time.perf_counter()
    sandbox.move_clock(advance_ms=20 * 60_000)
    elapsed = time.perf_counter() - started
    statuses = {}
    for request in sandbox.backends["pvadeals"].accounts["API-bench"].requests.values():
        statuses[request.status] = statuses.get(request.status, 0) + 1
    result = {"seconds": elapsed, "webhooks_in_run": len(receiver.deliveries) - delivered_before, "statuses": statuses}
    print(f"1,000 numbers through 20 virtual minutes: {elapsed:.3f} s wall, {result['webhooks_in_run']} webhook "
          f"deliveries, {statuses}", flush=True)
    sandbox.close()
    receiver.close()
    return result


def page_fetch() -> dict:
    """A page of 20 requests out of 100, then out of 100,000 (cursor in the middle)."""
    from mockserver.app import create_app
    from mockserver.loading import load_text

    timings = {}
    for total in (100, 100_000):
        app = create_app(load_text("name: pages\nclock: {frozen: true}\npvadeals:\n  accounts: [{key: API-bench, "
                                   "credits: 100000000}]\n  rate_limits: [{limit: 100000000, window: 1s}]\n"
                                   "  behaviors: [{match: {}, sms: never}]\n"), real_time=False)
        client = app.test_client()
        sandbox = app.extensions["mockserver"]
        service = client.get("/v3/api/services/all", headers=PVA).get_json()["data"]["services"][0]["_id"]
        for _ in range(total // 100):
            client.post("/v3/api/purchase", headers=PVA, json={"services": [{"serviceId": service}] * 100})
        middle = client.get("/v3/api/requests?first=100&orderField=endTime", headers=PVA).get_json()
        cursor = middle["data"]["data"]["pageInfo"]["endCursor"]
        url = f"/v3/api/requests?first=20&orderField=endTime&orderBy=asc&after={cursor}"
        for _ in range(50):
            client.get(url, headers=PVA)
        started = time.perf_counter()
        for _ in range(500):
            client.get(url, headers=PVA)
        timings[total] = (time.perf_counter() - started) / 500 * 1000
        sandbox.close()
    result = {"at_100_ms": timings[100], "at_100000_ms": timings[100_000], "ratio": timings[100_000] / timings[100]}
    print(f"page fetch: {timings[100]:.3f} ms at 100 requests, {timings[100_000]:.3f} ms at 100,000, "
          f"ratio {result['ratio']:.2f}", flush=True)
    return result


def rss_growth(small: int, large: int) -> dict:
    """Resident memory after ``small`` then ``large`` balance requests through the WSGI app."""
    from mockserver.app import create_app
    from mockserver.loading import load_scenario

    app = create_app(load_scenario(SCENARIO), real_time=False)

    def environ():
        return {"REQUEST_METHOD": "GET", "PATH_INFO": "/v3/api/balance", "QUERY_STRING": "", "SERVER_NAME": "b",
                "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": "127.0.0.1",
                "HTTP_AUTHORIZATION": "Bearer API-bench", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.errors": sys.stderr}

    def run(count):
        for _ in range(count):
            b"".join(app(environ(), lambda *a: None))

    run(small)
    after_small = _rss_mb()
    run(large - small)
    after_large = _rss_mb()
    app.extensions["mockserver"].close()
    result = {"requests": [small, large], "rss_mb": [after_small, after_large], "growth_mb": after_large - after_small}
    print(f"RSS: {after_small:.1f} MB after {small:,} requests, {after_large:.1f} MB after {large:,}: "
          f"growth {result['growth_mb']:.1f} MB", flush=True)
    return result


def rss_in_fresh_process(large: int) -> dict:
    """rss_growth in a process of its own, so nothing else measured here weighs on it."""
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import run; "
            f"print(json.dumps(run.rss_growth(10_000, {large})))")
    output = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout
    print(output.splitlines()[0], flush=True)
    return json.loads(output.splitlines()[-1])


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024


def _held(ok: bool) -> str:
    return "holds" if ok else "**misses**"


def write_results(results: dict) -> None:
    f, c, m = results["fixture"], results["cold_start"], results["rss"]
    lines = ["# Benchmark results", "", f"Measured {date.today().isoformat()} on {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, over loopback; each figure the median of "
             f"{ROUNDS} runs alternating with its baseline (the range: each run's ratio to the baseline run beside "
             f"it); reproduce with `make bench`.", "",
             "## Floors", "",
             "| What | mockserver | baseline | ratio | range | floor | |", "|---|---|---|---|---|---|---|",
             f"| {f['tests']} tests of one request each: `sms_mock` / pytest-httpserver's `httpserver` | "
             f"{f['sms_mock_s']:.2f} s | {f['httpserver_s']:.2f} s | {f['ratio']:.2f} | {f['ratio_range'][0]:.2f}-"
             f"{f['ratio_range'][1]:.2f} | <= {f['floor']} | {_held(f['ratio'] <= f['floor'])} |",
             f"| `mockserver run` spawn to first 200 / at {START_REFERENCE} ({c['starts']} starts each) | "
             f"{c['now_s']*1000:.0f} ms (CPU {c['cpu_s']['now']*1000:.0f} ms) | {c['reference_s']*1000:.0f} ms (CPU "
             f"{c['cpu_s']['reference']*1000:.0f} ms) | {c['ratio']:.2f} | {c['ratio_range'][0]:.2f}-"
             f"{c['ratio_range'][1]:.2f} | <= {c['floor']} | {_held(c['ratio'] <= c['floor'])} |"]
    for r in results["throughput"]:
        lines.append(f"| {r['case']}, c={r['c']}: `mockserver run` / bare Flask app on granian | {r['mockserver_rps']:.0f} rps "
                     f"(p50 {r['mockserver_p50_ms']:.2f} ms, p99 {r['mockserver_p99_ms']:.2f} ms; server CPU "
                     f"{r['cpu_us']['mockserver']:.0f} µs a request) | {r['bare_rps']:.0f} rps ({r['cpu_us']['bare']:.0f} µs) | "
                     f"{r['ratio']:.2f} | {r['ratio_range'][0]:.2f}-{r['ratio_range'][1]:.2f} | >= {r['floor']} | "
                     f"{_held(r['ratio'] >= r['floor'])} |")
    lines.append(f"| RSS growth from {m['requests'][0]:,} to {m['requests'][1]:,} requests | {m['rss_mb'][0]:.1f} -> "
                 f"{m['rss_mb'][1]:.1f} MB | | +{m['growth_mb']:.1f} MB | | <= {FLOORS['rss_mb']:.0f} MB | "
                 f"{_held(m['growth_mb'] <= FLOORS['rss_mb'])} |")
    t, snap, p = results["thousand"], results["snapshot"], results["pages"]
    lines += ["", "## Other figures", "",
              f"- 1,000 numbers through 20 virtual minutes with every webhook: {t['seconds']:.3f} s wall, "
              f"{t['webhooks_in_run']} deliveries (target < 1 s).",
              f"- Snapshot of {snap['numbers']:,} numbers ({snap['snapshot_bytes'] / 1e6:.2f} MB): restored in "
              f"{snap['restore_s']*1000:.0f} ms, re-created through the API in {snap['recreate_s']*1000:.0f} ms, ratio "
              f"{snap['ratio']:.1f} (range {snap['range'][0]:.1f}-{snap['range'][1]:.1f}; target >= 10).",
              f"- Page of 20 at 100 vs 100,000 requests: {p['at_100_ms']:.3f} ms vs {p['at_100000_ms']:.3f} ms, "
              f"ratio {p['ratio']:.2f} (target <= 2).", ""]
    (HERE / "RESULTS.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short runs (1 s per wrk run, 3 starts, 100 tests)")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--rss-requests", type=int, default=None, metavar="N",
                        help="requests for the RSS row (default 1,000,000; 100,000 with --quick)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    rss_requests = args.rss_requests or (100_000 if args.quick else 1_000_000)
    results = {"fixture": fixture_cost(100 if args.quick else 300, ROUNDS),
               "cold_start": cold_start(3 if args.quick else 9),
               "throughput": throughput(1 if args.quick else 3),
               "rss": rss_in_fresh_process(rss_requests),
               "thousand": thousand_numbers(), "snapshot": _snapshot_restore(), "pages": page_fetch()}
    if args.write:
        write_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
