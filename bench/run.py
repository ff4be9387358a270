"""mockserver benchmarks, each beside a bare Flask app in the same run, printed as ratios.

    make bench            # or: .venv/bin/python bench/run.py [--quick] [--write]

Needs wrk (Debian package `wrk`). Writes bench/RESULTS.md with --write.
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
PNX = {"Authorization": "Bearer nsk_test_bench"}
ENGINES = {
    "waitress": lambda module: [PYTHON, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                                f"from waitress import serve; from {module} import app; "
                                "import logging; logging.getLogger('waitress').setLevel(logging.ERROR); "
                                "serve(app, host='127.0.0.1', port=int(sys.argv[1]), threads=8)"],
    # mockserver as `mockserver run` serves it: through granian's RSGI interface, which reads each
    # body on the event loop before a worker thread runs the WSGI app (serving.BufferedBodies); the
    # bare app through granian's own WSGI interface, the fastest way granian serves a WSGI app.
    "granian": lambda module: [PYTHON, "-m", "granian", "--host", "127.0.0.1", "--workers", "1",
                               "--log-level", "error", "--no-ws",
                               *(["--interface", "rsgi", "--http", "1", f"{module}:rsgi_app"]
                                 if module == "mockserver.wsgi" else
                                 ["--interface", "wsgi", "--blocking-threads", "8", f"{module}:app"]),
                               "--port"],
}
APPS = {"bare": "bare_app", "mockserver": "mockserver.wsgi"}
ROUNDS = 3


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
    """One app on one engine in its own process; ``cold_start_s`` is spawn to first 200."""

    def __init__(self, app: str, engine: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # bench/ for the bare app, before whatever PYTHONPATH already names (a checkout's mockserver).
        path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "MOCKSERVER_SCENARIO": str(SCENARIO), "PYTHONPATH": path, **(env or {})}
        started = time.perf_counter()
        self.process = subprocess.Popen(ENGINES[engine](APPS[app]) + [str(self.port)], env=env, cwd=HERE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until_up(self.url, started, f"{app} on {engine}")
        self.cold_start_s = time.perf_counter() - started

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def wrk(url: str, connections: int, seconds: int, method: str = "GET", body: str = "", headers: dict = PVA) -> dict:
    script = None
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
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"], "non_2xx": int(errors.group(1)) if errors else 0}


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group(0)), re.sub(r"[\d.]+", "", text)
    return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def throughput(seconds: int) -> list[dict]:
    rows = []
    for engine in ENGINES:
        servers = {name: Served(name, engine) for name in APPS}
        try:
            mock = servers["mockserver"]
            number = requests.post(mock.url + "/api/v1/sms/us/numbers", headers=PNX, json={"service": "whatsapp"}).json()
            cases = [("GET /v3/api/balance", "/v3/api/balance", "GET", "", PVA),
                     ("POST /v3/api/purchase", "/v3/api/purchase", "POST",
                      '{"services":[{"serviceId":"697139f7fe5460ddc2f27214"}]}', PVA),
                     ("GET provynx .../code", f"/api/v1/sms/us/numbers/{number['id']}/code", "GET", "", PNX)]
            for label, path, method, body, headers in cases:
                for connections in (1, 16):
                    # Alternate the two apps over several rounds and keep each one's median run:
                    # two cores shared by wrk and the server make single runs noisy.
                    runs = {name: [] for name in servers}
                    for _ in range(ROUNDS):
                        for name, server in servers.items():
                            runs[name].append(wrk(server.url + path, connections, seconds, method, body, headers))
                    measured = {name: sorted(results, key=lambda r: r["rps"])[len(results) // 2]
                                for name, results in runs.items()}
                    # Each round's ratio, mockserver over the bare run right beside it: their range is
                    # the run-to-run range quoted with the median's ratio.
                    ratios = [m["rps"] / b["rps"] for m, b in zip(runs["mockserver"], runs["bare"])]
                    rows.append({"engine": engine, "case": label, "c": connections, **{
                        f"{name}_{k}": v for name, result in measured.items() for k, v in result.items()},
                        "ratio": measured["mockserver"]["rps"] / measured["bare"]["rps"],
                        "ratio_range": [min(ratios), max(ratios)]})
                    print(f"{engine:8} {label:24} c={connections:<2} mockserver {measured['mockserver']['rps']:7.0f} rps "
                          f"(p50 {measured['mockserver']['p50_ms']:.2f} ms, p99 {measured['mockserver']['p99_ms']:.2f} ms)"
                          f"  bare {measured['bare']['rps']:7.0f} rps  ratio {rows[-1]['ratio']:.2f} "
                          f"({min(ratios):.2f}-{max(ratios):.2f})", flush=True)
        finally:
            for server in servers.values():
                server.close()
    return rows


def _run_command(port: int) -> list[str]:
    """`mockserver run` as a user starts it (the default server, granian), on the bench scenario."""
    return [PYTHON, "-m", "mockserver", "run", "--port", str(port), "--scenario", str(SCENARIO), "--quiet"]


class Launched(Served):
    """`mockserver run` in its own process (stopped with its process group: SIGTERM)."""

    def __init__(self, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        self.process = subprocess.Popen(_run_command(self.port), env={**os.environ, **(env or {})}, cwd=HERE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until_up(self.url, started, "mockserver run")
        self.cold_start_s = time.perf_counter() - started


def cold_start(repeats: int) -> dict:
    """Spawn to first 200: `mockserver run` (granian, the default) beside the bare app on granian,
    alternating; the median of each and of the pair-by-pair ratios, with their range."""
    # Both apps start from bytecode, as an installed package does (pip compiles it). In an
    # editable checkout with PYTHONDONTWRITEBYTECODE set, Python would otherwise compile every
    # module from source at each start: about 90 ms that no installed copy pays.
    import mockserver
    for folder in (Path(mockserver.__file__).parent, HERE):
        compileall.compile_dir(str(folder), quiet=1)
    # Likewise the fixture cache: the first start of an installation validates the bundled catalogs
    # into it (measured apart, below), every later one reads them back.
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-cache-") as cache:
        private_cache = {"MOCKSERVER_CACHE_DIR": cache}
        first = Launched(private_cache)
        first.close()
        times = {name: [] for name in APPS}
        for _ in range(repeats):
            for name in APPS:
                server = Launched(private_cache) if name == "mockserver" else Served(name, "granian")
                times[name].append(server.cold_start_s)
                server.close()
    ratios = [m / b for m, b in zip(times["mockserver"], times["bare"])]
    median = {name: statistics.median(values) for name, values in times.items()}
    result = {**{f"{k}_s": v for k, v in median.items()}, **{f"{k}_range_s": [min(v), max(v)] for k, v in times.items()},
              "ratio": statistics.median(ratios), "ratio_range": [min(ratios), max(ratios)],
              "first_s": first.cold_start_s}
    print(f"cold start to first 200 (granian): mockserver run {median['mockserver']*1000:.0f} ms, bare "
          f"{median['bare']*1000:.0f} ms, ratio {result['ratio']:.2f} ({min(ratios):.2f}-{max(ratios):.2f}); the "
          f"first start, with an empty fixture cache, {first.cold_start_s*1000:.0f} ms", flush=True)
    return result


def fixture_cost(tests: int, rounds: int) -> dict:
    """bench/fixture_cost.py: the sms_mock fixture's cost per test beside the same tests without it."""
    import fixture_cost as measure
    per_test = measure.per_test_ms(tests, rounds)
    # The same with the session's server start left out (it starts for the tests without the
    # fixture too): what each further test costs.
    further = measure.per_test_ms(tests, rounds, server_start=False)
    result = {"tests": tests, "ms": statistics.median(per_test), "range_ms": [min(per_test), max(per_test)],
              "further_ms": statistics.median(further), "further_range_ms": [min(further), max(further)]}
    print(f"sms_mock fixture: {result['ms']:.2f} ms a test beside the same {tests} tests without it "
          f"({min(per_test):.2f}-{max(per_test):.2f} over {rounds} runs); the server's start left out, "
          f"{result['further_ms']:.2f} ({min(further):.2f}-{max(further):.2f})", flush=True)
    return result


def _snapshot_restore() -> dict:
    """bench/snapshot_restore.py: restoring 1,000 numbers beside re-creating them through the API."""
    import snapshot_restore
    return snapshot_restore.measure(1000, ROUNDS)


def thousand_numbers() -> dict:
    """1,000 numbers bought, then 20 virtual minutes in one advance: SMS, expiries, every webhook."""
    from mockserver.http.app import create_app
    from mockserver.scenario import load_text
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
    from mockserver.http.app import create_app
    from mockserver.scenario import load_text

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
    from mockserver.http.app import create_app
    from mockserver.scenario import load_scenario

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


def write_results(results: dict) -> None:
    lines = ["# Benchmark results", "", f"Measured {date.today().isoformat()} on {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, wrk over loopback, each figure the "
             f"median of {ROUNDS} runs alternating with the bare app (the range: each run's ratio to the bare "
             f"run beside it); reproduce with `make bench`.", "",
             "| engine | case | c | mockserver rps | p50 ms | p99 ms | bare Flask rps | ratio | range |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results["throughput"]:
        lines.append(f"| {r['engine']} | {r['case']} | {r['c']} | {r['mockserver_rps']:.0f} | {r['mockserver_p50_ms']:.2f} | "
                     f"{r['mockserver_p99_ms']:.2f} | {r['bare_rps']:.0f} | {r['ratio']:.2f} | "
                     f"{r['ratio_range'][0]:.2f}-{r['ratio_range'][1]:.2f} |")
    c, f, t, p, m = results["cold_start"], results["fixture"], results["thousand"], results["pages"], results["rss"]
    snap = results["snapshot"]
    lines += ["", f"- Cold start to first 200, `mockserver run` (granian): {c['mockserver_s']*1000:.0f} ms, bare app on "
              f"granian {c['bare_s']*1000:.0f} ms, ratio {c['ratio']:.2f} (range {c['ratio_range'][0]:.2f}-"
              f"{c['ratio_range'][1]:.2f}; target ≤ 1.5); the first start of an installation, with an empty "
              f"fixture cache, {c['first_s']*1000:.0f} ms.",
              f"- sms_mock fixture: {f['ms']:.2f} ms a test beside the same {f['tests']} tests without it (range "
              f"{f['range_ms'][0]:.2f}-{f['range_ms'][1]:.2f}; target ≤ 1), the session's server start spread "
              f"over them; with the start left out (the tests without it start the server too), "
              f"{f['further_ms']:.2f} ms (range {f['further_range_ms'][0]:.2f}-{f['further_range_ms'][1]:.2f}).",
              f"- 1,000 numbers through 20 virtual minutes with every webhook: {t['seconds']:.3f} s wall, "
              f"{t['webhooks_in_run']} deliveries (target < 1 s).",
              f"- Snapshot of {snap['numbers']:,} numbers ({snap['snapshot_bytes'] / 1e6:.2f} MB): restored in "
              f"{snap['restore_s']*1000:.0f} ms, re-created through the API in {snap['recreate_s']*1000:.0f} ms, ratio "
              f"{snap['ratio']:.1f} (range {snap['range'][0]:.1f}-{snap['range'][1]:.1f}; target ≥ 10).",
              f"- Page of 20 at 100 vs 100,000 requests: {p['at_100_ms']:.3f} ms vs {p['at_100000_ms']:.3f} ms, "
              f"ratio {p['ratio']:.2f} (target ≤ 2).",
              f"- RSS after {m['requests'][0]:,} vs {m['requests'][1]:,} requests: {m['rss_mb'][0]:.1f} vs "
              f"{m['rss_mb'][1]:.1f} MB, growth {m['growth_mb']:.1f} MB (target ≤ 10).", ""]
    (HERE / "RESULTS.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short runs (1 s per wrk run, 100k requests for RSS)")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    results = {"throughput": throughput(1 if args.quick else 3), "cold_start": cold_start(3 if args.quick else 9),
               "fixture": fixture_cost(100 if args.quick else 200, ROUNDS),
               "thousand": thousand_numbers(), "snapshot": _snapshot_restore(), "pages": page_fetch(),
               "rss": rss_in_fresh_process(100_000 if args.quick else 1_000_000)}
    if args.write:
        write_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
