"""The `pvadeals:` section of a scenario: its format, loaded into model.py's data."""
from __future__ import annotations

from marshmallow import fields, post_load, validate, validates_schema

from ...scenario.common import (TEMPLATE_HELP, BehaviorSchema, Strict, WebhookPolicySchema, check_template,
                                described, no_repeats, rate_limits_field)
from ...scenario.fields import Duration, Fixture, Money
from ...scenario.model import DEFAULT_CODE_LENGTH, DEFAULT_SMS_TEMPLATE, Tenants
from . import defaults
from .model import PvaAccount, PvaBehavior, PvaDealsScenario, PvaService

_OBJECT_ID = validate.Regexp(r"^[0-9a-f]{24}$", error="must be a 24-digit lowercase hex ObjectId")


class FlagSchema(Strict):
    allowed = fields.Boolean(load_default=defaults.FLAG_ALLOWED, metadata=described("allowFlag on a fresh purchase"))
    refund = fields.Boolean(load_default=defaults.FLAG_REFUND, metadata=described(
        "Refund when flagged before the SMS [assumed: yes]"))


class ReuseSchema(Strict):
    allowed = fields.Boolean(load_default=defaults.REUSE_ALLOWED,
                             metadata=described("allowReuse once the SMS has arrived"))
    price = Money(load_default=defaults.REUSE_PRICE, metadata=described("What a reuse costs [assumed: 0]"))
    window = Duration(load_default=defaults.REUSE_WINDOW_MS, metadata=described(
        "Reuse stays open this long after the SMS [assumed: 20m]"))
    lifetime = Duration(load_default=defaults.REUSE_LIFETIME_MS, validate=validate.Range(min=1), metadata=described(
        "A reused number waits this long for its SMS [assumed: 20m]"))


class PvaBehaviorSchema(BehaviorSchema):
    flag = fields.Nested(FlagSchema, metadata=described("POST /flag/{id}"))
    reuse = fields.Nested(ReuseSchema, metadata=described("POST /reuse/{id}"))

    @post_load
    def make(self, data, **kwargs):
        return PvaBehavior(**self.behavior_fields(data),
                        flag_allowed=data["flag"]["allowed"], flag_refund=data["flag"]["refund"],
                        reuse_allowed=data["reuse"]["allowed"], reuse_price=data["reuse"]["price"],
                        reuse_window_ms=data["reuse"]["window"], reuse_lifetime_ms=data["reuse"]["lifetime"])


class PvaAccountSchema(Strict):
    key = fields.String(required=True, validate=validate.Regexp(
        r"^API-[A-Za-z0-9_.-]+$", error="a PVADeals key looks like API-xxxx (letters, digits, - _ .)"),
        metadata=described("The API key, sent as Authorization: Bearer API-..."))
    credits = Money(load_default=defaults.CREDITS, metadata=described("Starting balance"))
    webhook = fields.Url(load_default=None, require_tld=False, schemes={"http", "https"}, metadata=described(
        "Where events are POSTed; the query string is kept (PVADeals signs nothing)"))

    @post_load
    def make(self, data, **kwargs):
        return PvaAccount(key=data["key"], credits=data["credits"], webhook=data["webhook"])


class PvaServiceSchema(Strict):
    id = fields.String(required=True, validate=_OBJECT_ID, metadata=described("The service's _id"))
    name = fields.String(required=True, validate=validate.Length(min=1))
    price = Money(required=True)
    sms = fields.String(load_default=DEFAULT_SMS_TEMPLATE, validate=check_template,
                        metadata=described(f"The service's SMS wording; {TEMPLATE_HELP}"))
    code_length = fields.Integer(load_default=DEFAULT_CODE_LENGTH, validate=validate.Range(min=3, max=12))

    @post_load
    def make(self, data, **kwargs):
        return PvaService(**data)


class PvaTenantsSchema(Strict):
    keys = fields.List(fields.String(validate=validate.Regexp(r"^API-", error="a pattern for API-... keys")),
                       load_default=list, metadata=described("Key patterns, e.g. API-test-*"))
    credits = Money(load_default=defaults.CREDITS, metadata=described("Each new account's balance"))
    webhook = fields.Url(load_default=None, require_tld=False, schemes={"http", "https"},
                         metadata=described("Each new account's webhook URL"))

    @post_load
    def make(self, data, **kwargs):
        return Tenants(patterns=tuple(data["keys"]), balance=data["credits"], webhook_url=data["webhook"])


class PvaDealsSchema(Strict):
    loaded_defaults = {"services": defaults.SERVICES_FIXTURE}

    accounts = fields.List(fields.Nested(PvaAccountSchema), load_default=list)
    tenants = fields.Nested(PvaTenantsSchema, metadata=described(
        "Unknown keys matching these patterns become fresh accounts on first use (one per test worker)"))
    services = Fixture(PvaServiceSchema, many=True, metadata=described(
        "The catalog: a list, or a fixture file (next to the scenario, or bundled: pvadeals/services.yaml)"))
    lifetime = Duration(load_default=defaults.LIFETIME_MS, validate=validate.Range(min=1),
                        metadata=described("How long a purchase waits for its SMS"))
    rate_limits = rate_limits_field("100 requests per rolling 60 s per key")
    webhooks = fields.Nested(WebhookPolicySchema, metadata=described("Delivery retries"))
    behaviors = fields.List(fields.Nested(PvaBehaviorSchema), load_default=list,
                            metadata=described("First match wins; none matching: SMS 3 s after purchase"))

    @validates_schema
    def unique(self, data, **kwargs):
        no_repeats([a.key for a in data.get("accounts", [])], "accounts", "key")
        no_repeats([s.id for s in data.get("services", [])], "services", "id")

    @post_load
    def make(self, data, **kwargs):
        return PvaDealsScenario(
            accounts=tuple(data["accounts"]), tenants=data["tenants"], services=tuple(data["services"]),
            lifetime_ms=data["lifetime"],
            rate_limits=defaults.RATE_LIMITS if data["rate_limits"] is None else tuple(data["rate_limits"]),
            webhooks=data["webhooks"], behaviors=tuple(data["behaviors"]))
