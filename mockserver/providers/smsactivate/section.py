"""The `smsactivate:` section of a scenario: its format, loaded into model.py's data."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from mockserver.providers.smsactivate import defaults
from mockserver.providers.smsactivate.model import (
    COUNTRY_SERVICE,
    JSON,
    SERVICE_COUNTRY,
    TEXT,
    Dialect,
    SaAccount,
    SaBehavior,
    SaCountry,
    SaPrice,
    SaService,
    SmsActivateScenario,
)
from mockserver.scenario.common import (
    TEMPLATE_HELP,
    BehaviorSchema,
    MatchSchema,
    Strict,
    WebhookPolicySchema,
    check_template,
    described,
    no_repeats,
    rate_limits_field,
    sms_length_problems,
)
from mockserver.scenario.fields import Duration, Fixture, Money, WebhookUrl
from mockserver.scenario.model import DEFAULT_CODE_LENGTH, DEFAULT_SMS_TEMPLATE, Match, Tenants

_SERVICE_CODE = validate.Regexp(r"^[a-z0-9_]{1,16}$", error="a service code: lowercase letters and digits, e.g. tg")
_TOKEN = validate.Regexp(r"^[A-Z_]{2,40}$", error="a token in capitals, e.g. BAD_KEY")
_NAME = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$", error="a dialect's name: lowercase letters, digits, - and _")


class SaMatchSchema(MatchSchema):
    country = fields.String(load_default=None, metadata=described("A country id as text ('187') or a glob"))
    operator = fields.String(load_default=None, metadata=described("An operator name or glob"))

    @post_load
    def make(self, data, **kwargs):
        return Match(**data)


class SaCancelSchema(Strict):
    refund = fields.Boolean(load_default=defaults.CANCEL_REFUND, metadata=described(
        "Refund a cancel (setStatus 8) before any SMS"))


class AnotherSmsSchema(Strict):
    allowed = fields.Boolean(load_default=defaults.CAN_GET_ANOTHER_SMS, metadata=described(
        "setStatus 3 (another SMS) taken once a code came; getNumberV2's canGetAnotherSms"))


class SaBehaviorSchema(BehaviorSchema):
    match = fields.Nested(SaMatchSchema, metadata=described("Which activations this is for; {} matches all"))
    cancel = fields.Nested(SaCancelSchema, metadata=described("setStatus 8"))
    another_sms = fields.Nested(AnotherSmsSchema, metadata=described("setStatus 3"))

    @post_load
    def make(self, data, **kwargs):
        return SaBehavior(**self.behavior_fields(data), cancel_refund=data["cancel"]["refund"],
                          another_sms=data["another_sms"]["allowed"])


class SaAccountSchema(Strict):
    key = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.-]{1,128}$", error="a key of letters, digits, - _ ."),
        metadata=described("The API key, sent as api_key=..."))
    balance = Money(load_default=defaults.BALANCE, metadata=described("Starting balance"))
    webhook = WebhookUrl(load_default=None, metadata=described("Where incoming SMS are POSTed"))

    @post_load
    def make(self, data, **kwargs):
        return SaAccount(**data)


class SaServiceSchema(Strict):
    code = fields.String(required=True, validate=_SERVICE_CODE, metadata=described("The service code, e.g. tg"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    sms = fields.String(load_default=DEFAULT_SMS_TEMPLATE, validate=check_template,
                        metadata=described(f"The service's SMS wording; {TEMPLATE_HELP}"))
    code_length = fields.Integer(load_default=DEFAULT_CODE_LENGTH, validate=validate.Range(min=3, max=12))
    lifetime = Duration(load_default=None, validate=validate.Range(min=1), metadata=described(
        "How long its activations wait for an SMS (default: the section's lifetimes, else lifetime)"))

    @post_load
    def make(self, data, **kwargs):
        return SaService(code=data["code"], name=data["name"], sms=data["sms"], code_length=data["code_length"],
                         lifetime_ms=data["lifetime"])


class SaCountrySchema(Strict):
    id = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    eng = fields.String(required=True, validate=validate.Length(min=1, max=80))
    rus = fields.String(load_default="", validate=validate.Length(max=80))
    chn = fields.String(load_default="", validate=validate.Length(max=80))
    phone_code = fields.String(required=True, validate=validate.Regexp(r"^[1-9][0-9]{0,3}$", error="1-4 digits"))
    number = fields.String(required=True, validate=validate.Regexp(
        r"^\+[0-9#$%]{6,15}$", error="+ then digits and # (any digit) or $ (2-9), e.g. +1$$$$$$$$$"),
        metadata=described("A number's shape: # any digit, $ a digit from 2 to 9"))
    operators = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=lambda: ["any"],
                            validate=validate.Length(min=1, max=50))
    visible = fields.Boolean(load_default=True)
    retry = fields.Boolean(load_default=True)
    rent = fields.Boolean(load_default=False)
    multi_service = fields.Boolean(load_default=True)

    @validates_schema
    def code_leads(self, data, **kwargs):
        if "number" in data and "phone_code" in data and not data["number"][1:].startswith(data["phone_code"]):
            raise ValidationError("a number starts with the country's phone code", "number")

    @post_load
    def make(self, data, **kwargs):
        return SaCountry(**{**data, "operators": tuple(data["operators"])})


class SaPriceSchema(Strict):
    country = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    service = fields.String(required=True, validate=_SERVICE_CODE)
    cost = Money(required=True)
    count = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    retail = Money(load_default=None, metadata=described("getTopCountriesByService's retail_price (default: twice)"))

    @post_load
    def make(self, data, **kwargs):
        return SaPrice(**data)


class DialectSchema(Strict):
    description = fields.String(load_default="", validate=validate.Length(max=400))
    errors = fields.String(load_default=TEXT, validate=validate.OneOf([TEXT, JSON]), metadata=described(
        "text: bare tokens; json: {\"title\",\"details\"} for errors answered 4xx/5xx (HeroSMS)"))
    statuses = fields.Dict(keys=fields.String(validate=_TOKEN), values=fields.Integer(validate=validate.Range(
        min=200, max=599)), load_default=dict, metadata=described("HTTP status per token (absent: 200)"))
    tokens = fields.Dict(keys=fields.String(validate=_TOKEN), values=fields.String(validate=_TOKEN),
                         load_default=dict, metadata=described("Tokens renamed, e.g. NO_ACTIVATION: NOT_FOUND"))
    details = fields.Dict(keys=fields.String(validate=_TOKEN), values=fields.String(validate=validate.Length(max=200)),
                          load_default=dict, metadata=described("JSON errors' details per token"))
    cancel = fields.List(fields.Integer(validate=validate.OneOf([8, -1])), load_default=lambda: [8],
                         validate=validate.Length(min=1), metadata=described("setStatus codes that cancel"))
    ready = fields.Boolean(load_default=True, metadata=described("setStatus 1 taken (ACCESS_READY)"))
    early_cancel = Duration(load_default=None, metadata=described(
        "Cancel refused this long after purchase (default: the section's early_cancel)"))
    actions = fields.List(fields.String(validate=validate.OneOf(defaults.HEROSMS_ACTIONS)), load_default=list,
                          metadata=described("Extra actions it has: " + ", ".join(defaults.HEROSMS_ACTIONS)))
    prices = fields.String(load_default=COUNTRY_SERVICE, validate=validate.OneOf([COUNTRY_SERVICE, SERVICE_COUNTRY]),
                           metadata=described("getPrices' nesting"))
    active_list = fields.String(load_default="activeActivations", validate=validate.OneOf(["activeActivations", "data"]),
                                metadata=described("getActiveActivations' list key"))
    currency = fields.Integer(load_default=defaults.CURRENCY, validate=validate.Range(min=1, max=999),
                              metadata=described("getNumberV2's currency (ISO 4217 numeric)"))

    @post_load
    def make(self, data, **kwargs):
        early = data.pop("early_cancel")
        return {**data, "cancel": tuple(data["cancel"]), "actions": tuple(data["actions"]), "early_cancel_ms": early}


def _builtin_dialects() -> dict[str, Dialect]:
    loaded = {}
    for name, raw in defaults.DIALECTS.items():
        loaded[name] = Dialect(name=name, **DialectSchema().load(raw))
    return loaded


class SaTenantsSchema(Strict):
    keys = fields.List(fields.String(validate=validate.Length(min=1, max=128)), load_default=list,
                       metadata=described("Key patterns, e.g. SA-test-*"))
    balance = Money(load_default=defaults.BALANCE, metadata=described("Each new account's balance"))
    webhook = WebhookUrl(load_default=None, metadata=described("Each new account's webhook URL"))

    @post_load
    def make(self, data, **kwargs):
        return Tenants(patterns=tuple(data["keys"]), balance=data["balance"], webhook_url=data["webhook"])


class SaWebhookPolicySchema(WebhookPolicySchema):
    retries = fields.Integer(load_default=defaults.WEBHOOK_RETRIES, validate=validate.Range(min=0, max=50),
                             metadata=described("Attempts after the first failed one [sms.online: none]"))


class SmsActivateSchema(Strict):
    loaded_defaults = {"services": defaults.SERVICES_FIXTURE, "countries": defaults.COUNTRIES_FIXTURE,
                       "prices": defaults.PRICES_FIXTURE}

    accounts = fields.List(fields.Nested(SaAccountSchema), load_default=list)
    tenants = fields.Nested(SaTenantsSchema, metadata=described(
        "Unknown keys matching these patterns become fresh accounts on first use (one per test worker)"))
    services = Fixture(SaServiceSchema, many=True, metadata=described(
        "Service codes and names: a list, or a fixture file (bundled: smsactivate/services.yaml)"))
    countries = Fixture(SaCountrySchema, many=True, metadata=described(
        "Countries by id: a list, or a fixture file (bundled: smsactivate/countries.yaml)"))
    prices = Fixture(SaPriceSchema, many=True, metadata=described(
        "Price and count per country and service: a list, or a fixture file (bundled: smsactivate/prices.yaml)"))
    lifetime = Duration(load_default=defaults.LIFETIME_MS, validate=validate.Range(min=1),
                        metadata=described("How long an activation waits for its SMS"))
    lifetimes = fields.Dict(keys=fields.String(validate=_SERVICE_CODE), values=Duration(validate=validate.Range(min=1)),
                            load_default=lambda: dict(defaults.SERVICE_LIFETIMES_MS), metadata=described(
                                "Lifetimes of services that differ (ya 40m; ft, ig, cy, wx 60m)"))
    early_cancel = Duration(load_default=defaults.EARLY_CANCEL_MS, metadata=described(
        "Cancel (setStatus 8) is refused this long after purchase: EARLY_CANCEL_DENIED"))
    default_country = fields.Integer(load_default=defaults.DEFAULT_COUNTRY, metadata=described(
        "The country of a getNumber without `country`"))
    rate_limits = rate_limits_field("50 requests per second per key [inferred]")
    webhooks = fields.Nested(SaWebhookPolicySchema, metadata=described("Delivery retries"))
    behaviors = fields.List(fields.Nested(SaBehaviorSchema), load_default=list,
                            metadata=described("First match wins; none matching: SMS 3 s after purchase"))
    dialect = fields.String(load_default=defaults.DIALECT, validate=_NAME, metadata=described(
        "The dialect /stubs/handler_api.php speaks; /<dialect>/stubs/handler_api.php speaks each by name"))
    dialects = fields.Dict(keys=fields.String(validate=_NAME), values=fields.Nested(DialectSchema), load_default=dict,
                           metadata=described("Dialects added, or built-in ones (vanilla, herosms, smshub, grizzlysms, "
                                              "privatesms, smsonline) replaced"))

    @validates_schema
    def consistent(self, data, **kwargs):
        no_repeats([a.key for a in data.get("accounts", [])], "accounts", "key")
        no_repeats([s.code for s in data.get("services", [])], "services", "code")
        no_repeats([c.id for c in data.get("countries", [])], "countries", "id")
        no_repeats([f"{p.country}/{p.service}" for p in data.get("prices", [])], "prices", "country/service")
        if "dialect" in data and data["dialect"] not in {*defaults.DIALECTS, *data.get("dialects", {})}:
            raise ValidationError(f"no such dialect; known: {', '.join([*defaults.DIALECTS, *data.get('dialects', {})])}",
                                  "dialect")
        services = {s.code for s in data.get("services", [])}
        countries = {c.id for c in data.get("countries", [])}
        for index, price in enumerate(data.get("prices", [])):
            if price.service not in services or price.country not in countries:
                raise ValidationError({"prices": {index: ["names a service or country the catalogue lacks"]}})

    @validates_schema
    def sms_bounded(self, data, **kwargs):
        services = [(("services", index), service) for index, service in enumerate(data.get("services", []))]
        errors = sms_length_problems(services, data.get("behaviors", []))
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data, **kwargs):
        dialects = _builtin_dialects()
        dialects.update({name: Dialect(name=name, **given) for name, given in data["dialects"].items()})
        return SmsActivateScenario(
            accounts=tuple(data["accounts"]), tenants=data["tenants"], services=tuple(data["services"]),
            countries=tuple(data["countries"]), prices=tuple(data["prices"]), lifetime_ms=data["lifetime"],
            lifetimes_ms=dict(data["lifetimes"]), early_cancel_ms=data["early_cancel"],
            default_country=data["default_country"],
            rate_limits=defaults.RATE_LIMITS if data["rate_limits"] is None else tuple(data["rate_limits"]),
            webhooks=data["webhooks"], behaviors=tuple(data["behaviors"]), dialect=data["dialect"],
            dialects=dialects)
