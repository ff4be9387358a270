"""The `smsactivate:` section of a scenario, loaded: plain frozen data (section.py loads it)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.providers.smsactivate import defaults
from mockserver.scenario.model import DEFAULT_CODE_LENGTH, DEFAULT_SMS_TEMPLATE, Behavior, Tenants, first_match

TEXT, JSON = "text", "json"
COUNTRY_SERVICE, SERVICE_COUNTRY = "country_service", "service_country"


@dataclass(frozen=True)
class Dialect:
    """How one provider of the family speaks the protocol (defaults.DIALECTS)."""
    name: str
    description: str = ""
    errors: str = TEXT                                   # "json": HeroSMS's {"title","details"} on 4xx/5xx
    statuses: Mapping[str, int] = field(default_factory=dict)    # token -> HTTP status (absent: 200)
    tokens: Mapping[str, str] = field(default_factory=dict)      # a token renamed (NO_ACTIVATION -> NOT_FOUND)
    details: Mapping[str, str] = field(default_factory=dict)     # JSON errors' "details", by token
    cancel: tuple[int, ...] = (8,)                       # setStatus codes that cancel
    ready: bool = True                                   # setStatus 1 taken (ACCESS_READY)
    early_cancel_ms: int | None = None                   # None: the section's early_cancel
    actions: tuple[str, ...] = ()                        # extra actions (HeroSMS's finishActivation...)
    prices: str = COUNTRY_SERVICE                        # getPrices' nesting
    active_list: str = "activeActivations"               # getActiveActivations' list key ("data": HeroSMS)
    currency: int = defaults.CURRENCY                    # getNumberV2's currency (ISO 4217 numeric)

    def refusal(self, message: str) -> tuple[int, object]:
        """A refusal's status and body: ``message`` is a token, perhaps with ``:`` and a value."""
        token, sep, rest = message.partition(":")
        named = self.tokens.get(token, token)
        status = self.statuses.get(named, self.statuses.get(token, 200))
        if self.errors == JSON and status >= 400:
            return status, {"title": named, "details": self.details.get(named, rest or named)}
        return status, f"{named}{sep}{rest}"


@dataclass(frozen=True)
class SaService:
    code: str                                  # "tg"
    name: str                                  # "Telegram"
    sms: str = DEFAULT_SMS_TEMPLATE
    code_length: int = DEFAULT_CODE_LENGTH
    lifetime_ms: int | None = None             # None: the section's lifetimes, else its lifetime


@dataclass(frozen=True)
class SaCountry:
    id: int
    eng: str
    rus: str = ""
    chn: str = ""
    phone_code: str = "1"                      # the country calling code, digits
    number: str = "+1$$$$$$$$$"                # a number's shape (engine/ids.py PhoneNumbers.like)
    operators: tuple[str, ...] = ("any",)
    visible: bool = True
    retry: bool = True
    rent: bool = False
    multi_service: bool = True


@dataclass(frozen=True)
class SaPrice:
    country: int
    service: str
    cost: Decimal
    count: int
    retail: Decimal | None = None              # getTopCountriesByService's retail_price (None: twice the cost)


@dataclass(frozen=True)
class SaBehavior(Behavior):
    """An sms-activate behavior: the shared part, cancel refunds and setStatus 3."""
    cancel_refund: bool = defaults.CANCEL_REFUND
    another_sms: bool = defaults.CAN_GET_ANOTHER_SMS


DEFAULT_BEHAVIOR = SaBehavior()


@dataclass(frozen=True)
class SaAccount:
    key: str
    balance: Decimal = defaults.BALANCE
    webhook: str | None = None


@dataclass(frozen=True)
class SmsActivateScenario:
    accounts: tuple[SaAccount, ...] = ()
    tenants: Tenants = Tenants(balance=defaults.BALANCE)
    services: tuple[SaService, ...] = ()
    countries: tuple[SaCountry, ...] = ()
    prices: tuple[SaPrice, ...] = ()
    lifetime_ms: int = defaults.LIFETIME_MS
    lifetimes_ms: Mapping[str, int] = field(default_factory=lambda: dict(defaults.SERVICE_LIFETIMES_MS))
    early_cancel_ms: int = defaults.EARLY_CANCEL_MS
    default_country: int = defaults.DEFAULT_COUNTRY
    rate_limits: tuple[Rule, ...] = defaults.RATE_LIMITS
    webhooks: RetryPolicy = RetryPolicy(retries=defaults.WEBHOOK_RETRIES)
    behaviors: tuple[SaBehavior, ...] = ()
    dialect: str = defaults.DIALECT
    dialects: Mapping[str, Dialect] = field(default_factory=dict)

    def lifetime_of(self, service: SaService) -> int:
        if service.lifetime_ms is not None:
            return service.lifetime_ms
        return self.lifetimes_ms.get(service.code, self.lifetime_ms)

    def early_cancel_of(self, dialect: Dialect) -> int:
        return self.early_cancel_ms if dialect.early_cancel_ms is None else dialect.early_cancel_ms

    def behavior_for(self, service: SaService, country: SaCountry, operator: str, number: str) -> SaBehavior:
        found = first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.code, service.name),
                            country=str(country.id), operator=operator, number=number)
        assert isinstance(found, SaBehavior)
        return found
