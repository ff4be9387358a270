"""Test harness: real servers on 127.0.0.1 and a real webhook receiver. Nothing is mocked."""
from __future__ import annotations

import copy
import json
from dataclasses import replace
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import yaml
from waitress import create_server

from mockserver.app import create_app
from mockserver.engine.clock import parse_iso
from mockserver.scenario import load_scenario, load_text

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
    """A sandbox served by waitress on a free loopback port, plus HTTP helpers."""

    def __init__(self, scenario: dict | str, real_time: bool = True):
        """``scenario``: a scenario as a dict, or a bundled name (then started frozen at START)."""
        if isinstance(scenario, str):
            loaded = replace(load_scenario(scenario), clock_start_ms=parse_iso(START), clock_frozen=True)
        else:
            loaded = load_text(yaml.safe_dump(scenario), source="test.yaml")
        self.app = create_app(loaded, real_time=real_time)
        self.sandbox = self.app.extensions["mockserver"]
        self._server = create_server(self.app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        self.http = requests.Session()

    def close(self) -> None:
        self._server.close()
        self.sandbox.close()
        self.http.close()

    # PVADeals as a client sees it
    def pva(self, method: str, path: str, key: str | None = KEY, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, f"{self.url}/v3/api{path}", headers=headers, **kwargs)

    # Provynx as a client sees it
    def pnx(self, method: str, path: str, key: str | None = LIVE, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, f"{self.url}/api/v1/sms{path}", headers=headers, **kwargs)

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


class Receiver:
    """A real HTTP server that records webhook deliveries and can be told to misbehave."""

    def __init__(self) -> None:
        self.deliveries: list[dict] = []
        self.fail_next = 0              # answer this many with fail_status
        self.fail_status = 500
        self.hang_s = 0.0               # sleep this long before answering
        self.release = threading.Event()  # cleared: every delivery waits until it is set
        self.release.set()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.deliveries.append({"path": self.path, "headers": dict(self.headers),
                                                "body": body, "json": json.loads(body)})
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    receiver.arrived.notify_all()
                if receiver.hang_s:
                    time.sleep(receiver.hang_s)
                receiver.release.wait(30)
                self.send_response(receiver.fail_status if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait_for(self, count: int, timeout_s: float = 10) -> list[dict]:
        """Block until ``count`` deliveries have arrived (real network time, not provider time)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout=timeout_s)
            return list(self.deliveries)

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
