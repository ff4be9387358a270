"""PVADeals v3 emulation: backend (state and rules), schemas (wire shapes), views (routes)."""
from __future__ import annotations

from ...engine.ids import Codes, ObjectIds, PhoneNumbers
from ...engine.webhooks import Message, Outbox, encode_body
from ...engine.timeline import Timeline
from ...scenario.model import PvaDealsScenario
from . import schemas
from .backend import Account, PvaDeals, ServiceRequest, tenant_of


def build(scenario: PvaDealsScenario, *, timeline: Timeline, outbox: Outbox, ids: ObjectIds,
          phones: PhoneNumbers, codes: Codes, max_tenants: int) -> PvaDeals:
    """A PVADeals backend whose events go to the accounts' webhook URLs through the outbox."""

    def notify(account: Account, event: str, request: ServiceRequest, at_ms: int, message: str) -> None:
        if not account.webhook:
            return
        body = encode_body(schemas.webhook_payload(event, at_ms, request, message))
        # PVADeals signs nothing; integrators keep a shared secret in the URL's query string.
        outbox.publish(Message(id=outbox.new_message_id(), tenant=tenant_of(account.key),
                               provider="pvadeals", event=event, url=account.webhook, body=body,
                               created_ms=at_ms, policy=scenario.webhooks))

    return PvaDeals(scenario, timeline=timeline, ids=ids, phones=phones, codes=codes, notify=notify,
                    max_tenants=max_tenants)
