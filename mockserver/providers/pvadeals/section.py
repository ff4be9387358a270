"""The `pvadeals:` section of a scenario: each field declared once (scenario/declare.py), with its
type, default ([assumed] ones marked), validation and description; loaded, it is plain frozen data."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.providers.pvadeals import defaults
from mockserver.scenario.common import TEMPLATE_HELP, check_template, no_repeats, sms_length_problems
from mockserver.scenario.declare import many, option
from mockserver.scenario.fields import Duration, Fixture, Money, WebhookUrl
from mockserver.scenario.model import (
    DEFAULT_CODE_LENGTH,
    DEFAULT_SMS_TEMPLATE,
    Behavior,
    KeyPatterns,
    first_match,
    rate_limits,
)

_OBJECT_ID = validate.Regexp(r"^[0-9a-f]{24}$", error="must be a 24-digit lowercase hex ObjectId")
_AREA_CODE = fields.String(validate=validate.Regexp(r"^[2-9][0-9]{2}$",
                                                    error="a US area code: three digits, the first 2-9"))
_TWENTY_MINUTES = 20 * 60_000


@dataclass(frozen=True, kw_only=True)
class Flag:
    allowed: bool = option(fields.Boolean, True, "allowFlag on a fresh purchase")
    refund: bool = option(fields.Boolean, True, "Refund when flagged before the SMS [assumed: yes]")


@dataclass(frozen=True, kw_only=True)
class Reuse:
    allowed: bool = option(fields.Boolean, True, "allowReuse once the SMS has arrived")
    price: Decimal = option(Money, Decimal("0"), "What a reuse costs [assumed: 0]")
    window_ms: int = option(Duration, _TWENTY_MINUTES, "Reuse stays open this long after the SMS [assumed: 20m]",
                            key="window")
    lifetime_ms: int = option(Duration, _TWENTY_MINUTES, "A reused number waits this long for its SMS "
                              "[assumed: 20m]", key="lifetime", validate=validate.Range(min=1))


@dataclass(frozen=True, kw_only=True)
class PvaBehavior(Behavior):
    """A PVADeals behavior: the shared part, and what clients may flag and reuse."""
    flag: Flag = option(Flag, Flag(), "POST /flag/{id}")
    reuse: Reuse = option(Reuse, Reuse(), "POST /reuse/{id}")


DEFAULT_BEHAVIOR = PvaBehavior()


@dataclass(frozen=True, kw_only=True)
class PvaAccount:
    key: str = option(fields.String, text="The API key, sent as Authorization: Bearer API-...", example="API-demo",
                      validate=validate.Regexp(r"^API-[A-Za-z0-9_.-]+$",
                                               error="a PVADeals key looks like API-xxxx (letters, digits, - _ .)"))
    credits: Decimal = option(Money, defaults.CREDITS, "Starting balance")
    webhook: str | None = option(WebhookUrl, None, "Where events are POSTed; the query string is kept (PVADeals "
                                 "signs nothing)", example="http://127.0.0.1:9000/pva?secret=s3cr3t")


@dataclass(frozen=True, kw_only=True)
class PvaService:
    id: str = option(fields.String, text="The service's _id", validate=_OBJECT_ID, example="6543a1b2c3d4e5f6a7b8c9d0")
    name: str = option(fields.String, text="The service's name ({service} in SMS)", validate=validate.Length(min=1),
                      example="Airbnb")
    price: Decimal = option(Money, text="A short-term number's price (the collection's STRprice)", example=0.5)
    ltr_prices: tuple[tuple[int, Decimal], ...] = option(
        lambda **kwargs: fields.Dict(keys=fields.Integer(validate=validate.OneOf(defaults.LTR_DURATIONS)),
                                     values=Money(), **kwargs), (),
        "A long-term rental's price by days (3, 7, 14, 30); a duration not listed is not offered",
        example={"3": 0.7, "30": 2.25},
        convert=lambda prices: tuple(sorted(dict(prices).items())))
    picture: str | None = option(fields.Url, None, "The catalog's picture URL (default: one the sandbox serves "
                                 "itself, at /_mock/pictures/{id}.png [assumed])", require_tld=False,
                                 example="https://example.com/airbnb.png")
    area_codes: tuple[str, ...] | None = option(many(_AREA_CODE), None, "Area codes this service's numbers can "
                                                "have (default: the section's area_codes)", example=["212", "646"])
    sms: str = option(fields.String, DEFAULT_SMS_TEMPLATE, f"The service's SMS wording; {TEMPLATE_HELP}",
                      validate=check_template)
    code_length: int = option(fields.Integer, DEFAULT_CODE_LENGTH, "Characters in its codes",
                              validate=validate.Range(min=3, max=12))

    def ltr_price(self, days: int) -> Decimal | None:
        return next((price for offered, price in self.ltr_prices if offered == days), None)


@dataclass(frozen=True, kw_only=True)
class Rentals:
    """Long-term rentals: the number for every service, and [assumed] refunds."""
    all_services_price: Decimal = option(Money, defaults.ALL_SERVICES_PRICE, "The 28-day number that takes SMS "
                                         "from any service (serviceId ALL_SERVICES) [assumed: as the collection's example]")
    all_services_days: int = defaults.ALL_SERVICES_DAYS
    flag_refund: bool = option(fields.Boolean, True, "Refund a rental flagged before its first SMS [assumed: yes]")
    end_refund: bool = option(fields.Boolean, False, "Refund a rental that ends without renewing [assumed: no]")


@dataclass(frozen=True, kw_only=True)
class PvaTenants(KeyPatterns):
    keys: tuple[str, ...] = option(many(fields.String(validate=validate.Regexp(
        r"^API-", error="a pattern for API-... keys"))), (), "Key patterns, e.g. API-test-*",
                                   example=["API-test-*"])
    credits: Decimal = option(Money, defaults.CREDITS, "Each new account's balance")
    webhook: str | None = option(WebhookUrl, None, "Each new account's webhook URL",
                                 example="http://127.0.0.1:9000/pva")


@dataclass(frozen=True, kw_only=True)
class PvaDealsScenario:
    schema_name = "PvaDeals"

    accounts: tuple[PvaAccount, ...] = option(many(PvaAccount), (), "The accounts, each with its API key")
    tenants: PvaTenants = option(PvaTenants, PvaTenants(), "Unknown keys matching these patterns become fresh "
                                 "accounts on first use (one per test worker)")
    services: tuple[PvaService, ...] = option(
        lambda **kwargs: Fixture(PvaService, many=True, **kwargs), (),
        "The catalog: a list, or a fixture file (next to the scenario, or bundled: pvadeals/services.yaml)",
        example="pvadeals/services.yaml")
    lifetime_ms: int = option(Duration, _TWENTY_MINUTES, "How long a purchase waits for its SMS", key="lifetime",
                              validate=validate.Range(min=1))
    rate_limits: tuple[Rule, ...] = rate_limits(defaults.RATE_LIMITS, "100 requests per rolling 60 s per key")
    webhooks: RetryPolicy = option(RetryPolicy, RetryPolicy(), "Delivery retries")
    behaviors: tuple[PvaBehavior, ...] = option(many(PvaBehavior), (), "First match wins; none matching: SMS 3 s "
                                                "after purchase")
    shape: str = option(fields.String, "both", validate=validate.OneOf(defaults.SHAPES), text=(
        "Which source answers follow where PVADeals' doc page and its API collection differ: documented, "
        "collection, or both (the union)"))
    area_codes: tuple[str, ...] = option(many(_AREA_CODE), defaults.AREA_CODES, "Area codes numbers can have, "
                                         "unless a service gives its own; any other asked for: 422 [assumed: 31 common US codes]")
    rentals: Rentals = option(Rentals, Rentals(), "Long-term rentals (POST /purchase-ltr)")

    @staticmethod
    def before_load(data: dict) -> dict:
        return {"services": defaults.SERVICES_FIXTURE, **data}

    @staticmethod
    def check(data: dict) -> None:
        no_repeats([a.key for a in data.get("accounts", [])], "accounts", "key")
        no_repeats([s.id for s in data.get("services", [])], "services", "id")
        services = [(("services", index), service) for index, service in enumerate(data.get("services", []))]
        errors = sms_length_problems(services, data.get("behaviors", []), extra_names=(defaults.ALL_SERVICES,))
        if errors:
            raise ValidationError(errors)

    def area_codes_of(self, service: PvaService) -> tuple[str, ...]:
        return self.area_codes if service.area_codes is None else service.area_codes

    def behavior_for(self, service: PvaService, number: str) -> PvaBehavior:
        return first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.name, service.id), country="us",
                           number=number)

    def match_values(self) -> dict[str, set[str]]:
        """What a behavior's match can name here, by match field (scenario/warnings.py)."""
        return {"service": {name for s in self.services for name in (s.name, s.id)} | {defaults.ALL_SERVICES}}
