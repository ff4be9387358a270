"""A loaded, validated scenario: plain frozen data the sandbox builds its state from. What every
provider's section shares lives here; each provider's own section is in its package (model.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase

from mockserver.engine.chaos import Chaos
from mockserver.engine.faults import FaultRule
from mockserver.engine.webhooks import DEFAULT_MESSAGE_IDS

# A number gets one message this long after it is bought, unless a behavior says otherwise.
DEFAULT_SMS_AFTER_MS = 3000
DEFAULT_SMS_TEMPLATE = "Your {service} verification code is {code}."
DEFAULT_CODE_LENGTH = 6


@dataclass(frozen=True)
class SmsPlan:
    """One message a number will receive: some time after it is bought or reused, or when the
    client polls it for the Nth time."""
    after_ms: int | None = None
    on_poll: int | None = None
    text: str | None = None       # template; None means the service's own wording


DEFAULT_SMS = (SmsPlan(after_ms=DEFAULT_SMS_AFTER_MS),)


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
    """What happens to a number, the part every provider has: when SMS come, how codes look,
    and whether a number that ends unused is refunded. Each provider's behavior adds its own."""
    match: Match = Match()
    sms: tuple[SmsPlan, ...] = DEFAULT_SMS
    code_length: int | None = None            # None: the service's own length
    code_alphabet: str = "digits"
    timeout_refund: bool = True               # [assumed] a number that ends with no SMS is refunded


def first_match(behaviors, default: Behavior, **number) -> Behavior:
    for behavior in behaviors:
        if behavior.match.accepts(**number):
            return behavior
    return default


@dataclass(frozen=True)
class Tenants:
    """Unknown keys matching one of ``patterns`` become fresh accounts on first use, so parallel
    test workers can each take their own key and never see each other."""
    patterns: tuple[str, ...] = ()
    balance: Decimal = Decimal("0")           # each provider's section gives its own default
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def admits(self, key: str) -> bool:
        return any(fnmatchcase(key, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    seed: int | str = 0
    clock_start_ms: int | None = None         # None: start at the real time of day
    clock_frozen: bool = False
    sections: Mapping[str, object] = field(default_factory=dict)   # provider name -> its section
    faults: tuple[FaultRule, ...] = ()
    strict_requests: bool = False             # True: a body field an API does not know is a 400
    webhook_message_ids: str = DEFAULT_MESSAGE_IDS    # "unique" or "reproducible" (engine/webhooks.py)
    webhook_chaos: Chaos = Chaos()            # duplicates, reorder window, secret rotation (engine/chaos.py)
    # The client report's thresholds by name, as the report: section sets them; each rule
    # (mockserver/report/rules/) declares its own and their defaults, which stand for any not here.
    report: Mapping[str, float] = field(default_factory=dict)
    source: str = "<inline>"                  # file path or bundled name, for messages
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    # The files it was read from: its own (when it is one) and the fixture files it names.
    files: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def section(self, provider: str):
        return self.sections[provider]

    def __getattr__(self, name: str):
        """A provider's section by its name (``scenario.pvadeals``), for people reading a scenario."""
        sections = self.__dict__.get("sections") or {}
        if name in sections:
            return sections[name]
        raise AttributeError(name)
