"""The `pvadeals:` section of a scenario, loaded: plain frozen data (section.py loads it)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.providers.pvadeals import defaults
from mockserver.scenario.model import (
    DEFAULT_CODE_LENGTH,
    DEFAULT_SMS_TEMPLATE,
    Behavior,
    Tenants,
    first_match,
)


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
    price: Decimal                            # a short-term (20-minute) number: the collection's STRprice
    sms: str = DEFAULT_SMS_TEMPLATE
    code_length: int = DEFAULT_CODE_LENGTH
    ltr_prices: tuple[tuple[int, Decimal], ...] = ()    # (days, price) of each rental offered
    picture: str | None = None                # None: a picture mockserver serves itself
    area_codes: tuple[str, ...] | None = None  # None: the section's list

    def ltr_price(self, days: int) -> Decimal | None:
        return next((price for offered, price in self.ltr_prices if offered == days), None)


@dataclass(frozen=True)
class Rentals:
    """Long-term rentals: the number for every service, and [assumed] refunds."""
    all_services_price: Decimal = defaults.ALL_SERVICES_PRICE
    all_services_days: int = defaults.ALL_SERVICES_DAYS
    flag_refund: bool = defaults.RENTAL_FLAG_REFUND
    end_refund: bool = defaults.RENTAL_END_REFUND


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
    shape: str = defaults.SHAPE
    area_codes: tuple[str, ...] = defaults.AREA_CODES
    rentals: Rentals = Rentals()

    def area_codes_of(self, service: PvaService) -> tuple[str, ...]:
        return self.area_codes if service.area_codes is None else service.area_codes

    def behavior_for(self, service: PvaService, number: str) -> PvaBehavior:
        return first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.name, service.id), country="us",
                           number=number)
