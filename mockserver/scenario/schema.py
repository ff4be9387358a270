"""The scenario file format. Defaults here are the SPEC's values, [assumed] ones included,
so a scenario only writes what it changes."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from ..engine.ratelimit import Rule
from ..engine.webhooks import RetryPolicy
from .fields import Duration, FixtureList, Instant, Money, Seed
from .model import (DEFAULT_SMS_TEMPLATE, Behavior, PvaAccount, PvaDealsScenario, PvaService,
                    Scenario, SmsPlan)

_OBJECT_ID = validate.Regexp(r"^[0-9a-f]{24}$", error="must be a 24-digit lowercase hex ObjectId")
_TEMPLATE_FIELDS = ("service", "code", "number")


def _check_template(text: str) -> None:
    try:
        text.format(**{name: "" for name in _TEMPLATE_FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(
            f"bad template {text!r}: use only {{service}}, {{code}} and {{number}} ({exc})") from exc


class _Strict(Schema):
    """Unknown keys are refused (marshmallow's default), so a typo never passes silently.
    A missing section is loaded as an empty one, so its defaults come from its own schema;
    ``loaded_defaults`` are defaults that must go through their field too (a fixture name)."""

    loaded_defaults: dict = {}

    @pre_load
    def _fill_sections(self, data, **kwargs):
        if isinstance(data, dict):
            missing = {name: {} for name, field in self.fields.items()
                       if isinstance(field, fields.Nested) and not field.many and name not in data}
            missing.update({name: value for name, value in self.loaded_defaults.items() if name not in data})
            data = {**missing, **data}
        return data


class SmsPlanSchema(_Strict):
    after = Duration(load_default=3000)
    text = fields.String(load_default=None, validate=_check_template)

    @post_load
    def make(self, data, **kwargs):
        return SmsPlan(after_ms=data["after"], text=data["text"])


class MatchSchema(_Strict):
    service = fields.String(load_default=None)


class CodeSchema(_Strict):
    length = fields.Integer(load_default=None, validate=validate.Range(min=3, max=12))
    alphabet = fields.String(load_default="digits", validate=validate.OneOf(["digits", "alnum", "letters"]))


class FlagSchema(_Strict):
    allowed = fields.Boolean(load_default=True)
    refund = fields.Boolean(load_default=True)


class ReuseSchema(_Strict):
    allowed = fields.Boolean(load_default=True)
    price = Money(load_default=Decimal("0"))
    window = Duration(load_default=20 * 60_000)
    lifetime = Duration(load_default=20 * 60_000, validate=validate.Range(min=1))


class TimeoutSchema(_Strict):
    refund = fields.Boolean(load_default=True)


class BehaviorSchema(_Strict):
    match = fields.Nested(MatchSchema)
    sms = fields.List(fields.Nested(SmsPlanSchema), load_default=None)
    code = fields.Nested(CodeSchema)
    flag = fields.Nested(FlagSchema)
    reuse = fields.Nested(ReuseSchema)
    timeout = fields.Nested(TimeoutSchema)

    @post_load
    def make(self, data, **kwargs):
        sms = Behavior.sms if data["sms"] is None else tuple(sorted(data["sms"], key=lambda p: p.after_ms))
        return Behavior(
            match_service=data["match"]["service"],
            sms=sms,
            code_length=data["code"]["length"],
            code_alphabet=data["code"]["alphabet"],
            flag_allowed=data["flag"]["allowed"],
            flag_refund=data["flag"]["refund"],
            reuse_allowed=data["reuse"]["allowed"],
            reuse_price=data["reuse"]["price"],
            reuse_window_ms=data["reuse"]["window"],
            reuse_lifetime_ms=data["reuse"]["lifetime"],
            timeout_refund=data["timeout"]["refund"],
        )


class RateLimitSchema(_Strict):
    scope = fields.String(load_default="key", validate=validate.OneOf(["key", "ip"]))
    limit = fields.Integer(required=True, validate=validate.Range(min=1))
    window = Duration(required=True, validate=validate.Range(min=1))
    algorithm = fields.String(load_default="rolling", validate=validate.OneOf(["rolling", "token_bucket"]))
    paths = fields.List(fields.String(validate=validate.Regexp(r"^/", error="a path starts with /")),
                        load_default=list)

    @post_load
    def make(self, data, **kwargs):
        return Rule(limit=data["limit"], window_ms=data["window"], scope=data["scope"],
                    algorithm=data["algorithm"], paths=tuple(data["paths"]))


class WebhookPolicySchema(_Strict):
    retries = fields.Integer(load_default=5, validate=validate.Range(min=0, max=50))
    delay = Duration(load_default=5000)
    timeout = Duration(load_default=5000, validate=validate.Range(min=1))

    @post_load
    def make(self, data, **kwargs):
        return RetryPolicy(retries=data["retries"], delay_ms=data["delay"], timeout_ms=data["timeout"])


class PvaAccountSchema(_Strict):
    key = fields.String(required=True, validate=validate.Regexp(
        r"^API-[A-Za-z0-9_.-]+$", error="a PVADeals key looks like API-xxxx (letters, digits, - _ .)"))
    credits = Money(load_default=Decimal("100.00"))
    webhook = fields.Url(load_default=None, require_tld=False, schemes={"http", "https"})

    @post_load
    def make(self, data, **kwargs):
        return PvaAccount(key=data["key"], credits=data["credits"], webhook=data["webhook"])


class PvaServiceSchema(_Strict):
    id = fields.String(required=True, validate=_OBJECT_ID)
    name = fields.String(required=True, validate=validate.Length(min=1))
    price = Money(required=True)
    sms = fields.String(load_default=DEFAULT_SMS_TEMPLATE, validate=_check_template)
    code_length = fields.Integer(load_default=6, validate=validate.Range(min=3, max=12))

    @post_load
    def make(self, data, **kwargs):
        return PvaService(**data)


class PvaDealsSchema(_Strict):
    loaded_defaults = {"services": "pvadeals/services.yaml"}

    accounts = fields.List(fields.Nested(PvaAccountSchema), load_default=list)
    services = FixtureList(PvaServiceSchema)
    lifetime = Duration(load_default=20 * 60_000, validate=validate.Range(min=1))
    rate_limits = fields.List(fields.Nested(RateLimitSchema), load_default=None)
    webhooks = fields.Nested(WebhookPolicySchema)
    behaviors = fields.List(fields.Nested(BehaviorSchema), load_default=list)

    @validates_schema
    def unique(self, data, **kwargs):
        _no_repeats([a.key for a in data.get("accounts", [])], "accounts", "key")
        _no_repeats([s.id for s in data.get("services", [])], "services", "id")

    @post_load
    def make(self, data, **kwargs):
        return PvaDealsScenario(
            accounts=tuple(data["accounts"]),
            services=tuple(data["services"]),
            lifetime_ms=data["lifetime"],
            rate_limits=PvaDealsScenario.rate_limits if data["rate_limits"] is None else tuple(data["rate_limits"]),
            webhooks=data["webhooks"],
            behaviors=tuple(data["behaviors"]),
        )


class ClockSchema(_Strict):
    start = Instant(load_default=None)
    frozen = fields.Boolean(load_default=False)


class ScenarioSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="")
    seed = Seed(load_default=0)
    clock = fields.Nested(ClockSchema)
    pvadeals = fields.Nested(PvaDealsSchema)

    @post_load
    def make(self, data, **kwargs):
        return Scenario(
            name=data["name"], description=data["description"], seed=data["seed"],
            clock_start_ms=data["clock"]["start"], clock_frozen=data["clock"]["frozen"],
            pvadeals=data["pvadeals"],
        )


def _no_repeats(values: list, where: str, field: str) -> None:
    seen = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ValidationError({where: {index: {field: [f"{value!r} appears twice"]}}})
        seen.add(value)
