"""PVADeals v3: the provider contract (contract.py) in one place. Its parts: defaults.py (defaults
besides the scenario's, [assumed] ones marked), errors.py (refusals with status and message),
section.py (its scenario section), backend.py (state and rules), schemas.py (wire shapes),
routes.py (the routes), console.py (what mockserver's own tools show of it)."""
from __future__ import annotations

from typing import Any, ClassVar

from mockserver.engine.clock import Clock
from mockserver.engine.ids import ObjectIds
from mockserver.engine.probe import ProbeSpec
from mockserver.engine.webhooks import Message, encode_body
from mockserver.providers.contract import Bought, BuildContext, DashboardView, Ended, Provider, SnapshotPart
from mockserver.providers.pvadeals import console, probes, schemas, snapshot
from mockserver.providers.pvadeals.backend import Account, PvaDeals, ServiceRequest
from mockserver.providers.pvadeals.routes import ROUTES
from mockserver.providers.pvadeals.section import PvaDealsScenario
from mockserver.providers.pvadeals.verification import VERIFICATION
from mockserver.providers.shapes import dump
from mockserver.providers.tenancy import Tenant


class PvaDealsProvider(Provider[PvaDeals]):
    name = "pvadeals"
    title = "PVADeals"
    prefix = "/v3/api"
    noun = "request"
    routes = ROUTES
    errors = schemas.ERRORS
    strict_slashes = False           # an Express API: its router answers "/balance/" as "/balance"
    invalid_json = schemas.INVALID_JSON
    state_schema = schemas.PvaDealsState
    section = PvaDealsScenario
    section_help = "PVADeals v3, under /v3/api"
    referred_schemas = schemas.REFERRED
    verification = VERIFICATION
    snapshot: ClassVar[SnapshotPart] = snapshot
    # PVADeals publishes no OpenAPI document: mockserver serves its own under the control API only
    # (/_mock/openapi/pvadeals.json), never under /v3/api where a client could tell it apart.
    openapi_info = {"title": "PVADeals v3 (mockserver emulation)", "version": "3",
                    "security": "API-... keys, as Authorization: Bearer"}

    def build(self, section: PvaDealsScenario, context: BuildContext) -> PvaDeals:
        """A backend whose events go to the accounts' webhook URLs through the outbox."""
        outbox = context.outbox

        def notify(account: Account, event: str, request: ServiceRequest, at_ms: int, message: str) -> None:
            if not account.webhook:
                return
            body = encode_body(dump(schemas.WebhookEvent, {"event": event, "at_ms": at_ms, "request": request,
                                                           "message": message}))
            # PVADeals signs nothing; integrators keep a shared secret in the URL's query string.
            outbox.publish(Message(id=outbox.new_message_id(self.name), tenant=account.tenant, provider=self.name,
                                   event=event, url=account.webhook, body=body, created_ms=at_ms,
                                   policy=section.webhooks))

        return PvaDeals(section, name=self.name, timeline=context.timeline, ids=ObjectIds(context.seed),
                        phones=context.phones, codes=context.codes, notify=notify, max_tenants=context.max_tenants,
                        renewals_kept=context.renewals_kept)

    def variant(self, section: PvaDealsScenario) -> str:
        return section.shape

    def state(self, backend: PvaDeals, tenant: Tenant | None) -> dict[str, Any]:
        return console.state(backend, tenant)

    def dashboard(self, backend: PvaDeals, clock: Clock) -> DashboardView:
        return console.dashboard(backend, clock, self.name, self.title, self.prefix)

    def banner(self, section: PvaDealsScenario, url: str) -> list[str]:
        return console.banner(section, url + self.prefix)

    def expired(self, backend: PvaDeals, tenant: Tenant | None) -> list[Ended]:
        return console.expired(backend, tenant)

    def bought(self, backend: PvaDeals, tenant: Tenant | None) -> list[Bought]:
        return console.bought(backend, tenant)

    def probes(self, backend: PvaDeals, tenant: Tenant, now_ms: int) -> list[ProbeSpec]:
        return probes.probes(backend, tenant, now_ms)

    def try_it(self, section: PvaDealsScenario, url: str) -> str:
        return f"curl -s {url}{self.prefix}/balance -H 'Authorization: Bearer {console.example_key(section) or 'API-...'}'"


PROVIDER = PvaDealsProvider()
