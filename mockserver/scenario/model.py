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
from mockserver.engine.faults import HEADERS_ONLY, REAL, VIRTUAL, Canned, FaultRule
from mockserver.engine.mutations import OPS, Mutation
from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import DEFAULT_MESSAGE_IDS, MESSAGE_ID_KINDS, RetryPolicy
from mockserver.scenario.common import TEMPLATE_HELP, check_template
from mockserver.scenario.declare import describe, many, option, schema_of
from mockserver.scenario.fields import LONGEST_WAIT_MS, BodyFile, Duration, Instant, Seed, signing_secret
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


# How much a fault may send or keep of an answer: far more than any provider answer, far less than memory.
LARGEST_FAULT_BYTES = 1024 * 1024
_HEADER_NAME = validate.Regexp(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$", error="not a header name")
_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                  ".json": "application/json", ".xml": "application/xml"}
_PLAIN = "text/plain; charset=utf-8"
_KINDS = ("drop", "cut", "garbage", "empty", "reset", "trickle", "mutate")
_CANNED = ("headers", "content_type", "body", "body_file")


def _given(value: Any) -> bool:
    """Whether a respond field asks for its kind (``cut: 0`` and ``reset: headers`` do)."""
    return value is not None and value is not False and value != [] and value != ()


def _header_value(value: str) -> None:
    if any(ch in value for ch in "\r\n\0") or len(value) > 1024:
        raise ValidationError("a header value is one line of at most 1024 characters")


class ResetAt(fields.Field):
    """``headers`` (no body byte) or a number of body bytes."""
    json_schema = {"anyOf": [{"const": "headers"}, {"type": "integer", "minimum": 0, "maximum": LARGEST_FAULT_BYTES}]}

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "headers":
            return HEADERS_ONLY
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_FAULT_BYTES:
            raise ValidationError(f"expected headers, or a number of body bytes (0 to {LARGEST_FAULT_BYTES})")
        return value


@dataclass(frozen=True, kw_only=True)
class FaultMutation:
    # YAML reads an unquoted `op: null` as no value: that is the null op too.
    op: str | None = option(fields.String, "null", (
        "remove, rename (to: the new name), null, retype (to: string, number, boolean, array, object, null), add "
        "(value: the new field's), empty (a list, object or text emptied)"), allow_none=True,
        validate=validate.OneOf(OPS), json={"enum": [*OPS, None]})
    path: str = option(fields.String, text="Fields from the top of the JSON answer, dot by dot (a list's element "
                       "by its index); * is every element: data.requests.*.number",
                       validate=validate.Length(min=1, max=200))
    to: str | None = option(fields.String, None, "rename: the new name; retype: the type",
                            validate=validate.Length(min=1, max=64))
    value: Any = option(fields.Raw, None, "add: the new field's value", allow_none=True)

    @staticmethod
    def check(data: dict) -> None:
        try:
            Mutation.parse(data.get("op") or "null", data["path"], to=data.get("to"), value=data.get("value"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def mutation(self) -> Mutation:
        return Mutation.parse(self.op or "null", self.path, to=self.to, value=self.value)


@dataclass(frozen=True, kw_only=True)
class FaultRespond:
    status: int | None = option(fields.Integer, None, (
        "Answer with this status: alone, in the provider's own error shape (400 to 599); with a body, body_file, "
        "headers or content_type, that answer as given (a proxy's HTML 502, an empty 200)"),
        validate=validate.Range(min=200, max=599))
    headers: Mapping[str, str] | None = option(
        lambda **kw: fields.Dict(keys=fields.String(validate=_HEADER_NAME), values=fields.String(validate=_header_value),
                                 **kw), None, "Headers of the answer given", validate=validate.Length(max=32))
    content_type: str | None = option(fields.String, None, "Its Content-Type (default: from body_file's suffix, else "
                                      "text/plain; charset=utf-8)", validate=_header_value)
    body: str | None = option(fields.String, None, "Its body, inline", validate=validate.Length(max=LARGEST_FAULT_BYTES))
    body_file: tuple[bytes, str] | None = option(BodyFile, None, (
        "Its body from a file beside the scenario or bundled: faults/cloudflare-502.html, faults/nginx-502.html, "
        "faults/nginx-503.html, faults/nginx-504.html, faults/gateway-429.txt"))
    drop: bool = option(fields.Boolean, False, "Break the connection mid-answer instead")
    cut: int | None = option(fields.Integer, None, "The real answer's first N bytes, with Content-Length N "
                             "(malformed JSON)", validate=validate.Range(min=0, max=LARGEST_FAULT_BYTES))
    garbage: int | None = option(fields.Integer, None, "N random bytes (from the seed) instead of an answer, then "
                                 "close", validate=validate.Range(min=1, max=LARGEST_FAULT_BYTES))
    empty: bool = option(fields.Boolean, False, "Close the connection with no answer at all")
    reset: int | None = option(ResetAt, None, "The real answer's headers (reset: headers) or headers and N body "
                               "bytes, then a connection reset (RST)")
    trickle: int | None = option(Duration, None, "The real answer's headers at once, its body spread over this long",
                                 longest_ms=LONGEST_WAIT_MS, validate=validate.Range(min=1))
    clock: str = option(fields.String, REAL, "trickle: over real time, or over the tenant's virtual clock (it ends "
                        "as the test advances it)", validate=validate.OneOf([REAL, VIRTUAL]))
    mutate: tuple[FaultMutation, ...] = option(many(FaultMutation), (), "The real answer with these changes "
                                               "(schema drift)", validate=validate.Length(max=32))
    happens: bool | None = option(fields.Boolean, None, "garbage, empty: whether the call behind the answer runs "
                                  "(a purchase made) all the same (default: no)")

    @staticmethod
    def check(data: dict) -> None:
        kinds = [kind for kind in _KINDS if _given(data.get(kind))]
        canned = [name for name in _CANNED if data.get(name) is not None]
        if canned and data.get("status") is None:
            raise ValidationError(f"{', '.join(canned)} go with a status: the answer they make")
        if data.get("status") is not None:
            kinds.append("status")
        if len(set(kinds)) != 1:
            raise ValidationError("give one of: status (with body, body_file, headers or content_type for any "
                                  "answer), drop, cut, garbage, empty, reset, trickle, mutate")
        if canned and kinds != ["status"]:
            raise ValidationError(f"{', '.join(canned)} go with a status: the answer they make")
        if kinds == ["status"] and not canned and data["status"] < 400:
            raise ValidationError("Must be greater than or equal to 400 (alone, a status is an error in the "
                                  "provider's shape; give a body for any other answer)", field_name="status")
        if data.get("body") is not None and data.get("body_file") is not None:
            raise ValidationError("give body or body_file, not both")
        if data.get("happens") is not None and kinds[0] not in ("garbage", "empty"):
            raise ValidationError("happens goes with garbage or empty (the other faults say whether the call runs)")

    def rule_fields(self) -> dict[str, Any]:
        """The FaultRule fields it sets."""
        made: dict[str, Any] = {
            "drop": self.drop, "cut": self.cut, "garbage": self.garbage, "empty": self.empty, "reset": self.reset,
            "trickle_ms": self.trickle, "trickle_clock": self.clock,
            "mutations": tuple(m.mutation() for m in self.mutate), "happens": self.happens}
        if any(getattr(self, name) is not None for name in _CANNED):
            body, suffix = self.body_file or ((self.body or "").encode("utf-8"), "")
            made["canned"] = Canned(self.status or 200, self.content_type or _CONTENT_TYPES.get(suffix, _PLAIN),
                                    tuple((self.headers or {}).items()), body)
        else:
            made["status"] = self.status
        return made


@dataclass(frozen=True, kw_only=True)
class Fault:
    match: FaultMatch = option(FaultMatch, FaultMatch(), "Which requests; {} matches every provider request")
    times: int | None = option(fields.Integer, None, "At most N times (default: every time it takes a request)",
                               validate=validate.Range(min=1))
    after: int = option(fields.Integer, 0, "Let the first N matching requests through first",
                        validate=validate.Range(min=0))
    probability: float = option(fields.Float, 1.0, "The share of matching requests it takes (0 to 1), drawn from the "
                                "scenario's seed: the same seed, the same faults",
                                validate=validate.Range(min=0, max=1, min_inclusive=False))
    during: FaultWindow | None = option(FaultWindow, None, "Only inside this window of virtual time")
    respond: FaultRespond | None = option(FaultRespond, None, "How to fail (with a delay only: slow, then answer); "
                                          "see docs/faults.md")
    delay: int = option(Duration, 0, "Real time to wait before the first byte (latency)", longest_ms=LONGEST_WAIT_MS)

    @staticmethod
    def check(data: dict) -> None:
        if data.get("respond") is None and not data.get("delay"):
            raise ValidationError("a fault needs respond: (a status, an answer, a broken or slow body, mutations), "
                                  "a delay, or both")

    def rule(self) -> FaultRule:
        match, during = self.match, self.during or FaultWindow()
        respond = self.respond.rule_fields() if self.respond else {}
        return FaultRule(provider=match.provider, method=match.method, path=match.path, key=match.key,
                         times=self.times, after=self.after, probability=self.probability, **respond,
                         delay_ms=self.delay, from_ms=during.start, until_ms=during.until)


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

