"""The `pvadeals:` section of a scenario: its format, loaded into model.py's data."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from mockserver.providers.pvadeals import defaults
from mockserver.providers.pvadeals.model import (
    PvaAccount,
    PvaBehavior,
    PvaDealsScenario,
    PvaService,
    Rentals,
)
from mockserver.scenario.common import (
    TEMPLATE_HELP,
    BehaviorSchema,
    Strict,
    WebhookPolicySchema,
    check_template,
    described,
    no_repeats,
    rate_limits_field,
    sms_length_problems,
)
from mockserver.scenario.fields import Duration, Fixture, Money, WebhookUrl
from mockserver.scenario.model import DEFAULT_CODE_LENGTH, DEFAULT_SMS_TEMPLATE, Tenants

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
    webhook = WebhookUrl(load_default=None, metadata=described(
        "Where events are POSTed; the query string is kept (PVADeals signs nothing)"))

    @post_load
    def make(self, data, **kwargs):
        return PvaAccount(key=data["key"], credits=data["credits"], webhook=data["webhook"])


_AREA_CODE = validate.Regexp(r"^[2-9][0-9]{2}$", error="a US area code: three digits, the first 2-9")


def _area_codes(help_text: str, **kwargs) -> fields.List:
    return fields.List(fields.String(validate=_AREA_CODE), metadata=described(help_text), **kwargs)


class PvaServiceSchema(Strict):
    id = fields.String(required=True, validate=_OBJECT_ID, metadata=described("The service's _id"))
    name = fields.String(required=True, validate=validate.Length(min=1))
    price = Money(required=True, metadata=described("A short-term number's price (the collection's STRprice)"))
    ltr_prices = fields.Dict(keys=fields.Integer(validate=validate.OneOf(defaults.LTR_DURATIONS)), values=Money(),
                             load_default=dict, metadata=described(
                                 "A long-term rental's price by days (3, 7, 14, 30); a duration not listed is not "
                                 "offered"))
    picture = fields.Url(load_default=None, require_tld=False, metadata=described(
        "The catalog's picture URL (default: one the sandbox serves itself)"))
    area_codes = _area_codes("Area codes this service's numbers can have (default: the section's area_codes)",
                             load_default=None)
    sms = fields.String(load_default=DEFAULT_SMS_TEMPLATE, validate=check_template,
                        metadata=described(f"The service's SMS wording; {TEMPLATE_HELP}"))
    code_length = fields.Integer(load_default=DEFAULT_CODE_LENGTH, validate=validate.Range(min=3, max=12))

    @post_load
    def make(self, data, **kwargs):
        codes = data["area_codes"]
        return PvaService(**{**data, "ltr_prices": tuple(sorted(data["ltr_prices"].items())),
                             "area_codes": None if codes is None else tuple(codes)})


class RentalsSchema(Strict):
    all_services_price = Money(load_default=defaults.ALL_SERVICES_PRICE, metadata=described(
        "The 28-day number that takes SMS from any service (serviceId ALL_SERVICES)"))
    flag_refund = fields.Boolean(load_default=defaults.RENTAL_FLAG_REFUND, metadata=described(
        "Refund a rental flagged before its first SMS [assumed: yes]"))
    end_refund = fields.Boolean(load_default=defaults.RENTAL_END_REFUND, metadata=described(
        "Refund a rental that ends without renewing [assumed: no]"))

    @post_load
    def make(self, data, **kwargs):
        return Rentals(**data)


class PvaTenantsSchema(Strict):
    keys = fields.List(fields.String(validate=validate.Regexp(r"^API-", error="a pattern for API-... keys")),
                       load_default=list, metadata=described("Key patterns, e.g. API-test-*"))
    credits = Money(load_default=defaults.CREDITS, metadata=described("Each new account's balance"))
    webhook = WebhookUrl(load_default=None, metadata=described("Each new account's webhook URL"))

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
    shape = fields.String(load_default=defaults.SHAPE, validate=validate.OneOf(defaults.SHAPES), metadata=described(
        "Which source answers follow where PVADeals' doc page and its API collection differ: documented, "
        "collection, or both (the union)"))
    area_codes = _area_codes("Area codes numbers can have, unless a service gives its own; any other asked for: 422",
                             load_default=lambda: list(defaults.AREA_CODES))
    rentals = fields.Nested(RentalsSchema, metadata=described("Long-term rentals (POST /purchase-ltr)"))

    @validates_schema
    def unique(self, data, **kwargs):
        no_repeats([a.key for a in data.get("accounts", [])], "accounts", "key")
        no_repeats([s.id for s in data.get("services", [])], "services", "id")

    @validates_schema
    def sms_bounded(self, data, **kwargs):
        services = [(("services", index), service) for index, service in enumerate(data.get("services", []))]
        errors = sms_length_problems(services, data.get("behaviors", []), extra_names=(defaults.ALL_SERVICES,))
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data, **kwargs):
        return PvaDealsScenario(
            accounts=tuple(data["accounts"]), tenants=data["tenants"], services=tuple(data["services"]),
            lifetime_ms=data["lifetime"],
            rate_limits=defaults.RATE_LIMITS if data["rate_limits"] is None else tuple(data["rate_limits"]),
            webhooks=data["webhooks"], behaviors=tuple(data["behaviors"]), shape=data["shape"],
            area_codes=tuple(data["area_codes"]), rentals=data["rentals"])
