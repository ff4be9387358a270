"""A scenario as the sandbox builds its state from it: plain frozen data, each field declared once
with its type, default, validation and description (declare.py). What every provider's section
shares lives here; each provider's own section is in its package (section.py)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from marshmallow import ValidationError, fields, validate

from mockserver.engine.chaos import NONE as NO_CHAOS
from mockserver.engine.chaos import Chaos, Rotation
from mockserver.engine.faults import FaultRule
from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import DEFAULT_MESSAGE_IDS, MESSAGE_ID_KINDS, RetryPolicy
from mockserver.scenario.common import TEMPLATE_HELP, check_template
from mockserver.scenario.declare import describe, many, option, schema_of
from mockserver.scenario.fields import LONGEST_WAIT_MS, Duration, Instant, Seed, signing_secret
from mockserver.scenario.hosts import MAX_EXTRA_HOSTS, RealHost, parse_targets

# A number gets one message this long after it is bought, unless a behavior says otherwise.
DEFAULT_SMS_AFTER_MS = 3000
DEFAULT_SMS_TEMPLATE = "Your {service} verification code is {code}."
DEFAULT_CODE_LENGTH = 6
_PATH = validate.Regexp(r"^/", error="a path starts with /")


# -- what happens to a number ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SmsPlan:
    """One message a number will receive: some time after it is bought or reused, or when the
    client polls it for the Nth time (neither given: DEFAULT_SMS_AFTER_MS after)."""
    after_ms: int | None = option(Duration, None, "Arrives this long after the number is bought or reused",
                                  key="after")
    on_poll: int | None = option(fields.Integer, None, "Arrives when the client polls the number for the Nth "
                                 "time (GETs it, or its code)", validate=validate.Range(min=1))
    text: str | None = option(fields.String, None, f"The message; {TEMPLATE_HELP}. Default: the service's own "
                              "wording", validate=check_template, example="G-{code} is your Google code.")

    def __post_init__(self) -> None:
        if self.after_ms is None and self.on_poll is None:
            object.__setattr__(self, "after_ms", DEFAULT_SMS_AFTER_MS)

    @staticmethod
    def check(data: dict) -> None:
        if data.get("after_ms") is not None and data.get("on_poll") is not None:
            raise ValidationError("give after or on_poll, not both")


DEFAULT_SMS = (SmsPlan(),)


class SmsPlans(fields.Field):
    """A list of messages, or one of the words ``never`` / ``manual`` (none arrive by themselves)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": (
            "When messages arrive: a list of {after} / {on_poll} items, or 'never' / 'manual' "
            "(only POST /_mock/sms delivers). Default: one message 3 s after purchase"),
            "anyOf": [{"type": "array", "items": {"$ref": "#/components/schemas/SmsPlan"}},
                      {"type": "string", "enum": ["never", "manual"]}]})
        super().__init__(**kwargs)
        self.item_schema = schema_of(SmsPlan)

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("never", "manual"):
            return ()
        if not isinstance(value, list):
            raise ValidationError("a list of messages, or 'never' or 'manual'")
        plans = self.item_schema(many=True).load(value)
        # by time, then by poll: the order they will arrive in
        return tuple(sorted(plans, key=lambda p: (p.after_ms is None, p.after_ms or 0, p.on_poll or 0)))


@dataclass(frozen=True, kw_only=True)
class Match:
    """Which numbers a behavior is for; every given field must match (names may be globs). Each
    provider's match declares the fields its numbers have (PVADeals: service and number)."""
    service: str | None = option(fields.String, None, "A service's name or id; a glob (Air*)", example="Airbnb")
    number: str | None = option(fields.String, None, "A glob on the E.164 number, e.g. '+1313*'", example="+1313*")
    country: str | None = None
    server: int | None = None
    operator: str | None = None

    def accepts(self, *, service: tuple[str, ...], country: str, server: int | None = None,
                operator: str | None = None, number: str | None = None) -> bool:
        return ((self.service is None or any(fnmatchcase(name, self.service) for name in service))
                and (self.country is None or fnmatchcase(country, self.country))
                and (self.server is None or self.server == server)
                and _glob(self.operator, operator) and _glob(self.number, number))


def _glob(pattern: str | None, value: str | None) -> bool:
    """No pattern matches anything; a pattern never matches an unknown value."""
    return pattern is None or (value is not None and fnmatchcase(value, pattern))


@dataclass(frozen=True, kw_only=True)
class Code:
    length: int | None = option(fields.Integer, None, "Characters in a code. Default: the service's own length",
                                validate=validate.Range(min=3, max=12))
    alphabet: str = option(fields.String, "digits", "digits (0-9), alnum (A-Z, 0-9) or letters (A-Z)",
                           validate=validate.OneOf(["digits", "alnum", "letters"]))


@dataclass(frozen=True, kw_only=True)
class Timeout:
    refund: bool = option(fields.Boolean, True, "Refund the price when a number ends with no SMS [assumed: yes]")


@dataclass(frozen=True, kw_only=True)
class Behavior:
    """What happens to a number, the part every provider has: when SMS come, how codes look,
    and whether a number that ends unused is refunded. Each provider's behavior adds its own."""
    match: Match = option(Match, Match(), "Which numbers this is for; {} matches all")
    sms: tuple[SmsPlan, ...] = option(SmsPlans, DEFAULT_SMS, allow_none=True)
    code: Code = option(Code, Code(), "How generated codes look")
    timeout: Timeout = option(Timeout, Timeout(), "What happens when a number ends unused")


AnyBehavior = TypeVar("AnyBehavior", bound=Behavior)


def first_match(behaviors: Iterable[AnyBehavior], default: AnyBehavior, **number: Any) -> AnyBehavior:
    for behavior in behaviors:
        if behavior.match.accepts(**number):
            return behavior
    return default


@dataclass(frozen=True, kw_only=True)
class KeyPatterns:
    """Unknown keys matching one of ``keys`` (patterns) become fresh accounts on first use, so
    parallel test workers can each take their own key and never see each other. Each provider's
    section says what else a new account gets."""
    keys: tuple[str, ...] = ()

    def admits(self, key: str) -> bool:
        return any(fnmatchcase(key, pattern) for pattern in self.keys)


# -- limits and webhooks: the engine's types, as a scenario writes them --------------------------


describe(Rule, name="RateLimit",
         scope=option(fields.String, text="Count per API key or per client IP", validate=validate.OneOf(["key", "ip"])),
         limit=option(fields.Integer, text="Requests allowed", validate=validate.Range(min=1), example=100),
         window_ms=option(Duration, text="Per this long", key="window", validate=validate.Range(min=1), example="60s"),
         algorithm=option(fields.String, text="rolling: a sliding window; token_bucket: refills steadily",
                          validate=validate.OneOf(["rolling", "token_bucket"])),
         paths=option(many(fields.String(validate=_PATH)),
                      text="Only these paths, relative to the provider's base (/purchase). Default: all",
                      example=["/purchase"]))

describe(RetryPolicy, name="WebhookPolicy",
         retries=option(fields.Integer, text="Attempts after the first failed one",
                        validate=validate.Range(min=0, max=50)),
         delay_ms=option(Duration, text="Virtual time between attempts", key="delay"),
         timeout_ms=option(Duration, text="Real time a receiver has to answer [assumed: 5 s]", key="timeout",
                           longest_ms=LONGEST_WAIT_MS, validate=validate.Range(min=1)))


def _ordered(data: dict) -> None:
    if data.get("from_ms", 0) >= data.get("until_ms", Rotation.until_ms):
        raise ValidationError("until: after from")


describe(Rotation, name="Rotation", check=_ordered,
         old_secret=option(fields.String, validate=signing_secret, example="whsec_c2VjcmV0", text=(
             "The secret being rotated out (whsec_...): messages made during the rotation are signed with it and "
             "with the account's own secret, two v1, signatures")),
         from_ms=option(Duration, key="from", text="When the rotation begins, after the clock's start"),
         until_ms=option(Duration, key="until", text="When it ends (the old secret is no longer used), after the "
                         "clock's start"))


def rate_limits(default: tuple[Rule, ...], default_text: str) -> Any:
    return option(many(Rule), default, f"Every rule must admit a request. Default: {default_text}", allow_none=True)


# -- faults ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FaultMatch:
    provider: str | None = option(fields.String, None, "A provider's name, as its scenario section is named",
                                  example="provynx")
    method: str | None = option(fields.String, None, "Only this HTTP method",
                                validate=validate.OneOf(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    path: str | None = option(fields.String, None, "A glob on the full path or the path within the provider's "
                              "base", validate=_PATH, example="/*/numbers")
    key: str | None = option(fields.String, None, "A glob on the API key", example="API-ci-*")


@dataclass(frozen=True, kw_only=True)
class FaultWindow:
    start: int = option(Duration, 0, "From this long after the scenario starts", key="from")
    until: int | None = option(Duration, None, "Until this long after it starts (default: forever)")


@dataclass(frozen=True, kw_only=True)
class FaultRespond:
    status: int | None = option(fields.Integer, None, "Answer with this status in the provider's own error shape",
                                validate=validate.Range(min=400, max=599))
    drop: bool = option(fields.Boolean, False, "Break the connection mid-answer instead")

    @staticmethod
    def check(data: dict) -> None:
        if (data.get("status") is None) == (not data.get("drop")):
            raise ValidationError("give a status or drop: true")


@dataclass(frozen=True, kw_only=True)
class Fault:
    match: FaultMatch = option(FaultMatch, FaultMatch(), "Which requests; {} matches every provider request")
    times: int | None = option(fields.Integer, None, "Only the first N matching requests (default: all)",
                               validate=validate.Range(min=1))
    during: FaultWindow | None = option(FaultWindow, None, "Only inside this window of virtual time")
    respond: FaultRespond | None = option(FaultRespond, None, "How to fail (with a delay only: slow, then answer)")
    delay: int = option(Duration, 0, "Real time to wait before answering (a slow provider)", longest_ms=LONGEST_WAIT_MS)

    @staticmethod
    def check(data: dict) -> None:
        if data.get("respond") is None and not data.get("delay"):
            raise ValidationError("a fault needs respond: {status: N} or {drop: true}, a delay, or both")

    def rule(self) -> FaultRule:
        match, respond, during = self.match, self.respond, self.during or FaultWindow()
        return FaultRule(provider=match.provider, method=match.method, path=match.path, key=match.key,
                         times=self.times, status=respond.status if respond else None,
                         drop=bool(respond and respond.drop), delay_ms=self.delay, from_ms=during.start,
                         until_ms=during.until)


# -- the scenario ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Clock:
    """The virtual clock."""
    start: int | None = option(Instant, None, "'now' or an ISO 8601 instant")
    frozen: bool = option(fields.Boolean, False, "A frozen clock moves only by POST /_mock/clock; otherwise it "
                          "runs in real time")


_LONGEST_HOLD_MS = 3_600_000


@dataclass(frozen=True, kw_only=True)
class SandboxWebhooks:
    duplicates: float = option(fields.Float, NO_CHAOS.duplicates, json={"default": 0}, validate=validate.Range(
        min=0, max=1), text="Delivery chaos: the share of messages (0 to 1) delivered a second time right after the "
        "first, with the same webhook-id and body; which ones is decided by the seed")
    reorder_window: int = option(Duration, NO_CHAOS.reorder_window_ms, longest_ms=_LONGEST_HOLD_MS, text=(
        "Delivery chaos: each message is held back for a seeded delay between 0 and this long (virtual time) "
        "before its first attempt, so a later event may arrive before an earlier one; 0: none"))
    rotation: Rotation | None = option(Rotation, None, "Delivery chaos: a signing-secret rotation, for providers "
                                       "that sign (Standard Webhooks)")
    message_ids: str = option(fields.String, DEFAULT_MESSAGE_IDS, validate=validate.OneOf(MESSAGE_ID_KINDS), text=(
        "How webhook message ids (webhook-id, which receivers de-duplicate on) are drawn: 'unique' (default), "
        "never the same twice, across resets and restarts; 'reproducible', from the seed, the same on every run "
        "of the same requests (a receiver that keeps the ids it processed drops the second run's deliveries)"))



def _real_hosts(targets: dict[str, str]) -> tuple[RealHost, ...]:
    try:
        return parse_targets(targets)
    except ValueError as exc:
        raise ValidationError(str(exc), "real_hosts") from None

@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A scenario file, loaded. Its ``clock:`` and ``webhooks:`` (Clock, SandboxWebhooks) and each
    provider's section are fields of the file that schema.py adds; ``loaded`` puts them here."""
    name: str = option(fields.String, text="What the scenario is called (GET /_mock/scenario and the banner show it)",
                       validate=validate.Length(min=1), example="checkout-tests")
    description: str = option(fields.String, "", "What this scenario is for", example="Sign-up flow tests")
    seed: int | str = option(Seed, 0, "Same seed + same clock start + same requests = same ids, numbers and codes",
                             json={"anyOf": [{"type": "integer"}, {"type": "string"}]})
    clock_start_ms: int | None = None         # None: start at the real time of day
    clock_frozen: bool = False
    strict_requests: bool = option(fields.Boolean, False, "Refuse (400) a request body field an API does not know, "
                                   "instead of ignoring it as the real APIs do (the journal notes every field "
                                   "ignored)")
    webhook_message_ids: str = DEFAULT_MESSAGE_IDS    # "unique" or "reproducible" (engine/webhooks.py)
    webhook_chaos: Chaos = Chaos()            # duplicates, reorder window, secret rotation (engine/chaos.py)
    # The client report's thresholds by name, as the report: section sets them; each rule
    # (mockserver/report/rules/) declares its own and their defaults, which stand for any not here.
    report: Mapping[str, float] = field(default_factory=dict)
    sections: Mapping[str, object] = field(default_factory=dict)   # provider name -> its section
    faults: tuple[FaultRule, ...] = option(many(Fault), (), "Requests to fail or slow down; the first that "
                                           "applies is used", convert=lambda faults: tuple(f.rule() for f in faults))
    real_hosts: tuple[RealHost, ...] = option(
        lambda **kwargs: fields.Dict(keys=fields.String(), values=fields.String(), **kwargs), factory=dict,
        text="Real host names the sandbox answers as a provider (TLS port, HTTPS proxy, in process), added to "
             "the providers' own (docs/real-addresses.md): host name -> provider, or provider/dialect",
        json={"maxProperties": MAX_EXTRA_HOSTS}, convert=lambda targets: _real_hosts(targets))
    source: str = "<inline>"                  # file path or bundled name, for messages
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    # The files it was read from: its own (when it is one) and the fixture files it names.
    files: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # What loaded but looks like a mistake: "file:line: field: text" each (loader.py).
    warnings: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @staticmethod
    def loaded(data: dict) -> dict:
        clock, hooks = data.pop("clock"), data.pop("webhooks")
        own = {f.name for f in dataclass_fields(Scenario)}
        return {**{name: value for name, value in data.items() if name in own},
                "sections": {name: value for name, value in data.items() if name not in own},
                "clock_start_ms": clock.start, "clock_frozen": clock.frozen, "webhook_message_ids": hooks.message_ids,
                "webhook_chaos": Chaos(hooks.duplicates, hooks.reorder_window, hooks.rotation)}

    def section(self, provider: str):
        return self.sections[provider]

    def __getattr__(self, name: str):
        """A provider's section by its name (``scenario.pvadeals``), for people reading a scenario."""
        sections = self.__dict__.get("sections") or {}
        if name in sections:
            return sections[name]
        raise AttributeError(name)

