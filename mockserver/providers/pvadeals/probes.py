"""PVADeals' webhook probe kinds (engine/probe.py). PVADeals signs nothing: an integrator keeps a
shared secret in the webhook URL's query string, so the probes are the configured URL without its
query, with every query value wrong, and as configured. The payload is an ``sms_received`` of a
request no account has: ids of zeros, a fictional phone number, the code 000000."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockserver.engine.clock import format_iso
from mockserver.engine.probe import (
    ACCEPTED,
    DEFENDED,
    PROBE_CODE,
    PROBE_NUMBER,
    ProbeSpec,
)
from mockserver.engine.webhooks import encode_body
from mockserver.providers.contract import NoWebhookUrl

PROBE_REQUEST_ID = "0" * 24
WRONG = "mockserver-probe-wrong"


def without_query(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def with_wrong_query(url: str) -> str:
    """Every query value replaced by a wrong one; a URL with no query gets ``?secret=`` a wrong one."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True) or [("secret", "")]
    return urlunsplit(parts._replace(query=urlencode([(name, WRONG) for name, _ in pairs])))


def probes(backend, tenant, now_ms: int) -> list[ProbeSpec]:
    account = backend.accounts[tenant.account]
    url = account.webhook
    if not url:
        raise NoWebhookUrl(f"account {account.key} has no webhook URL: set one (POST /_mock/webhook, or the "
                           "scenario's webhook) before probing it")
    body = encode_body({"event": "sms_received", "timestamp": format_iso(now_ms), "requestId": PROBE_REQUEST_ID,
                        "serviceId": PROBE_REQUEST_ID, "number": PROBE_NUMBER,
                        "message": f"mockserver webhook probe, not a real SMS: {PROBE_CODE}"})
    return [
        ProbeSpec("no-query-secret", DEFENDED, "the configured URL without its query string (its secret)",
                  "sms_received", without_query(url), body),
        ProbeSpec("wrong-query-secret", DEFENDED, "the configured URL with every query value wrong",
                  "sms_received", with_wrong_query(url), body),
        ProbeSpec("valid", ACCEPTED, "the configured URL, as a genuine delivery", "sms_received", url, body),
    ]
