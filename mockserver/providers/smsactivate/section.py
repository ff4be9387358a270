"""The `smsactivate:` section of a scenario: each field declared once (scenario/declare.py), with its
type, default ([inferred] ones marked), validation and description; loaded, it is plain frozen data."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.providers.smsactivate import defaults
from mockserver.scenario.common import TEMPLATE_HELP, check_template, no_repeats, sms_length_problems
from mockserver.scenario.declare import many, option, schema_of
from mockserver.scenario.fields import Duration, Fixture, Money, WebhookUrl
from mockserver.scenario.model import (
    DEFAULT_CODE_LENGTH,
    DEFAULT_SMS_TEMPLATE,
    Behavior,
    KeyPatterns,
    Match,
    first_match,
    rate_limits,
)

TEXT, JSON = "text", "json"
COUNTRY_SERVICE, SERVICE_COUNTRY = "country_service", "service_country"
_SERVICE_CODE = validate.Regexp(r"^[a-z0-9_]{1,16}$", error="a service code: lowercase letters and digits, e.g. tg")
_TOKEN = validate.Regexp(r"^[A-Z_]{2,40}$", error="a token in capitals, e.g. BAD_KEY")
_NAME = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$", error="a dialect's name: lowercase letters, digits, - and _")


def _by_token(values: fields.Field) -> Callable[..., fields.Field]:
    """A mapping field keyed by protocol tokens, as option() takes a field kind."""
    return lambda **kwargs: fields.Dict(keys=fields.String(validate=_TOKEN), values=values, **kwargs)


@dataclass(frozen=True, kw_only=True)
class Dialect:
    """How one provider of the family speaks the protocol (defaults.DIALECTS)."""
    name: str = ""                             # its key under dialects
    description: str = option(fields.String, "", "What sets it apart", validate=validate.Length(max=400))
    errors: str = option(fields.String, TEXT, "text: bare tokens; json: {\"title\",\"details\"} for errors "
                         "answered 4xx/5xx (HeroSMS)", validate=validate.OneOf([TEXT, JSON]))
    statuses: Mapping[str, int] = option(_by_token(fields.Integer(validate=validate.Range(min=200, max=599))),
                                         factory=dict, text="HTTP status per token (absent: 200)",
                                         example={"BAD_KEY": 401})
    tokens: Mapping[str, str] = option(_by_token(fields.String(validate=_TOKEN)), factory=dict,
                                       text="Tokens renamed, e.g. NO_ACTIVATION: NOT_FOUND",
                                       example={"NO_ACTIVATION": "NOT_FOUND"})
    details: Mapping[str, str] = option(_by_token(fields.String(validate=validate.Length(max=200))), factory=dict,
                                        text="JSON errors' details per token", example={"BAD_KEY": "Unauthorized"})
    cancel: tuple[int, ...] = option(many(fields.Integer(validate=validate.OneOf([8, -1]))), (8,),
                                     "setStatus codes that cancel", validate=validate.Length(min=1))
    ready: bool = option(fields.Boolean, True, "setStatus 1 taken (ACCESS_READY)")
    early_cancel_ms: int | None = option(Duration, None, "Cancel refused this long after purchase (default: the "
                                         "section's early_cancel)", key="early_cancel")
    actions: tuple[str, ...] = option(many(fields.String(validate=validate.OneOf(defaults.HEROSMS_ACTIONS))), (),
                                      "Extra actions it has: " + ", ".join(defaults.HEROSMS_ACTIONS),
                                      example=["getAllSms"])
    prices: str = option(fields.String, COUNTRY_SERVICE, "getPrices' nesting",
                         validate=validate.OneOf([COUNTRY_SERVICE, SERVICE_COUNTRY]))
    active_list: str = option(fields.String, "activeActivations", "getActiveActivations' list key",
                              validate=validate.OneOf(["activeActivations", "data"]))
    currency: int = option(fields.Integer, defaults.CURRENCY, "getNumberV2's currency (ISO 4217 numeric)",
                           validate=validate.Range(min=1, max=999))

    def refusal(self, message: str) -> tuple[int, object]:
        """A refusal's status and body: ``message`` is a token, perhaps with ``:`` and a value."""
        token, sep, rest = message.partition(":")
        named = self.tokens.get(token, token)
        status = self.statuses.get(named, self.statuses.get(token, 200))
        if self.errors == JSON and status >= 400:
            return status, {"title": named, "details": self.details.get(named, rest or named)}
        return status, f"{named}{sep}{rest}"


def _dialects(given: Mapping[str, Dialect]) -> dict[str, Dialect]:
    """The built-in dialects (defaults.DIALECTS), with those a scenario adds or replaces."""
    loader = schema_of(Dialect)()
    built_in = {name: loader.load(raw) for name, raw in defaults.DIALECTS.items()}
    return {name: replace(dialect, name=name) for name, dialect in {**built_in, **given}.items()}


@dataclass(frozen=True, kw_only=True)
class SaMatch(Match):
    country: str | None = option(fields.String, None, "A country id as text ('187') or a glob", example="187")
    operator: str | None = option(fields.String, None, "An operator name or glob", example="any")


@dataclass(frozen=True, kw_only=True)
class SaCancel:
    refund: bool = option(fields.Boolean, defaults.CANCEL_REFUND, "Refund a cancel (setStatus 8) before any SMS")


@dataclass(frozen=True, kw_only=True)
class AnotherSms:
    allowed: bool = option(fields.Boolean, defaults.CAN_GET_ANOTHER_SMS, "setStatus 3 (another SMS) taken once a "
                           "code came; getNumberV2's canGetAnotherSms")


@dataclass(frozen=True, kw_only=True)
class SaBehavior(Behavior):
    """An sms-activate behavior: the shared part, cancel refunds and setStatus 3."""
    match: SaMatch = option(SaMatch, SaMatch(), "Which activations this is for; {} matches all")
    cancel: SaCancel = option(SaCancel, SaCancel(), "setStatus 8")
    another_sms: AnotherSms = option(AnotherSms, AnotherSms(), "setStatus 3")


DEFAULT_BEHAVIOR = SaBehavior()


@dataclass(frozen=True, kw_only=True)
class SaAccount:
    key: str = option(fields.String, text="The API key, sent as api_key=...", example="SA-ci-main",
                      validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,128}$", error="a key of letters, digits, - _ ."))
    balance: Decimal = option(Money, defaults.BALANCE, "Starting balance")
    webhook: str | None = option(WebhookUrl, None, "Where incoming SMS are POSTed",
                                 example="http://127.0.0.1:9000/sa")


@dataclass(frozen=True, kw_only=True)
class SaService:
    code: str = option(fields.String, text="The service code, e.g. tg", validate=_SERVICE_CODE, example="tg")
    name: str = option(fields.String, text="Its name ({service} in SMS)", validate=validate.Length(min=1, max=80),
                       example="Telegram")
    sms: str = option(fields.String, DEFAULT_SMS_TEMPLATE, f"The service's SMS wording; {TEMPLATE_HELP}",
                      validate=check_template)
    code_length: int = option(fields.Integer, DEFAULT_CODE_LENGTH, "Characters in its codes",
                              validate=validate.Range(min=3, max=12))
    lifetime_ms: int | None = option(Duration, None, "How long its activations wait for an SMS (default: the "
                                     "section's lifetimes, else lifetime)", key="lifetime",
                                     validate=validate.Range(min=1))


@dataclass(frozen=True, kw_only=True)
class SaCountry:
    id: int = option(fields.Integer, text="Its id, as clients name it", validate=validate.Range(min=0, max=100_000),
                     example=187)
    eng: str = option(fields.String, text="Its English name", validate=validate.Length(min=1, max=80),
                      example="USA")
    rus: str = option(fields.String, "", "Its Russian name", validate=validate.Length(max=80))
    chn: str = option(fields.String, "", "Its Chinese name", validate=validate.Length(max=80))
    phone_code: str = option(fields.String, text="Its calling code, digits", example="1", validate=validate.Regexp(
        r"^[1-9][0-9]{0,3}$", error="1-4 digits"))
    number: str = option(fields.String, text="A number's shape: # any digit, $ a digit from 2 to 9",
                         example="+1$$$$$$$$$", validate=validate.Regexp(
                             r"^\+[0-9#$%]{6,15}$", error="+ then digits and # (any digit) or $ (2-9), e.g. "
                             "+1$$$$$$$$$"))
    operators: tuple[str, ...] = option(many(fields.String(validate=validate.Length(min=1, max=40))), ("any",),
                                        "Its operators", validate=validate.Length(min=1, max=50))
    visible: bool = option(fields.Boolean, True, "Listed by getCountries")
    retry: bool = option(fields.Boolean, True, "getCountries' retry")
    rent: bool = option(fields.Boolean, False, "getCountries' rent")
    multi_service: bool = option(fields.Boolean, True, "getCountries' multiService")

    @staticmethod
    def check(data: dict) -> None:
        if "number" in data and "phone_code" in data and not data["number"][1:].startswith(data["phone_code"]):
            raise ValidationError("a number starts with the country's phone code", "number")


@dataclass(frozen=True, kw_only=True)
class SaPrice:
    country: int = option(fields.Integer, text="A country's id", validate=validate.Range(min=0, max=100_000),
                          example=187)
    service: str = option(fields.String, text="A service's code", validate=_SERVICE_CODE, example="tg")
    cost: Decimal = option(Money, text="What an activation costs", example=0.25)
    count: int = option(fields.Integer, text="Numbers available", validate=validate.Range(min=0, max=10_000_000),
                        example=100)
    retail: Decimal | None = option(Money, None, "getTopCountriesByService's retail_price (default: twice)")


@dataclass(frozen=True, kw_only=True)
class SaTenants(KeyPatterns):
    keys: tuple[str, ...] = option(many(fields.String(validate=validate.Length(min=1, max=128))), (),
                                   "Key patterns, e.g. SA-test-*", example=["SA-test-*"])
    balance: Decimal = option(Money, defaults.BALANCE, "Each new account's balance")
    webhook: str | None = option(WebhookUrl, None, "Each new account's webhook URL",
                                 example="http://127.0.0.1:9000/sa")


@dataclass(frozen=True, kw_only=True)
class SmsActivateScenario:
    schema_name = "SmsActivate"

    accounts: tuple[SaAccount, ...] = option(many(SaAccount), (), "The accounts, each with its API key")
    tenants: SaTenants = option(SaTenants, SaTenants(), "Unknown keys matching these patterns become fresh accounts "
                                "on first use (one per test worker)")
    services: tuple[SaService, ...] = option(
        lambda **kwargs: Fixture(SaService, many=True, **kwargs), (), example=defaults.SERVICES_FIXTURE,
        text="Service codes and names: a list, or a fixture file (bundled: smsactivate/services.yaml)")
    countries: tuple[SaCountry, ...] = option(
        lambda **kwargs: Fixture(SaCountry, many=True, **kwargs), (), example=defaults.COUNTRIES_FIXTURE,
        text="Countries by id: a list, or a fixture file (bundled: smsactivate/countries.yaml)")
    prices: tuple[SaPrice, ...] = option(
        lambda **kwargs: Fixture(SaPrice, many=True, **kwargs), (), example=defaults.PRICES_FIXTURE,
        text="Price and count per country and service: a list, or a fixture file (bundled: smsactivate/prices.yaml)")
    lifetime_ms: int = option(Duration, defaults.LIFETIME_MS, "How long an activation waits for its SMS",
                              key="lifetime", validate=validate.Range(min=1))
    lifetimes_ms: Mapping[str, int] = option(
        lambda **kwargs: fields.Dict(keys=fields.String(validate=_SERVICE_CODE),
                                     values=Duration(validate=validate.Range(min=1)), **kwargs),
        factory=lambda: dict(defaults.SERVICE_LIFETIMES_MS), key="lifetimes", example={"tg": "30m"},
        text="Lifetimes of services that differ (ya 40m; ft, ig, cy, wx 60m)")
    early_cancel_ms: int = option(Duration, defaults.EARLY_CANCEL_MS, "Cancel (setStatus 8) is refused this long "
                                  "after purchase: EARLY_CANCEL_DENIED", key="early_cancel")
    default_country: int = option(fields.Integer, defaults.DEFAULT_COUNTRY, "The country of a getNumber without "
                                  "`country`")
    rate_limits: tuple[Rule, ...] = rate_limits(defaults.RATE_LIMITS, "50 requests per second per key [inferred]")
    webhooks: RetryPolicy = option(RetryPolicy, RetryPolicy(retries=defaults.WEBHOOK_RETRIES), "Delivery retries "
                                   "[sms.online: none]", variant="SaWebhookPolicy")
    behaviors: tuple[SaBehavior, ...] = option(many(SaBehavior), (), "First match wins; none matching: SMS 3 s "
                                               "after purchase")
    dialect: str = option(fields.String, defaults.DIALECT, "The dialect /stubs/handler_api.php speaks; "
                          "/<dialect>/stubs/handler_api.php speaks each by name", validate=_NAME)
    dialects: Mapping[str, Dialect] = option(
        lambda **kwargs: fields.Dict(keys=fields.String(validate=_NAME), values=fields.Nested(schema_of(Dialect)),
                                     **kwargs), factory=dict, convert=_dialects, example={"mine": {"cancel": [8, -1]}},
        text="Dialects added, or built-in ones (vanilla, herosms, smshub, grizzlysms, privatesms, smsonline) replaced")

    @staticmethod
    def before_load(data: dict) -> dict:
        return {"services": defaults.SERVICES_FIXTURE, "countries": defaults.COUNTRIES_FIXTURE,
                "prices": defaults.PRICES_FIXTURE, **data}

    @staticmethod
    def check(data: dict) -> None:
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
        errors = sms_length_problems([(("services", index), service) for index, service in
                                      enumerate(data.get("services", []))], data.get("behaviors", []))
        if errors:
            raise ValidationError(errors)

    def lifetime_of(self, service: SaService) -> int:
        if service.lifetime_ms is not None:
            return service.lifetime_ms
        return self.lifetimes_ms.get(service.code, self.lifetime_ms)

    def early_cancel_of(self, dialect: Dialect) -> int:
        return self.early_cancel_ms if dialect.early_cancel_ms is None else dialect.early_cancel_ms

    def behavior_for(self, service: SaService, country: SaCountry, operator: str, number: str) -> SaBehavior:
        return first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.code, service.name),
                           country=str(country.id), operator=operator, number=number)

    def match_values(self) -> dict[str, set]:
        """What a behavior's match can name here, by match field (scenario/warnings.py)."""
        return {"service": {name for s in self.services for name in (s.code, s.name)},
                "country": {str(c.id) for c in self.countries},
                "operator": {o for c in self.countries for o in c.operators}}


