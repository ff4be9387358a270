"""A loaded, validated scenario: plain frozen data the sandbox builds its state from."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase

from ..engine.faults import FaultRule
from ..engine.ratelimit import Rule
from ..engine.webhooks import RetryPolicy


@dataclass(frozen=True)
class SmsPlan:
    """One message a number will receive: some time after it is bought or reused, or when the
    client polls it for the Nth time."""
    after_ms: int | None = None
    on_poll: int | None = None
    text: str | None = None       # template; None means the service's own wording


@dataclass(frozen=True)
class Match:
    """Which numbers a behavior is for; every given field must match (names may be globs)."""
    service: str | None = None                # a service's name or id
    country: str | None = None
    server: int | None = None
    operator: str | None = None
    number: str | None = None                 # a glob on the E.164 number, e.g. "+1313*"

    def accepts(self, *, service: tuple[str, ...], country: str, server: int | None = None,
                operator: str | None = None, number: str | None = None) -> bool:
        return ((self.service is None or any(fnmatchcase(name, self.service) for name in service))
                and (self.country is None or fnmatchcase(country, self.country))
                and (self.server is None or self.server == server)
                and _glob(self.operator, operator) and _glob(self.number, number))


def _glob(pattern: str | None, value: str | None) -> bool:
    """No pattern matches anything; a pattern never matches an unknown value."""
    return pattern is None or (value is not None and fnmatchcase(value, pattern))


@dataclass(frozen=True)
class Behavior:
    """What happens to a number: when SMS come, and what the client may do with it."""
    match: Match = Match()
    sms: tuple[SmsPlan, ...] = (SmsPlan(after_ms=3000),)
    code_length: int | None = None            # None: the service's own length
    code_alphabet: str = "digits"
    flag_allowed: bool = True
    flag_refund: bool = True
    reuse_allowed: bool = True
    reuse_price: Decimal = Decimal("0")
    reuse_window_ms: int = 20 * 60_000        # reuse stays open this long after an SMS
    reuse_lifetime_ms: int = 20 * 60_000      # a reused number waits this long for its SMS
    cancel_allowed: bool = True               # Provynx: US numbers can be canceled while pending
    cancel_refund: bool = True
    timeout_refund: bool = True
    stock: int | None = None                  # Provynx: replaces the catalog's stock of matching services


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
class Tenants:
    """Unknown keys matching one of ``patterns`` become fresh accounts on first use, so parallel
    test workers can each take their own key and never see each other."""
    patterns: tuple[str, ...] = ()
    balance: Decimal = Decimal("100.00")
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def admits(self, key: str) -> bool:
        return any(fnmatchcase(key, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class PvaDealsScenario:
    accounts: tuple[PvaAccount, ...] = ()
    tenants: Tenants = Tenants()
    services: tuple[PvaService, ...] = ()
    lifetime_ms: int = 20 * 60_000
    rate_limits: tuple[Rule, ...] = (Rule(limit=100, window_ms=60_000),)
    webhooks: RetryPolicy = RetryPolicy()
    behaviors: tuple[Behavior, ...] = ()

    def behavior_for(self, service: PvaService, number: str) -> Behavior:
        return first_match(self.behaviors, service=(service.name, service.id), country="us", number=number)


def first_match(behaviors, **number) -> Behavior:
    for behavior in behaviors:
        if behavior.match.accepts(**number):
            return behavior
    return DEFAULT_BEHAVIOR


# -- Provynx ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PnxOperator:
    id: str
    name: str


@dataclass(frozen=True)
class PnxService:
    id: str
    name: str
    price: Decimal
    stock: int
    operators: tuple[str, ...] = ()           # empty: every operator of the country carries it
    sms: str = DEFAULT_SMS_TEMPLATE
    code_length: int = 6

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
    balance: Decimal = Decimal("0")
    webhook_url: str | None = None
    webhook_secret: str | None = None


@dataclass(frozen=True)
class SandboxRules:
    """What test keys (nsk_test_...) see: the documented fixed balance and polled code."""
    polls: int = 2
    code: str = "123456"
    balance: Decimal = Decimal("100.00")


@dataclass(frozen=True)
class ProvynxScenario:
    accounts: tuple[PnxAccount, ...] = ()
    tenants: Tenants = Tenants()
    servers: dict = field(default_factory=dict)          # int -> PnxServer
    lifetime_ms: int = 20 * 60_000
    rate_limits: tuple[Rule, ...] = (Rule(limit=60, window_ms=60_000),)
    webhooks: RetryPolicy = RetryPolicy()
    behaviors: tuple[Behavior, ...] = ()
    sandbox: SandboxRules = SandboxRules()
    cors_origins: tuple[str, ...] = ()
    idempotency_ttl_ms: int = 24 * 3_600_000

    def behavior_for(self, server: PnxServer, country: PnxCountry, operator: str | None, service: PnxService,
                     number: str | None = None) -> Behavior:
        return first_match(self.behaviors, service=(service.name, service.id), country=country.code,
                           server=server.id, operator=operator, number=number)

    def stock_of(self, server: PnxServer, country: PnxCountry, service: PnxService) -> int:
        """The catalog's stock, unless the first behavior for the service (any operator) sets one."""
        behavior = self.behavior_for(server, country, None, service)
        return service.stock if behavior.stock is None else behavior.stock


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    seed: int | str = 0
    clock_start_ms: int | None = None         # None: start at the real time of day
    clock_frozen: bool = False
    pvadeals: PvaDealsScenario = PvaDealsScenario()
    provynx: ProvynxScenario = ProvynxScenario()
    faults: tuple[FaultRule, ...] = ()
    source: str = "<inline>"                  # file path or bundled name, for messages
    raw: dict = field(default_factory=dict, compare=False, repr=False)
