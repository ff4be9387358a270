"""Provynx's webhook probe kinds (engine/probe.py): the Standard Webhooks ones, with an
``otp.received`` payload about a number no account has: a zero id, a fictional phone number, the
code 000000, and ``sandbox: true``."""
from __future__ import annotations

from mockserver.engine.clock import format_iso
from mockserver.engine.probe import (
    PROBE_CODE,
    PROBE_NUMBER,
    ProbeSpec,
    standard_webhooks_probes,
)
from mockserver.engine.webhooks import encode_body
from mockserver.providers.contract import NoWebhookUrl

PROBE_NUMBER_ID = "num_" + "0" * 20


def probes(backend, tenant, now_ms: int) -> list[ProbeSpec]:
    account = backend.accounts[tenant.account]
    if not account.webhook_url:
        raise NoWebhookUrl(f"account {account.name} has no webhook URL: set one (POST /_mock/webhook, or the "
                           "scenario's webhook.url) before probing it")
    body = encode_body({"type": "otp.received", "timestamp": format_iso(now_ms), "data": {
        "id": PROBE_NUMBER_ID, "region": "us", "country": "us", "number": PROBE_NUMBER, "service": "mockserver-probe",
        "code": PROBE_CODE, "sms": f"mockserver webhook probe, not a real SMS: {PROBE_CODE}", "sandbox": True}})
    return standard_webhooks_probes(account.webhook_url, "otp.received", body, account.webhook_secret)
