"""The sms-activate protocol's webhook probe kinds (engine/probe.py). The protocol signs nothing,
so, as for PVADeals, a receiver can only keep a shared secret in its URL's query string: the
probes are the URL without its query, with every query value wrong, and as configured. The
payload is an incoming SMS of an activation no account has (id 0) with the code 000000."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockserver.engine.probe import ACCEPTED, DEFENDED, PROBE_CODE, ProbeSpec
from mockserver.engine.webhooks import encode_body
from mockserver.providers.contract import NoWebhookUrl
from mockserver.providers.smsactivate.schemas import wire_time

WRONG = "mockserver-probe-wrong"
EVENT = "sms_received"


def probes(backend, tenant, now_ms: int) -> list[ProbeSpec]:
    account = backend.accounts[tenant.account]
    url = account.webhook
    if not url:
        raise NoWebhookUrl(f"account {account.key} has no webhook URL: set one (POST /_mock/webhook, or the "
                           "scenario's webhook) before probing it")
    body = encode_body({"activationId": 0, "service": "ot", "text": f"mockserver webhook probe, not a real SMS: "
                        f"{PROBE_CODE}", "code": PROBE_CODE, "country": 0, "receivedAt": wire_time(now_ms)})
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True) or [("secret", "")]
    return [
        ProbeSpec("no-query-secret", DEFENDED, "the configured URL without its query string (its secret)", EVENT,
                  urlunsplit(parts._replace(query="")), body),
        ProbeSpec("wrong-query-secret", DEFENDED, "the configured URL with every query value wrong", EVENT,
                  urlunsplit(parts._replace(query=urlencode([(name, WRONG) for name, _ in pairs]))), body),
        ProbeSpec("valid", ACCEPTED, "the configured URL, as a genuine delivery", EVENT, url, body),
    ]
