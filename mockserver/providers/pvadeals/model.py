"""The `pvadeals:` section of a scenario, loaded: plain frozen data (section.py loads it)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ...engine.ratelimit import Rule
from ...engine.webhooks import RetryPolicy
from ...scenario.model import DEFAULT_CODE_LENGTH, DEFAULT_SMS_TEMPLATE, Behavior, Tenants, first_match
from . import defaults


@dataclass(frozen=True)
class PvaBehavior(Behavior):
    """A PVADeals behavior: the shared part, and what clients may flag and reuse."""
    flag_allowed: bool = defaults.FLAG_ALLOWED
    flag_refund: bool = defaults.FLAG_REFUND
    reuse_allowed: bool = defaults.REUSE_ALLOWED
    reuse_price: Decimal = defaults.REUSE_PRICE
    reuse_window_ms: int = defaults.REUSE_WINDOW_MS
    reuse_lifetime_ms: int = defaults.REUSE_LIFETIME_MS


DEFAULT_BEHAVIOR = PvaBehavior()


@dataclass(frozen=True)
class PvaService:
    id: str
    name: str
    price: Decimal
    sms: str = DEFAULT_SMS_TEMPLATE
    code_length: int = DEFAULT_CODE_LENGTH


@dataclass(frozen=True)
class PvaAccount:
    key: str
    credits: Decimal = defaults.CREDITS
    webhook: str | None = None


@dataclass(frozen=True)
class PvaDealsScenario:
    accounts: tuple[PvaAccount, ...] = ()
    tenants: Tenants = Tenants(balance=defaults.CREDITS)
    services: tuple[PvaService, ...] = ()
    lifetime_ms: int = defaults.LIFETIME_MS
    rate_limits: tuple[Rule, ...] = defaults.RATE_LIMITS
    webhooks: RetryPolicy = RetryPolicy()
    behaviors: tuple[PvaBehavior, ...] = ()

    def behavior_for(self, service: PvaService, number: str) -> PvaBehavior:
        return first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.name, service.id), country="us",
                           number=number)
