"""A loaded, validated scenario: plain frozen data the sandbox builds its state from."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase

from ..engine.ratelimit import Rule
from ..engine.webhooks import RetryPolicy


@dataclass(frozen=True)
class SmsPlan:
    """One message a number will receive, some time after it is bought or reused."""
    after_ms: int
    text: str | None = None       # template; None means the service's own wording


@dataclass(frozen=True)
class Behavior:
    """What happens to a number: when SMS come, and what the client may do with it."""
    match_service: str | None = None          # a name or glob; None matches every service
    sms: tuple[SmsPlan, ...] = (SmsPlan(after_ms=3000),)
    code_length: int | None = None            # None: the service's own length
    code_alphabet: str = "digits"
    flag_allowed: bool = True
    flag_refund: bool = True
    reuse_allowed: bool = True
    reuse_price: Decimal = Decimal("0")
    reuse_window_ms: int = 20 * 60_000        # reuse stays open this long after an SMS
    reuse_lifetime_ms: int = 20 * 60_000      # a reused number waits this long for its SMS
    timeout_refund: bool = True

    def matches(self, service_name: str) -> bool:
        return self.match_service is None or fnmatchcase(service_name, self.match_service)


DEFAULT_BEHAVIOR = Behavior()
DEFAULT_SMS_TEMPLATE = "Your {service} verification code is {code}."


@dataclass(frozen=True)
class PvaService:
    id: str
    name: str
    price: Decimal
    sms: str = DEFAULT_SMS_TEMPLATE
    code_length: int = 6


@dataclass(frozen=True)
class PvaAccount:
    key: str
    credits: Decimal
    webhook: str | None = None


@dataclass(frozen=True)
class PvaDealsScenario:
    accounts: tuple[PvaAccount, ...] = ()
    services: tuple[PvaService, ...] = ()
    lifetime_ms: int = 20 * 60_000
    rate_limits: tuple[Rule, ...] = (Rule(limit=100, window_ms=60_000),)
    webhooks: RetryPolicy = RetryPolicy()
    behaviors: tuple[Behavior, ...] = ()

    def behavior_for(self, service: PvaService) -> Behavior:
        for behavior in self.behaviors:
            if behavior.matches(service.name):
                return behavior
        return DEFAULT_BEHAVIOR


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    seed: int | str = 0
    clock_start_ms: int | None = None         # None: start at the real time of day
    clock_frozen: bool = False
    pvadeals: PvaDealsScenario = PvaDealsScenario()
    source: str = "<inline>"                  # file path or bundled name, for messages
    raw: dict = field(default_factory=dict, compare=False, repr=False)
