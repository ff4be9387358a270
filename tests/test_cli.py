"""`mockserver run` as a user starts it: a real process, its banner, its request log, and
the same ids, numbers and codes on every run of the same scenario and seed."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import yaml

from harness import AIRBNB, BASE_SCENARIO, KEY, LIVE, THREE_FUN, RunningServer


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "ci.yaml"
    path.write_text(yaml.safe_dump({**BASE_SCENARIO, "clock": {"start": "2026-03-01T09:00:00Z"}}))
    return path


def session_fingerprint(url: str) -> list:
    """A fixed sequence of calls; returns every id, number and code it produced."""
    headers = {"Authorization": f"Bearer {KEY}"}
    bought = requests.post(f"{url}/v3/api/purchase", headers=headers, timeout=10,
                           json={"services": [{"serviceId": s} for s in (AIRBNB, THREE_FUN, AIRBNB)]}).json()
    requests.post(f"{url}/_mock/clock", json={"advance": "3s"}, timeout=30)
    state = requests.get(f"{url}/_mock/state", timeout=10).json()
    return [(r["_id"], r["number"], r["createdAt"], [m["text"] for m in r["messages"]])
            for r in state["pvadeals"]["accounts"][0]["requests"]] + [len(bought["data"]["requests"])]


def test_same_scenario_seed_and_clock_start_give_the_same_ids_numbers_and_codes(scenario_file):
    runs = []
    for hash_seed in ("1", "2"):
        server = RunningServer("--scenario", str(scenario_file), "--frozen", env={"PYTHONHASHSEED": hash_seed})
        try:
            runs.append(session_fingerprint(server.url))
        finally:
            server.stop()
    assert runs[0] == runs[1]
    ids = [entry[0] for entry in runs[0][:-1]]
    start = int(datetime(2026, 3, 1, 9, tzinfo=timezone.utc).timestamp())
    assert len(set(ids)) == 3 and all(i.startswith(f"{start:08x}") for i in ids)
    assert all(entry[3] for entry in runs[0][:-1] if entry[0] != ids[1])         # the Airbnb numbers got codes


def test_a_different_seed_gives_different_ids_and_numbers(scenario_file, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(scenario_file.read_text().replace("seed: 42", "seed: 43"))
    fingerprints = []
    for path in (scenario_file, other):
        server = RunningServer("--scenario", str(path), "--frozen")
        try:
            fingerprints.append(session_fingerprint(server.url))
        finally:
            server.stop()
    assert {e[0] for e in fingerprints[0][:-1]}.isdisjoint({e[0] for e in fingerprints[1][:-1]})
    assert [e[1] for e in fingerprints[0][:-1]] != [e[1] for e in fingerprints[1][:-1]]


def test_run_prints_url_keys_and_a_curl_line_then_logs_each_request():
    server = RunningServer()   # the bundled default scenario
    try:
        assert f"PVADeals   base URL {server.url}/v3/api" in server.banner
        assert "key API-mock-default  (credits 100.00)" in server.banner
        assert f"Provynx    base URL {server.url}/api/v1/sms" in server.banner
        assert "keys nsk_test_mock (sandbox), nsk_live_mock (live); live wallet 25.00" in server.banner
        assert "webhook secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" in server.banner
        assert f"curl -s {server.url}/v3/api/balance -H 'Authorization: Bearer API-mock-default'" in server.banner
        response = requests.get(f"{server.url}/v3/api/balance", headers={"Authorization": "Bearer API-mock-default"})
        assert response.json() == {"success": True, "data": {"credits": 100}, "message": "Balance retrieved successfully"}
        requests.get(f"{server.url}/v3/api/requests?first=2")
        logged = server.read_until(lambda line: "/v3/api/requests" in line)
        assert re.search(r"^GET /v3/api/balance 200 \d+\.\dms$", logged, re.M)
        assert re.search(r"^GET /v3/api/requests\?first=2 401 \d+\.\dms$", logged, re.M)
    finally:
        server.stop()


def test_an_open_dashboards_own_requests_are_logged_only_with_verbose():
    """The page polls /_mock/dashboard/live every second and loads its script and stylesheet;
    those lines would bury the client's own, so only --verbose logs them."""
    for verbose in (False, True):
        server = RunningServer("--frozen", *(["--verbose"] if verbose else []))
        try:
            for path in ("/_mock/", "/_mock/dashboard/live", "/_mock/dashboard/static/dashboard.js"):
                assert requests.get(server.url + path, timeout=10).status_code == 200
            requests.get(f"{server.url}/v3/api/balance", timeout=10)       # the client's own request
            logged = server.read_until(lambda line: "/v3/api/balance" in line)
            assert re.search(r"^GET /_mock/ 200 ", logged, re.M)         # opening the page is the user's doing
            assert bool(re.search(r"^GET /_mock/dashboard/live 200 ", logged, re.M)) is verbose
            assert bool(re.search(r"^GET /_mock/dashboard/static/dashboard.js 200 ", logged, re.M)) is verbose
        finally:
            server.stop()


def _without_token() -> dict:
    return {name: value for name, value in os.environ.items() if name != "MOCKSERVER_ADMIN_TOKEN"}


def test_the_banner_names_the_dashboard_who_may_drive_it_the_clock_and_how_to_stop(monkeypatch):
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN", raising=False)
    server = RunningServer("--frozen")
    try:
        assert f"  Dashboard  {server.url}/_mock/\n" in server.banner
        assert "  Access     no admin token (MOCKSERVER_ADMIN_TOKEN not set)" in server.banner
        assert "  Clock      frozen: it moves only when told" in server.banner
        assert "  Stop       Ctrl-C" in server.banner
    finally:
        server.stop()
    server = RunningServer(env={"MOCKSERVER_ADMIN_TOKEN": "banner-s3cret"})
    try:
        assert f"  Dashboard  {server.url}/_mock/?token=<MOCKSERVER_ADMIN_TOKEN>" in server.banner
        assert "  Access     MOCKSERVER_ADMIN_TOKEN is set" in server.banner
        assert "  Clock      runs with real time (run with --frozen" in server.banner
        assert "banner-s3cret" not in server.banner                       # the token is never printed
    finally:
        server.stop()


def test_version_prints_the_version():
    from mockserver import __version__
    result = subprocess.run([sys.executable, "-m", "mockserver", "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout == f"mockserver {__version__}\n"


@pytest.mark.parametrize("command", [["schema"], ["scenarios"], ["validate", "default"]])
def test_a_command_writing_into_a_closed_pipe_ends_quietly(command):
    """As `mockserver schema | head -1`: the reader is gone before the command writes."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        result = subprocess.run([sys.executable, "-m", "mockserver", *command], stdout=writing,
                                stderr=subprocess.PIPE, text=True, timeout=30)
    finally:
        os.close(writing)
    assert result.stderr == "" and result.returncode == 1


def _nothing_listening() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("command", [["state"], ["load", "timeouts"], ["advance", "1m"]])
def test_a_command_with_no_server_to_reach_says_so_and_how_to_name_one(command):
    url = _nothing_listening()
    result = subprocess.run([sys.executable, "-m", "mockserver", *command], capture_output=True, text=True, timeout=30,
                            env={**_without_token(), "MOCKSERVER_URL": url})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"mockserver {command[0]}: no server at {url} ")
    assert "--url" in result.stderr and "MOCKSERVER_URL" in result.stderr


def test_a_refused_token_is_explained_by_whether_one_was_sent_and_from_where():
    server = RunningServer("--frozen", env={"MOCKSERVER_ADMIN_TOKEN": "right-t0ken"})
    try:
        def cli(**env):
            return subprocess.run([sys.executable, "-m", "mockserver", "state", "--url", server.url],
                                  capture_output=True, text=True, timeout=60, env={**_without_token(), **env})
        accepted = cli(MOCKSERVER_ADMIN_TOKEN="right-t0ken")
        assert accepted.returncode == 0 and accepted.stderr == ""       # a token that works goes unsaid
        wrong = cli(MOCKSERVER_ADMIN_TOKEN="wrong-t0ken")
        assert wrong.returncode == 1 and "this control API needs the admin token" in wrong.stderr
        assert ("the admin token was sent (X-Admin-Token, from $MOCKSERVER_ADMIN_TOKEN in this environment); "
                "it must be the server's value") in wrong.stderr
        assert "t0ken" not in wrong.stderr
        unset = cli()
        assert unset.returncode == 1
        assert "no admin token was sent: $MOCKSERVER_ADMIN_TOKEN is not set here" in unset.stderr
        empty = cli(MOCKSERVER_ADMIN_TOKEN="")
        assert "no admin token was sent: $MOCKSERVER_ADMIN_TOKEN is set but empty here" in empty.stderr
    finally:
        server.stop()


def test_ready_file_and_print_ready_give_the_url_pid_and_version_once_the_server_answers(tmp_path):
    from mockserver import __version__
    ready = tmp_path / "ready.json"
    server = RunningServer("--frozen", "--ready-file", str(ready), "--print-ready")
    try:
        document = json.loads(ready.read_text())
        assert document == {"url": server.url, "pid": server.process.pid, "version": __version__}
        assert json.loads(server.banner.splitlines()[0]) == document      # --print-ready: the first line on stdout
        assert sorted(path.name for path in tmp_path.iterdir()) == ["ready.json"]       # no temporary file left
        assert requests.get(document["url"] + "/_mock/health", timeout=5).status_code == 200
    finally:
        server.stop()
    assert server.process.returncode == 0 and not ready.exists()          # removed at stop


def test_a_ready_file_that_cannot_be_written_stops_run_before_it_starts(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--port", "0",
                             "--ready-file", str(tmp_path / "missing" / "ready.json")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr == f"mockserver: cannot write the ready file: no folder {tmp_path / 'missing'}\n"


def test_a_broken_scenario_stops_run_with_the_file_line_and_field(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\npvadeals:\n  lifetime: forever\n")
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--scenario", str(broken), "--port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{broken}:3: pvadeals.lifetime: not a duration" in result.stderr


def test_scenarios_lists_the_bundled_ones():
    result = subprocess.run([sys.executable, "-m", "mockserver", "scenarios"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert re.search(r"^default\s+Every provider. PVADeals: one funded account", result.stdout, re.M)


def test_remote_commands_drive_a_running_server():
    server = RunningServer("--frozen")
    try:
        def cli(*args):
            return subprocess.run([sys.executable, "-m", "mockserver", *args, "--url", server.url],
                                  capture_output=True, text=True, timeout=60)
        headers = {"Authorization": "Bearer API-mock-default"}
        bought = requests.post(f"{server.url}/v3/api/purchase", headers=headers, timeout=10,
                               json={"services": [{"serviceId": THREE_FUN}]}).json()["data"]["requests"][0]
        sent = cli("sms", bought["_id"], "--text", "Your 3Fun code is 4242")
        assert sent.returncode == 0 and json.loads(sent.stdout)["status"] == "COMPLETED"
        before = requests.get(f"{server.url}/_mock/clock", timeout=10).json()["now"]
        advanced = json.loads(cli("advance", "20m").stdout)
        assert advanced["now"] > before and advanced["frozen"] is True
        state = json.loads(cli("state").stdout)
        assert state["pvadeals"]["accounts"][0]["requests"][0]["messages"][0]["text"] == "Your 3Fun code is 4242"
        assert json.loads(cli("load", "timeouts", "--json").stdout)["name"] == "timeouts"
        assert json.loads(cli("reset").stdout)["status"] == "reset"
        refused = cli("sms", "697a90d25ef1873ef44f48bc")
        assert refused.returncode == 1 and "no request or number or activation with id 697a90d25ef1873ef44f48bc" in refused.stderr
    finally:
        server.stop()
    gone = subprocess.run([sys.executable, "-m", "mockserver", "state", "--url", server.url],
                          capture_output=True, text=True, timeout=60)
    assert gone.returncode == 1 and f"no server at {server.url}" in gone.stderr


def test_the_server_is_ready_when_the_banner_shows():
    server = RunningServer("--frozen")
    try:
        headers = {"Authorization": "Bearer API-mock-default"}
        # No retry: the banner promises a server that answers.
        assert requests.get(f"{server.url}/v3/api/balance", headers=headers, timeout=5).json()["data"]["credits"] == 100
        bought = requests.post(f"{server.url}/v3/api/purchase", headers=headers, timeout=5,
                               json={"services": [{"serviceId": AIRBNB}]}).json()["data"]["requests"][0]
        requests.post(f"{server.url}/_mock/clock", json={"advance": "3s"}, timeout=30)
        detail = requests.get(f"{server.url}/v3/api/request/{bought['_id']}", headers=headers, timeout=5).json()
        assert detail["data"]["status"] == "COMPLETED"
        logged = server.read_until(lambda line: "/v3/api/request/" in line)
        assert re.search(r"^POST /v3/api/purchase 200 \d+\.\dms$", logged, re.M)
        assert "GET /_mock/health" not in server.banner + logged      # the readiness probe is not logged
    finally:
        server.stop()


def test_a_port_in_use_stops_run_with_a_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith(f"mockserver: cannot listen on 127.0.0.1:{port}: ")
    assert "Address already in use" in result.stderr and "panic" not in result.stderr


# -- stopping, and connections ------------------------------------------------------------------

PURCHASE = {"service": "whatsapp", "operator": "any", "server": 1}


def slow_purchases(tmp_path, delay: str) -> Path:
    """BASE_SCENARIO where every Provynx purchase first waits `delay` (real time), as a slow provider."""
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump({**BASE_SCENARIO, "faults": [
        {"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "delay": delay}]}))
    return path


class PurchaseUnderWay:
    """A Provynx purchase on a thread of its own, returned once the server is serving it: a purchase
    with an Idempotency-Key is listed in /_mock/state from the moment it is admitted until it is
    answered, so this knows without sleeping that the request is under way (held by the delay)."""

    def __init__(self, url: str):
        self._outcome: dict = {}
        self._thread = threading.Thread(target=self._buy, args=(url,), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not requests.get(f"{url}/_mock/state", timeout=5).json()["provynx"]["idempotency_in_flight"]:
            assert self._thread.is_alive() and time.monotonic() < deadline, f"the purchase never started: {self._outcome}"

    def _buy(self, url: str) -> None:
        try:
            self._outcome["response"] = requests.post(
                f"{url}/api/v1/sms/us/numbers", json=PURCHASE, timeout=120,
                headers={"Authorization": f"Bearer {LIVE}", "Idempotency-Key": "under-way-1"})
        except requests.RequestException as exc:
            self._outcome["error"] = exc

    def response(self) -> requests.Response:
        self._thread.join(timeout=30)
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["response"]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_answers_a_request_under_way_and_exits_0(tmp_path, signum):
    server = RunningServer("--scenario", str(slow_purchases(tmp_path, "1500ms")), env={"MOCKSERVER_STOP_GRACE_S": "60"})
    try:
        purchase = PurchaseUnderWay(server.url)
        server.process.send_signal(signum)
        response = purchase.response()
        assert response.status_code == 201
        bought = response.json()
        assert re.fullmatch(r"num_[0-9a-z]+", bought.pop("id")) and re.fullmatch(r"\+1\d{10}", bought.pop("number"))
        assert bought == {"region": "us", "country": "us", "service": "whatsapp", "operator": "any", "server": 1,
                          "price": 0.85, "status": "pending", "code": None, "sms": None, "sandbox": False,
                          "created_at": "2026-01-28T22:42:26.452Z", "expires_at": "2026-01-28T23:02:26.452Z"}
        assert server.process.wait(timeout=15) == 0
    finally:
        server.process.kill()
        server.stop()


def test_stopping_gives_up_on_a_request_after_stop_grace_s_and_exits_0(tmp_path):
    """A request held 100 s by a delay does not hold the stop: after stop_grace_s it is cut off
    (granian answers it an empty 500 and closes the connection)."""
    server = RunningServer("--scenario", str(slow_purchases(tmp_path, "100s")), env={"MOCKSERVER_STOP_GRACE_S": "1"})
    try:
        purchase = PurchaseUnderWay(server.url)
        server.process.terminate()
        assert server.process.wait(timeout=15) == 0
        response = purchase.response()
        assert (response.status_code, response.content, response.headers["Connection"]) == (500, b"", "close")
    finally:
        server.process.kill()
        server.stop()


def test_a_delayed_answer_holds_up_no_other_request(tmp_path):
    """A purchase held 100 s by a delay fault takes one worker thread; the server answers
    everything else (the state poll below included)."""
    server = RunningServer("--scenario", str(slow_purchases(tmp_path, "100s")))
    try:
        PurchaseUnderWay(server.url)
        balance = requests.get(f"{server.url}/v3/api/balance", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert balance.status_code == 200 and balance.json()["data"]["credits"] == 100
    finally:
        server.stop()


def test_serves_max_connections_at_once_and_holds_the_next_until_one_closes():
    server = RunningServer("--quiet", env={"MOCKSERVER_MAX_CONNECTIONS": "10"})
    port = _port(server.url)
    open_connections = []
    try:
        for _ in range(9):
            open_connections.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        assert requests.get(f"{server.url}/_mock/health", timeout=5).status_code == 200     # the tenth
        open_connections.append(socket.create_connection(("127.0.0.1", port), timeout=10))  # the tenth again
        # The eleventh is not refused: the system accepts it and it waits, unanswered, until the
        # server takes it. The 2 s only bound the check; served, it would answer in milliseconds.
        eleventh = socket.create_connection(("127.0.0.1", port), timeout=2)
        open_connections.append(eleventh)
        eleventh.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: mockserver\r\nConnection: close\r\n\r\n")
        with pytest.raises(socket.timeout):
            eleventh.recv(1)
        open_connections.pop(0).close()
        eleventh.settimeout(15)
        assert eleventh.recv(64).startswith(b"HTTP/1.1 200 OK\r\n")
    finally:
        for connection in open_connections:
            connection.close()
        server.stop()


def test_closes_a_keep_alive_connection_idle_for_idle_connection_timeout_s():
    server = RunningServer("--quiet", env={"MOCKSERVER_IDLE_CONNECTION_TIMEOUT_S": "1"})
    try:
        with socket.create_connection(("127.0.0.1", _port(server.url)), timeout=15) as idle:
            idle.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: mockserver\r\n\r\n")
            assert idle.recv(64).startswith(b"HTTP/1.1 200 OK\r\n")
            while idle.recv(4096):              # the rest of the answer, then the server's close
                pass                            # (the guard: a timeout error)
    finally:
        server.stop()


# -- request bodies --------------------------------------------------------------------------

START_CI = "2026-03-01T09:00:00.000Z"        # scenario_file's clock start, which --frozen keeps


def _send(url: str, data: bytes) -> socket.socket:
    """A raw connection to the server that has sent ``data`` and is left open."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = socket.create_connection((host, int(port)), timeout=30)
    connection.sendall(data)
    return connection


def _answer(connection: socket.socket) -> tuple[int, dict]:
    """The status and JSON body of the one answer on ``connection``, read to its end."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.I)
        if length and len(body) >= int(length.group(1)):
            break
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def _ci_server(scenario_file: Path, *args: str, env: dict | None = None) -> RunningServer:
    return RunningServer("--frozen", "--scenario", str(scenario_file), *args, env=env)


def test_bodies_that_stall_hold_no_thread_and_the_server_keeps_answering(scenario_file):
    """Twice as many clients as worker threads declare a body and send one byte of it. They
    used to pin every thread (each read the body it was given), freezing health checks too."""
    server = _ci_server(scenario_file, "--threads", "8", env={"MOCKSERVER_BODY_READ_TIMEOUT_S": "600"})
    stalled = []
    try:
        for path in ["/_mock/clock", "/v3/api/purchase", "/api/v1/sms/us/numbers", "/x"] * 4:
            stalled.append(_send(server.url, f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                                             f"application/json\r\nContent-Length: 1000\r\n\r\n{{".encode()))
        # A liveness check, not a figure: a frozen server never answers.
        health = requests.get(f"{server.url}/_mock/health", timeout=10)
        assert health.status_code == 200
        bought = requests.post(f"{server.url}/v3/api/purchase", json={"services": [{"serviceId": AIRBNB}]},
                               headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert bought.status_code == 200 and bought.json()["success"] is True
    finally:
        for connection in stalled:
            connection.close()
        server.stop()


def test_a_body_that_does_not_arrive_in_time_is_408_in_the_apis_shape_and_runs_nothing(scenario_file):
    server = _ci_server(scenario_file, env={"MOCKSERVER_BODY_READ_TIMEOUT_S": "1"})
    try:
        clock = _send(server.url, b"POST /_mock/clock HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                                  b"\r\nContent-Length: 100\r\n\r\n{\"advance\": \"1h\"")
        purchase = _send(server.url, b"POST /v3/api/purchase HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                                     + KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"ser\r\n")
        with clock, purchase:
            assert _answer(clock) == (408, {"error": "Request Timeout", "status": 408})
            assert _answer(purchase) == (408, {"success": False, "message": "Request Timeout", "status": 408})
        assert requests.get(f"{server.url}/_mock/clock", timeout=10).json()["now"] == START_CI
        balance = requests.get(f"{server.url}/v3/api/balance", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert balance.json()["data"]["credits"] == 100
    finally:
        server.stop()


def test_a_body_shorter_than_its_content_length_is_400_and_runs_nothing(scenario_file):
    server = _ci_server(scenario_file)
    try:
        with _send(server.url, b"POST /_mock/clock HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                               b"\r\nContent-Length: 100\r\n\r\n{\"advance\":\"1h\"}") as connection:
            connection.shutdown(socket.SHUT_WR)           # the client sends no more
            assert _answer(connection) == (400, {"error": "Bad Request", "status": 400})
        assert requests.get(f"{server.url}/_mock/clock", timeout=10).json()["now"] == START_CI
    finally:
        server.stop()


@pytest.mark.parametrize("encodings", [["gzip, chunked"], ["identity, chunked"], ["identity", "chunked"]])
def test_a_transfer_encoding_list_gets_neither_past_the_415_rule_nor_the_size_limit(scenario_file, encodings):
    server = _ci_server(scenario_file)
    try:
        headers = "".join(f"Transfer-Encoding: {value}\r\n" for value in encodings)
        with _send(server.url, (f"POST /_mock/clock HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                                f"{headers}\r\n10\r\n{{\"advance\":\"1h\"}}\r\n0\r\n\r\n").encode()) as connection:
            status, body = _answer(connection)
        assert status == 415 and body["error"].startswith("send the body as application/json"), body
        assert requests.get(f"{server.url}/_mock/clock", timeout=10).json()["now"] == START_CI
        large = b'{"services": [{"serviceId": "%s"}]' % AIRBNB.encode() + b" " * (200 * 1024) + b"}"
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(large[i:i + 8192]), large[i:i + 8192])
                          for i in range(0, len(large), 8192)) + b"0\r\n\r\n"
        with _send(server.url, (f"POST /v3/api/purchase HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {KEY}"
                                f"\r\nContent-Type: application/json\r\n{headers}\r\n").encode() + chunks) as connection:
            assert _answer(connection) == (413, {"success": False, "message": "Request entity too large",
                                                 "status": 413})
        balance = requests.get(f"{server.url}/v3/api/balance", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert balance.json()["data"]["credits"] == 100
    finally:
        server.stop()


def test_the_server_does_not_speak_http2_in_cleartext(scenario_file):
    """HTTP/2 bodies come without a length; neither provider offers h2c, so it is not served."""
    server = _ci_server(scenario_file)
    try:
        preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"   # + empty SETTINGS
        with _send(server.url, preface) as connection:
            connection.settimeout(10)
            received = connection.recv(9)
        # An HTTP/2 server answers the preface with its own SETTINGS frame (type 4).
        assert not (len(received) == 9 and received[3] == 4), received
    finally:
        server.stop()


def test_a_server_bound_to_every_address_is_announced_at_loopback():
    """The wildcard is no address a client can reach it at, nor one the control API's Host check
    takes: the banner and the ready file give loopback."""
    from mockserver import cli
    assert [cli._url(host, 8080) for host in ("0.0.0.0", "::", "127.0.0.1", "::1", "sms.local")] == [
        "http://127.0.0.1:8080", "http://[::1]:8080", "http://127.0.0.1:8080", "http://[::1]:8080",
        "http://sms.local:8080"]
