"""The `provynx:` section of a scenario, loaded: plain frozen data (section.py loads it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.providers.provynx import defaults
from mockserver.scenario.model import (
    DEFAULT_CODE_LENGTH,
    DEFAULT_SMS_TEMPLATE,
    Behavior,
    Tenants,
    first_match,
)


@dataclass(frozen=True)
class PnxBehavior(Behavior):
    """A Provynx behavior: the shared part, cancels, and stock."""
    cancel_allowed: bool = defaults.CANCEL_ALLOWED
    cancel_refund: bool = defaults.CANCEL_REFUND
    stock: int | None = None                  # replaces the catalog's stock of matching services


DEFAULT_BEHAVIOR = PnxBehavior()


@dataclass(frozen=True)
class PnxOperator:
    id: str
    name: str


@dataclass(frozen=True)
class PnxService:
    id: str
    name: str
    price: Decimal
    stock: int = defaults.SERVICE_STOCK
    operators: tuple[str, ...] = ()           # empty: every operator of the country carries it
    sms: str = DEFAULT_SMS_TEMPLATE
    code_length: int = DEFAULT_CODE_LENGTH

    def carried_by(self, operator: str) -> bool:
        return not self.operators or operator in self.operators


@dataclass(frozen=True)
class PnxCountry:
    code: str
    name: str
    number_format: str                        # Faker numerify pattern: # any digit, $ 2-9
    operators: tuple[PnxOperator, ...]
    services: tuple[PnxService, ...]

    def operator(self, operator_id: str) -> PnxOperator | None:
        return next((o for o in self.operators if o.id == operator_id), None)

    def service(self, service_id: str) -> PnxService | None:
        return next((s for s in self.services if s.id == service_id), None)


@dataclass(frozen=True)
class PnxServer:
    id: int
    us: PnxCountry
    countries: tuple[PnxCountry, ...]         # the global catalog

    def country(self, code: str) -> PnxCountry | None:
        return next((c for c in self.countries if c.code == code), None)


@dataclass(frozen=True)
class PnxAccount:
    name: str
    keys: tuple[str, ...]
    revoked_keys: tuple[str, ...] = ()
    balance: Decimal = defaults.BALANCE
    webhook_url: str | None = None
    webhook_secret: str | None = None


@dataclass(frozen=True)
class SandboxRules:
    """What test keys (nsk_test_...) see: the documented fixed balance and polled code."""
    polls: int = defaults.SANDBOX_POLLS
    code: str = defaults.SANDBOX_CODE
    balance: Decimal = defaults.SANDBOX_BALANCE


@dataclass(frozen=True)
class ProvynxScenario:
    accounts: tuple[PnxAccount, ...] = ()
    tenants: Tenants = Tenants(balance=defaults.BALANCE)
    servers: dict = field(default_factory=dict)          # server number -> PnxServer
    lifetime_ms: int = defaults.LIFETIME_MS
    rate_limits: tuple[Rule, ...] = defaults.RATE_LIMITS
    webhooks: RetryPolicy = RetryPolicy()
    behaviors: tuple[PnxBehavior, ...] = ()
    sandbox: SandboxRules = SandboxRules()
    cors_origins: tuple[str, ...] = ()
    idempotency_ttl_ms: int = defaults.IDEMPOTENCY_TTL_MS

    def behavior_for(self, server: PnxServer, country: PnxCountry, operator: str | None, service: PnxService,
                     number: str | None = None) -> PnxBehavior:
        return first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.name, service.id),
                           country=country.code, server=server.id, operator=operator, number=number)

    @cached_property
    def initial_stock(self) -> dict[tuple[int, str, str], int]:
        """(server, country, service) -> the stock a fresh state starts with. Worked out once per
        scenario (it matches every offer against the behaviors: about 0.5 ms for the bundled
        catalog), not at every reset; a caller copies it before changing it."""
        return {(server.id, country.code, service.id): self.stock_of(server, country, service)
                for server in self.servers.values()
                for country in (server.us, *server.countries) for service in country.services}

    def stock_of(self, server: PnxServer, country: PnxCountry, service: PnxService) -> int:
        """The catalog's stock, unless the first behavior for the service (any operator) sets one."""
        behavior = self.behavior_for(server, country, None, service)
        return service.stock if behavior.stock is None else behavior.stock
