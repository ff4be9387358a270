"""Provynx v1: the provider contract (contract.py) in one place. Its parts: defaults.py (defaults
besides the scenario's, [assumed] ones marked), errors.py (refusals with status and message),
section.py (its scenario section), backend.py (state and rules), schemas.py (wire shapes),
routes.py (the routes), idempotency.py and cors.py (steps of its pipeline), console.py (what
mockserver's own tools show of it)."""
from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.engine.clock import Clock
from mockserver.engine.ids import TokenIds
from mockserver.engine.probe import ProbeSpec
from mockserver.engine.webhooks import Message, encode_body
from mockserver.providers.contract import BuildContext, DashboardView, Ended, Provider, SnapshotPart
from mockserver.providers.provynx import console, cors, probes, schemas, snapshot
from mockserver.providers.provynx.backend import Account, Number, Provynx
from mockserver.providers.provynx.routes import ROUTES
from mockserver.providers.provynx.section import ProvynxScenario
from mockserver.providers.provynx.verification import VERIFICATION
from mockserver.providers.shapes import dump
from mockserver.providers.tenancy import Tenant

if TYPE_CHECKING:
    from flask import Request  # a type only: the HTTP front hands it over


class ProvynxProvider(Provider[Provynx]):
    name = "provynx"
    title = "Provynx"
    prefix = "/api/v1/sms"
    noun = "number"
    routes = ROUTES
    errors = schemas.ERRORS
    invalid_json = schemas.INVALID_JSON
    state_schema = schemas.ProvynxState
    section = ProvynxScenario
    section_help = "Provynx v1, under /api/v1/sms"
    verification = VERIFICATION
    snapshot: ClassVar[SnapshotPart] = snapshot
    openapi_info = {"title": "Provynx SMS API (mockserver emulation)", "version": "1",
                    "description": "The public Provynx page shows no bodies: these shapes are the sandbox's assumption; errors are {\"error\": \"...\"}.",
                    "security": "nsk_live_... or nsk_test_..."}

    def build(self, section: ProvynxScenario, context: BuildContext) -> Provynx:
        """A backend whose otp.received events are signed and posted through the outbox."""
        outbox, seed = context.outbox, context.seed

        def notify(account: Account, number: Number, at_ms: int) -> None:
            if not account.webhook_url:
                return
            outbox.publish(Message(
                id=outbox.new_message_id(self.name), tenant=account.tenant, provider=self.name, event="otp.received",
                url=account.webhook_url, body=encode_body(dump(schemas.OtpReceived, {"at_ms": at_ms, "number": number})),
                created_ms=at_ms, policy=section.webhooks,
                secrets=outbox.signing_secrets(account.webhook_secret, at_ms)))

        def default_secret(account_name: str) -> str:
            """A signing secret for an account whose scenario names none; the same on every run."""
            key = hashlib.sha256(f"{seed}:{account_name}:webhook-secret".encode()).digest()[:24]
            return "whsec_" + base64.b64encode(key).decode()

        return Provynx(section, name=self.name, timeline=context.timeline, ids=TokenIds(seed, "num_"),
                       phones=context.phones, codes=context.codes, notify=notify, default_secret=default_secret,
                       max_tenants=context.max_tenants)

    def preflight(self, section: ProvynxScenario) -> bool:
        return bool(cors.allowed_origins(section))

    def answer_headers(self, section: ProvynxScenario, request: Request) -> dict[str, str]:
        return cors.headers(section, request.headers.get("Origin"), request.method)

    def state(self, backend: Provynx, tenant: Tenant | None) -> dict[str, Any]:
        return console.state(backend, tenant)

    def dashboard(self, backend: Provynx, clock: Clock) -> DashboardView:
        return console.dashboard(backend, clock, self.name, self.title, self.prefix)

    def expired(self, backend: Provynx, tenant: Tenant | None) -> list[Ended]:
        return console.expired(backend, tenant)

    def key_of(self, backend: Provynx, tenant: Tenant) -> str:
        return console.key_of(backend.accounts[tenant.account])

    def banner(self, section: ProvynxScenario, url: str) -> list[str]:
        return console.banner(section, url + self.prefix)

    def probes(self, backend: Provynx, tenant: Tenant, now_ms: int) -> list[ProbeSpec]:
        return probes.probes(backend, tenant, now_ms)


PROVIDER = ProvynxProvider()
