"""Test harness: real servers on 127.0.0.1 and a real webhook receiver. Nothing is mocked."""
from __future__ import annotations

import copy
import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace

import requests
import yaml

from mockserver.engine.clock import parse_iso
from mockserver.loading import load_scenario, load_text
from mockserver.testing import ServedSandbox

KEY = "API-test-one"
OTHER_KEY = "API-test-two"
START = "2026-01-28T22:42:26.452Z"
AIRBNB = "697139f7fe5460ddc2f27214"
THREE_FUN = "697139f4fe5460ddc2f271e9"   # never receives an SMS in BASE_SCENARIO
LIVE, TEST = "nsk_live_acme", "nsk_test_acme"
OTHER_LIVE, REVOKED = "nsk_live_other", "nsk_live_revoked"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

BASE_SCENARIO = {
    "name": "test",
    "description": "test harness scenario",
    "seed": 42,
    "clock": {"start": START, "frozen": True},
    "pvadeals": {
        "accounts": [{"key": KEY, "credits": 100}, {"key": OTHER_KEY, "credits": 0.5}],
        "tenants": {"keys": ["API-w*"], "credits": 20},
        "behaviors": [{"match": {"service": "3Fun"}, "sms": []}],
    },
    "provynx": {
        "accounts": [
            {"name": "acme", "keys": [TEST, LIVE], "balance": 10, "webhook": {"secret": SECRET}},
            {"name": "other", "keys": [OTHER_LIVE, "nsk_test_other"], "revoked_keys": [REVOKED], "balance": 5},
        ],
        "tenants": {"keys": ["nsk_live_w*", "nsk_test_w*"], "balance": 3},
        "behaviors": [{"match": {"service": "paypal"}, "sms": []}],   # live PayPal numbers never get a code
    },
}


def scenario_with(**changes) -> dict:
    """BASE_SCENARIO with dotted-path changes, e.g. ``**{"pvadeals.lifetime": "5m"}``."""
    data = copy.deepcopy(BASE_SCENARIO)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return data


class MockServer:
    """A sandbox served on a free loopback port (mockserver.testing), plus client helpers."""

    def __init__(self, scenario: dict | str, real_time: bool = True, **options):
        """``scenario``: a scenario as a dict, or a bundled name (then started frozen at START).
        ``options`` go to ServedSandbox (``limits``, ``access``)."""
        if isinstance(scenario, str):
            loaded = replace(load_scenario(scenario), clock_start_ms=parse_iso(START), clock_frozen=True)
        else:
            loaded = load_text(yaml.safe_dump(scenario), source="test.yaml")
        self._served = ServedSandbox(loaded, real_time=real_time, **options)
        self.app, self.sandbox, self.url = self._served.app, self._served.sandbox, self._served.url
        self.http = requests.Session()

    def close(self) -> None:
        self._served.close()
        self.http.close()

    def _as_client(self, base: str, method: str, path: str, key: str | None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, f"{self.url}{base}{path}", headers=headers, **kwargs)

    def pva(self, method: str, path: str, key: str | None = KEY, **kwargs) -> requests.Response:
        """PVADeals as a client sees it."""
        return self._as_client("/v3/api", method, path, key, **kwargs)

    def pnx(self, method: str, path: str, key: str | None = LIVE, **kwargs) -> requests.Response:
        """Provynx as a client sees it."""
        return self._as_client("/api/v1/sms", method, path, key, **kwargs)

    def pnx_buy(self, region: str = "us", key: str = LIVE, **body) -> dict:
        body.setdefault("service", "whatsapp")
        if region == "global":
            body.setdefault("country", "gb")
        response = self.pnx("POST", f"/{region}/numbers", key=key, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def wallet(self, key: str = LIVE) -> float:
        return self.pnx("GET", "/balance", key=key).json()["balance"]

    def buy(self, *service_ids: str, key: str = KEY) -> list[dict]:
        response = self.pva("POST", "/purchase", key=key,
                            json={"services": [{"serviceId": s} for s in service_ids]})
        assert response.status_code == 200, response.text
        return response.json()["data"]["requests"]

    def detail(self, request_id: str, key: str = KEY) -> dict:
        response = self.pva("GET", f"/request/{request_id}", key=key)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def credits(self, key: str = KEY):
        return self.pva("GET", "/balance", key=key).json()["data"]["credits"]

    # the control API
    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, f"{self.url}/_mock{path}", timeout=60, **kwargs)

    def advance(self, duration: str) -> dict:
        response = self.control("POST", "/clock", json={"advance": duration})
        assert response.status_code == 200, response.text
        return response.json()

    def webhooks(self, **query) -> list[dict]:
        return self.control("GET", "/webhooks", params=query).json()["attempts"]


class RunningServer:
    """`mockserver run` as a user starts it: a real process on a free port, its output read line by line."""

    def __init__(self, *args: str, env: dict | None = None, expect_banner: bool = True):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "run", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        if not expect_banner:
            return
        self.banner = self.read_until(lambda line: line.lstrip().startswith("curl") or "cannot" in line)
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", self.banner)
        assert found, self.banner
        self.url = found.group(1)

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def read_until(self, done, timeout_s: float = 15) -> str:
        text, deadline = "", time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            text += line
            if done(line):
                return text
        raise AssertionError(f"server output so far:\n{text}")

    def read_all(self) -> str:
        """Everything it printed, once it has ended."""
        self._pump_thread.join(timeout=10)
        lines = []
        while not self.lines.empty():
            lines.append(self.lines.get())
        return "".join(lines)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._pump_thread.join(timeout=10)     # it stops at end of output
        self.process.stdout.close()
