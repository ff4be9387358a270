"""The sms-activate protocol (sms-activate, HeroSMS, SMSHub, GrizzlySMS, privatesms.vip and the
rest of the family): the provider contract (contract.py) in one place. Its parts: defaults.py
(every default and the built-in dialects, [inferred] ones marked), errors.py (the protocol's
tokens), section.py (its scenario section), backend.py (state and lifecycle),
schemas.py (wire shapes), routes.py (one URL, one route per action), console.py, snapshot.py and
probes.py (what mockserver's own tools show and keep of it).

Three things set it apart from the JSON providers, each a generic step of the contract: the key
travels as the ``api_key`` parameter (``credentials``), parameters come from the query string or a
form body (``parameters``) and the ``action`` among them picks the route (``Route.when``), and a
refusal's status and shape depend on the dialect the path names (``refusal``, ``mounts``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.engine.clock import Clock
from mockserver.engine.probe import ProbeSpec
from mockserver.engine.webhooks import Message, encode_body
from mockserver.providers.contract import Bought, BuildContext, DashboardView, Ended, Provider, SnapshotPart
from mockserver.providers.shapes import dump
from mockserver.providers.smsactivate import console, defaults, probes, schemas, snapshot
from mockserver.providers.smsactivate.backend import Account, Activation, Sms, SmsActivate
from mockserver.providers.smsactivate.errors import UnknownDialect
from mockserver.providers.smsactivate.routes import ROUTES
from mockserver.providers.smsactivate.section import SmsActivateScenario
from mockserver.providers.smsactivate.verification import VERIFICATION
from mockserver.providers.tenancy import Tenant

if TYPE_CHECKING:
    from flask import Request  # a type only: the HTTP front hands it over

_FORM = "application/x-www-form-urlencoded"


class SmsActivateProvider(Provider[SmsActivate]):
    name = "smsactivate"
    title = "sms-activate"
    prefix = "/stubs"
    mounts = ("/<dialect>/stubs",)
    noun = "activation"
    routes = ROUTES
    errors = schemas.ERRORS
    invalid_json = schemas.INVALID_JSON
    state_schema = schemas.SmsActivateState
    section = SmsActivateScenario
    section_help = "The sms-activate protocol, at /stubs/handler_api.php and /<dialect>/stubs/handler_api.php"
    snapshot: ClassVar[SnapshotPart] = snapshot
    verification = VERIFICATION
    # The JSON actions carry their schemas; the text ones (ACCESS_NUMBER:...) are listed without.
    openapi_info = {"title": "sms-activate protocol (mockserver emulation)", "version": "2",
                    "security_schemes": {"apiKey": {"type": "apiKey", "in": "query", "name": "api_key",
                                                    "description": "the account's key, on every action"}}}

    def build(self, section: SmsActivateScenario, context: BuildContext) -> SmsActivate:
        outbox = context.outbox

        def notify(account: Account, activation: Activation, sms: Sms) -> None:
            if not account.webhook:
                return
            body = encode_body(dump(schemas.Webhook, {
                "activationId": activation.id, "service": activation.service.code, "text": sms.text,
                "code": sms.code, "country": activation.country.id, "receivedAt": schemas.wire_time(sms.at_ms)}))
            outbox.publish(Message(id=outbox.new_message_id(self.name), tenant=account.tenant, provider=self.name,
                                   event="sms_received", url=account.webhook, body=body, created_ms=sms.at_ms,
                                   policy=section.webhooks))

        return SmsActivate(section, name=self.name, timeline=context.timeline, phones=context.phones,
                           codes=context.codes, notify=notify, max_tenants=context.max_tenants)

    def credentials(self, request: Request) -> str | None:
        """``api_key`` (query string or form body); HeroSMS also takes ``Authorization: ApiKey``."""
        key = self.parameters(request).get("api_key")
        if key:
            return key
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "apikey" else None

    def parameters(self, request: Request) -> dict[str, str]:
        """The query string and, on POST, a form body over it (PHP's $_REQUEST)."""
        params = request.args.to_dict()
        if request.method == "POST" and request.mimetype == _FORM:
            params.update(request.form.to_dict())
        return params

    def refusal(self, section: SmsActivateScenario, request: Request, status: int, message: str) -> tuple[int, object]:
        """As the dialect the path names speaks (none named: the scenario's); a path naming no
        dialect is no URL of the protocol: 404 BAD_ACTION, whatever else is wrong."""
        named = (request.view_args or {}).get("dialect")
        dialect = section.dialects.get(section.dialect if named is None else named)
        if dialect is None:
            return 404, UnknownDialect.message
        return dialect.refusal(message)

    def state(self, backend: SmsActivate, tenant: Tenant | None) -> dict[str, Any]:
        return console.state(backend, tenant)

    def dashboard(self, backend: SmsActivate, clock: Clock) -> DashboardView:
        return console.dashboard(backend, clock, self.name, self.title, "")

    def banner(self, section: SmsActivateScenario, url: str) -> list[str]:
        return console.banner(section, url)

    def expired(self, backend: SmsActivate, tenant: Tenant | None) -> list[Ended]:
        return console.expired(backend, tenant)

    def bought(self, backend: SmsActivate, tenant: Tenant | None) -> list[Bought]:
        return console.bought(backend, tenant)

    def probes(self, backend: SmsActivate, tenant: Tenant, now_ms: int) -> list[ProbeSpec]:
        return probes.probes(backend, tenant, now_ms)

    def try_it(self, section: SmsActivateScenario, url: str) -> str:
        key = console.example_key(section) or "SA-..."
        return f"curl -s '{url}{defaults.PATH}?api_key={key}&action=getBalance'"


PROVIDER = SmsActivateProvider()
