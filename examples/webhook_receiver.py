"""A minimal webhook receiver that verifies what it is sent, for both providers, as a WSGI app
(any WSGI server runs it; the tests use the standard library's). It passes mockserver's webhook
probe (POST /_mock/webhooks/probe): it refuses every forged, stale or unsigned delivery with a 4xx
and accepts the genuine ones, a key rotation's included.

- Provynx signs by the Standard Webhooks scheme: the ``standardwebhooks`` library checks the three
  headers, the timestamp (within 5 minutes) and each ``v1,`` signature in constant time.
- PVADeals signs nothing: the secret is in the URL's query string you register
  (``https://you.example/hooks/pvadeals?secret=...``), compared in constant time.

Both acknowledge a message id seen before without handling it again (providers deliver at least
once: the same message may come twice), and handle the event out of the request (here: a list)."""
from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qs

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, provynx_secret: str, pvadeals_secret: str):
        self._provynx = Webhook(provynx_secret)       # a rotation: accept either secret's signature
        self._pvadeals_secret = pvadeals_secret.encode()
        self.events: list[dict] = []                  # what a real receiver would queue for its workers
        self._seen: set[str] = set()                  # message ids handled (keep them a few days)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, 405)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if path == "/provynx":
            return _answer(start_response, self._provynx_delivery(environ, body))
        if path == "/pvadeals":
            return _answer(start_response, self._pvadeals_delivery(environ, body))
        return _answer(start_response, 404)

    def _provynx_delivery(self, environ, body: bytes) -> int:
        headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "")
                   for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        try:
            payload = self._provynx.verify(body, headers)   # refuses missing headers and stale timestamps too
        except (WebhookVerificationError, ValueError):      # ValueError: a malformed signature ("v1=...")
            return 401
        return self._handle(headers["webhook-id"], payload)

    def _pvadeals_delivery(self, environ, body: bytes) -> int:
        given = parse_qs(environ.get("QUERY_STRING", "")).get("secret", [""])[0].encode()
        if not hmac.compare_digest(given, self._pvadeals_secret):
            return 403
        try:
            payload = json.loads(body)
        except ValueError:
            return 400
        # PVADeals sends no message id: its event, request and timestamp name one delivery
        return self._handle(f"{payload.get('event')}:{payload.get('requestId')}:{payload.get('timestamp')}", payload)

    def _handle(self, message_id: str, payload: dict) -> int:
        if message_id not in self._seen:
            self._seen.add(message_id)
            self.events.append(payload)
        return 204


def _answer(start_response, status: int):
    reasons = {204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed"}
    start_response(f"{status} {reasons[status]}", [("Content-Length", "0")])
    return [b""]
