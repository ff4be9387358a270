"""Provynx v1 emulation: backend (state and rules), schemas (wire shapes), views (routes),
openapi (the document generated from the schemas)."""
from __future__ import annotations

import base64
import hashlib

from ...engine.ids import Codes, PhoneNumbers, TokenIds
from ...engine.signing import standard_webhooks_headers
from ...engine.timeline import Timeline
from ...engine.webhooks import Message, Outbox, encode_body
from ...scenario.model import ProvynxScenario
from . import schemas
from .backend import Account, Number, Provynx


def build(scenario: ProvynxScenario, *, seed, timeline: Timeline, outbox: Outbox, phones: PhoneNumbers,
          codes: Codes, max_tenants: int) -> Provynx:
    """A Provynx backend whose otp.received events are signed and posted through the outbox."""

    def notify(account: Account, number: Number, at_ms: int) -> None:
        if not account.webhook_url:
            return
        secret = account.webhook_secret
        outbox.publish(Message(
            id=outbox.new_message_id(), tenant=account.tenant, provider="provynx", event="otp.received",
            url=account.webhook_url, body=encode_body(schemas.webhook_payload(number, at_ms)), created_ms=at_ms,
            policy=scenario.webhooks,
            sign=lambda message_id, timestamp, body: standard_webhooks_headers(secret, message_id, timestamp, body)))

    def default_secret(account_name: str) -> str:
        """A signing secret for an account whose scenario names none; the same on every run."""
        key = hashlib.sha256(f"{seed}:{account_name}:webhook-secret".encode()).digest()[:24]
        return "whsec_" + base64.b64encode(key).decode()

    return Provynx(scenario, timeline=timeline, ids=TokenIds(seed, "num_"), phones=phones, codes=codes,
                   notify=notify, default_secret=default_secret, max_tenants=max_tenants)
