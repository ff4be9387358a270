"""A small PVADeals client, as an integrator would write it: plain requests, nothing from mockserver."""
from __future__ import annotations

import time

import requests


class PVADealsError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status


class PVADealsClient:
    def __init__(self, base_url: str, api_key: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, self.base_url + path, timeout=10, **kwargs)
        body = response.json()
        if response.status_code != 200:
            raise PVADealsError(response.status_code, body.get("message", ""))
        return body["data"]

    def balance(self) -> float:
        return self._call("GET", "/balance")["credits"]

    def service_id(self, name: str) -> str:
        return next(s["_id"] for s in self._call("GET", "/services/all")["services"] if s["name"] == name)

    def purchase(self, service_name: str) -> dict:
        body = {"services": [{"serviceId": self.service_id(service_name)}]}
        return self._call("POST", "/purchase", json=body)["requests"][0]

    def request(self, request_id: str) -> dict:
        return self._call("GET", f"/request/{request_id}")

    def flag(self, request_id: str) -> None:
        self._call("POST", f"/flag/{request_id}")

    def wait_for_sms(self, request_id: str, *, attempts: int = 5, pause_s: float = 0.0) -> dict:
        """Poll until the request is COMPLETED (or give up): what a bot does while waiting."""
        for _ in range(attempts):
            request = self.request(request_id)
            if request["status"] != "RESERVED":
                return request
            time.sleep(pause_s)
        return request
