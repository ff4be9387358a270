"""`mockserver.wsgi:app` is a plain WSGI app: it serves under a third-party WSGI server (waitress
here, a test-only dependency) as `mockserver run` serves it, settings from the environment."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import requests

from harness import AIRBNB


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_wsgi_app_serves_under_waitress_with_settings_from_the_environment():
    port = _free_port()
    env = {**os.environ, "MOCKSERVER_SCENARIO": "default", "MOCKSERVER_FROZEN": "1",
           "MOCKSERVER_MAX_BODY_BYTES": "2000"}
    server = subprocess.Popen([sys.executable, "-m", "waitress", "--listen", f"127.0.0.1:{port}", "mockserver.wsgi:app"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"{url}/_mock/health", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "waitress did not start"
                time.sleep(0.05)
        assert health.json() == {"status": "ok", "scenario": "default"}
        headers = {"Authorization": "Bearer API-mock-default"}
        bought = requests.post(f"{url}/v3/api/purchase", headers=headers, timeout=10,
                               json={"services": [{"serviceId": AIRBNB}]}).json()["data"]["requests"][0]
        assert (bought["serviceId"], bought["serviceName"], bought["status"]) == (AIRBNB, "Airbnb", "RESERVED")
        assert requests.get(f"{url}/_mock/clock", timeout=10).json()["frozen"] is True
        too_large = requests.post(f"{url}/v3/api/purchase", headers=headers, data=b" " * 2001, timeout=10)
        assert too_large.json() == {"success": False, "message": "Request entity too large", "status": 413}
        balance = requests.get(f"{url}/v3/api/balance", headers=headers, timeout=10)
        assert balance.json() == {"success": True, "data": {"credits": 99.8}, "message": "Balance retrieved successfully"}
    finally:
        server.terminate()
        server.wait(timeout=10)
