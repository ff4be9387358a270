"""A small Provynx client, as an integrator would write it: plain requests, plus the Standard
Webhooks library to verify otp.received deliveries."""
from __future__ import annotations

import uuid

import requests
from standardwebhooks.webhooks import Webhook


class ProvynxError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status


class ProvynxClient:
    def __init__(self, base_url: str, api_key: str, server: int = 1):
        self.base_url = base_url.rstrip("/")
        self.server = server
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, self.base_url + path, timeout=10, **kwargs)
        body = response.json()
        if response.status_code >= 400:
            raise ProvynxError(response.status_code, body["error"])
        return body

    def balance(self) -> float:
        return self._call("GET", "/balance")["balance"]

    def buy_us(self, service: str, operator: str = "any", idempotency_key: str | None = None) -> dict:
        """Buy a US number; retrying with the same idempotency key never buys twice."""
        key = idempotency_key or str(uuid.uuid4())
        return self._call("POST", "/us/numbers", headers={"Idempotency-Key": key},
                          json={"service": service, "operator": operator, "server": self.server})

    def code(self, number_id: str) -> str | None:
        return self._call("GET", f"/us/numbers/{number_id}/code")["code"]

    def cancel(self, number_id: str) -> dict:
        return self._call("DELETE", f"/us/numbers/{number_id}")


def verify_otp_webhook(secret: str, body: bytes, headers: dict) -> dict:
    """The payload of a genuine otp.received delivery; raises if the signature is wrong."""
    return Webhook(secret).verify(body, headers)
