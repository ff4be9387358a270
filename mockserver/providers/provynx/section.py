"""The `provynx:` section of a scenario: each field declared once (scenario/declare.py), with its
type, default ([assumed] ones marked), validation and description; loaded, it is plain frozen data."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property

from marshmallow import ValidationError, fields, validate

from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.providers.provynx import defaults
from mockserver.providers.provynx.defaults import MAX_ACTIVE_KEYS
from mockserver.scenario.common import CODE_CHARS, TEMPLATE_HELP, check_template, no_repeats, sms_length_problems
from mockserver.scenario.declare import many, option
from mockserver.scenario.fields import Duration, Fixture, Money, WebhookUrl, signing_secret
from mockserver.scenario.model import (
    DEFAULT_CODE_LENGTH,
    DEFAULT_SMS_TEMPLATE,
    Behavior,
    KeyPatterns,
    Match,
    first_match,
    rate_limits,
)

# A server number written as text (JSON keys are text), as the JSON Schema's pattern has it.
_SERVER_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
_KEY = validate.Regexp(r"^nsk_(live|test)_[A-Za-z0-9_]+$", error="a Provynx key looks like nsk_live_xxxx or nsk_test_xxxx")
_TWENTY_MINUTES = 20 * 60_000


def _server_number(key):
    """A servers key as a number: JSON has only text keys, so "1" is server 1 there (and in a
    scenario's definition as GET /_mock/scenario and snapshots write it)."""
    return int(key) if isinstance(key, str) and _SERVER_NUMBER.fullmatch(key) else key


@dataclass(frozen=True, kw_only=True)
class PnxMatch(Match):
    country: str | None = option(fields.String, None, "A country code or glob; US numbers are 'us'", example="gb")
    server: int | None = option(fields.Integer, None, "A server's number, as its catalog is listed under servers",
                                validate=validate.Range(min=1))
    operator: str | None = option(fields.String, None, "An operator id or glob", example="tmobile")


@dataclass(frozen=True, kw_only=True)
class Cancel:
    allowed: bool = option(fields.Boolean, True, "DELETE on a pending US number")
    refund: bool = option(fields.Boolean, True, "Refund a live price on cancel [assumed: yes]")


@dataclass(frozen=True, kw_only=True)
class PnxBehavior(Behavior):
    """A Provynx behavior: the shared part, cancels, and stock."""
    match: PnxMatch = option(PnxMatch, PnxMatch(), "Which numbers this is for; {} matches all")
    cancel: Cancel = option(Cancel, Cancel(), "DELETE /numbers/{id}")
    stock: int | None = option(fields.Integer, None, validate=validate.Range(min=0), text=(
        "Replaces the catalog stock of the services this matches (0: every purchase is a 503); "
        "ignored on a behavior that matches an operator or number"))


DEFAULT_BEHAVIOR = PnxBehavior()


@dataclass(frozen=True, kw_only=True)
class PnxOperator:
    id: str = option(fields.String, text="Its id, as clients name it", validate=validate.Length(min=1), example="any")
    name: str = option(fields.String, text="Its name", example="Any operator")


@dataclass(frozen=True, kw_only=True)
class PnxService:
    id: str = option(fields.String, text="Its id, as clients name it", validate=validate.Length(min=1), example="wa")
    name: str = option(fields.String, text="Its name ({service} in SMS)", example="WhatsApp")
    price: Decimal = option(Money, text="A live number's price", example=0.5)
    stock: int = option(fields.Integer, defaults.SERVICE_STOCK, "Numbers available", validate=validate.Range(min=0))
    operators: tuple[str, ...] = option(many(fields.String()), (), "Operators carrying it (default: all of the "
                                        "country's)", example=["tmobile"])
    sms: str = option(fields.String, DEFAULT_SMS_TEMPLATE, f"The service's SMS wording; {TEMPLATE_HELP}",
                      validate=check_template)
    code_length: int = option(fields.Integer, DEFAULT_CODE_LENGTH, "Characters in its codes",
                              validate=validate.Range(min=3, max=12))

    def carried_by(self, operator: str) -> bool:
        return not self.operators or operator in self.operators


@dataclass(frozen=True, kw_only=True)
class PnxCountry:
    operators: tuple[PnxOperator, ...] = option(many(PnxOperator), text="Its operators ('any' among them)",
                                                validate=validate.Length(
        min=1, error="list at least the operator 'any'"))
    services: tuple[PnxService, ...] = option(many(PnxService), (), "What it offers")
    code: str = option(fields.String, text="Its code, as clients name it", example="gb",
                       validate=validate.Regexp(r"^[a-z]{2}$", error="a two-letter lowercase code"))
    name: str = option(fields.String, text="Its name", example="United Kingdom")
    number_format: str = option(fields.String, text="How its numbers look: # any digit, $ a digit 2-9",
                                example="+447#########", validate=validate.Regexp(
                                    r"^\+[0-9#$]{6,16}$", error="an E.164 pattern like +447######### (# any digit, "
                                    "$ 2-9)"))

    @staticmethod
    def check(data: dict) -> None:
        no_repeats([o.id for o in data.get("operators", [])], "operators", "id")
        no_repeats([s.id for s in data.get("services", [])], "services", "id")
        known = {o.id for o in data.get("operators", [])}
        for index, service in enumerate(data.get("services", [])):
            unknown = [position for position, o in enumerate(service.operators) if o not in known]
            if unknown:
                raise ValidationError({"services": {index: {"operators": {
                    unknown[0]: ["not one of this catalog's operators"]}}}})

    def operator(self, operator_id: str) -> PnxOperator | None:
        return next((o for o in self.operators if o.id == operator_id), None)

    def service(self, service_id: str) -> PnxService | None:
        return next((s for s in self.services if s.id == service_id), None)


@dataclass(frozen=True, kw_only=True)
class PnxUs(PnxCountry):
    code: str = "us"
    name: str = "United States"
    number_format: str = defaults.US_NUMBER_FORMAT


@dataclass(frozen=True, kw_only=True)
class PnxGlobal:
    countries: tuple[PnxCountry, ...] = option(many(PnxCountry), (), "Countries other than the US, each its catalog")

    @staticmethod
    def check(data: dict) -> None:
        no_repeats([c.code for c in data.get("countries", [])], "countries", "code")


@dataclass(frozen=True, kw_only=True)
class PnxServer:
    id: int = 0                               # its number under servers (Servers sets it)
    us: PnxUs = option(PnxUs, text="The US catalog")
    global_: PnxGlobal = option(PnxGlobal, PnxGlobal(), "The other countries", key="global")

    @property
    def countries(self) -> tuple[PnxCountry, ...]:
        return self.global_.countries

    def country(self, code: str) -> PnxCountry | None:
        return next((c for c in self.countries if c.code == code), None)


class Servers(fields.Field):
    """Server number to its catalog, inline or a fixture file; the servers clients may pick are
    these. Errors are filed under the server number, so they point at the entry in the file."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": (
            "Catalog per server number: a fixture file or inline {us, global}; servers 1, 2 and 3 not given "
            "keep the bundled provynx/serverN.yaml")})
        super().__init__(**kwargs)
        self.catalog = Fixture(PnxServer)
        self.item_schema = self.catalog.item_schema

    # Keywords apispec does not pass through; jsonschema.py adds them to this field's property.
    json_schema = {"type": "object", "additionalProperties": False,
                   "patternProperties": {"^[1-9][0-9]*$": {"anyOf": [{"type": "string"},
                                                                     {"$ref": "#/components/schemas/PnxServer"}]}}}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("a mapping of server number to its catalog")
        loaded, errors = {}, {}
        for key, entry in value.items():
            number = _server_number(key)
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                errors[key] = ["a server is a whole number from 1"]
                continue
            try:
                loaded[number] = replace(self.catalog.deserialize(entry), id=number)
            except ValidationError as exc:
                errors[number] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


@dataclass(frozen=True, kw_only=True)
class PnxWebhook:
    url: str | None = option(WebhookUrl, None, "Where otp.received is POSTed", example="http://127.0.0.1:9000/pnx")
    secret: str | None = option(fields.String, None, "whsec_ + base64 key for Standard Webhooks signatures "
                                "(default: derived from the seed)", validate=signing_secret,
                                example="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


@dataclass(frozen=True, kw_only=True)
class PnxAccount:
    name: str | None = option(fields.String, None, "The account's name. Default: account-1, account-2, ...",
                              validate=validate.Length(min=1), example="ci")
    keys: tuple[str, ...] = option(many(fields.String(validate=_KEY)), validate=validate.Length(
        min=1, max=MAX_ACTIVE_KEYS, error=f"an account has from 1 to {MAX_ACTIVE_KEYS} active keys"),
        text="Active keys: nsk_live_... spend the wallet, nsk_test_... get the sandbox", example=["nsk_live_demo"])
    revoked_keys: tuple[str, ...] = option(many(fields.String(validate=_KEY)), (), "Keys that answer 401",
                                           example=["nsk_live_old"])
    balance: Decimal = option(Money, defaults.BALANCE, "The live wallet")
    webhook: PnxWebhook = option(PnxWebhook, PnxWebhook(), "Where its otp.received events go, signed how")


@dataclass(frozen=True, kw_only=True)
class PnxTenants(KeyPatterns):
    keys: tuple[str, ...] = option(many(fields.String(validate=validate.Regexp(
        r"^nsk_(live|test)_", error="a pattern for nsk_ keys"))), (), "Key patterns, e.g. nsk_test_worker*",
        example=["nsk_test_worker*"])
    balance: Decimal = option(Money, defaults.BALANCE, "Each new account's live wallet")
    webhook: PnxWebhook = option(PnxWebhook, PnxWebhook(), "Each new account's webhook")


@dataclass(frozen=True, kw_only=True)
class SandboxRules:
    """What test keys (nsk_test_...) see: the documented fixed balance and polled code."""
    schema_name = "Sandbox"

    polls: int = option(fields.Integer, defaults.SANDBOX_POLLS, "The code appears on this poll of a test-key "
                        "number [assumed: 2]", validate=validate.Range(min=1))
    code: str = option(fields.String, defaults.SANDBOX_CODE, f"The code test-key numbers get (at most {CODE_CHARS} "
                       "characters, like any code) [assumed: 123456]", validate=validate.Length(min=1, max=CODE_CHARS))
    balance: Decimal = option(Money, defaults.SANDBOX_BALANCE, "What test keys see as balance")


@dataclass(frozen=True, kw_only=True)
class ProvynxScenario:
    schema_name = "Provynx"

    accounts: tuple[PnxAccount, ...] = option(many(PnxAccount), (), "The accounts, each with its keys and wallet")
    tenants: PnxTenants = option(PnxTenants, PnxTenants(), "Unknown keys matching these patterns become fresh "
                                 "one-key accounts on first use")
    servers: dict[int, PnxServer] = option(Servers, factory=dict, example={"2": "provynx/server2.yaml"})
    lifetime_ms: int = option(Duration, _TWENTY_MINUTES, "How long a number waits for its code [assumed: 20m]",
                              key="lifetime", validate=validate.Range(min=1))
    rate_limits: tuple[Rule, ...] = rate_limits(defaults.RATE_LIMITS, "60 requests per 60 s per key [assumed]")
    webhooks: RetryPolicy = option(RetryPolicy, RetryPolicy(), "Delivery retries [assumed: as PVADeals's]")
    behaviors: tuple[PnxBehavior, ...] = option(many(PnxBehavior), (), "First match wins; none matching: a code "
                                                "3 s after purchase (live)")
    sandbox: SandboxRules = option(SandboxRules, SandboxRules(), "What test keys get")
    cors_origins: tuple[str, ...] = option(many(fields.String(validate=validate.Regexp(
        r"^https?://[^/\s]+$", error="an origin is scheme://host[:port], no path"))), (),
        "Browser origins allowed by CORS (API_CORS_ORIGINS overrides)", example=["http://localhost:5173"])
    idempotency_ttl_ms: int = option(Duration, 24 * 3_600_000, "How long an Idempotency-Key is remembered "
                                     "[assumed: 24h]", key="idempotency_ttl", validate=validate.Range(min=1))

    @staticmethod
    def before_load(data: dict) -> dict:
        """A scenario that replaces one server's catalog keeps the bundled ones of the others."""
        given = data.get("servers", {})
        if isinstance(given, dict):
            given = {_server_number(key): entry for key, entry in given.items()}
            data = {**data, "servers": {**defaults.SERVER_FIXTURES, **given}}
        return data

    @staticmethod
    def check(data: dict) -> None:
        seen: dict[str, int] = {}
        for index, account in enumerate(data.get("accounts", [])):
            for key in account.keys + account.revoked_keys:
                if key in seen:
                    raise ValidationError({"accounts": {index: {"keys": [
                        f"a key also given in accounts[{seen[key]}]" if seen[key] != index else "a key given twice"]}}})
                seen[key] = index
        no_repeats([a.name for a in data.get("accounts", []) if a.name], "accounts", "name")
        services: list[tuple[tuple, PnxService]] = []
        for number, server in data.get("servers", {}).items():
            services += [(("servers", number, "us", "services", index), service)
                         for index, service in enumerate(server.us.services)]
            for at, country in enumerate(server.countries):
                services += [(("servers", number, "global", "countries", at, "services", index), service)
                             for index, service in enumerate(country.services)]
        errors = sms_length_problems(services, data.get("behaviors", []))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def loaded(data: dict) -> dict:
        return {**data, "servers": dict(sorted(data["servers"].items())),
                "accounts": tuple(replace(a, name=a.name or f"account-{index + 1}")
                                  for index, a in enumerate(data["accounts"]))}

    def behavior_for(self, server: PnxServer, country: PnxCountry, operator: str | None, service: PnxService,
                     number: str | None = None) -> PnxBehavior:
        return first_match(self.behaviors, DEFAULT_BEHAVIOR, service=(service.name, service.id),
                           country=country.code, server=server.id, operator=operator, number=number)

    @cached_property
    def initial_stock(self) -> dict[tuple[int, str, str], int]:
        """(server, country, service) -> the stock a fresh state starts with. Worked out once per
        scenario (it matches every offer against the behaviors: about 0.5 ms for the bundled
        catalog), not at every reset; a caller copies it before changing it."""
        return {(server.id, country.code, service.id): self.stock_of(server, country, service)
                for server in self.servers.values()
                for country in (server.us, *server.countries) for service in country.services}

    def stock_of(self, server: PnxServer, country: PnxCountry, service: PnxService) -> int:
        """The catalog's stock, unless the first behavior for the service (any operator) sets one."""
        behavior = self.behavior_for(server, country, None, service)
        return service.stock if behavior.stock is None else behavior.stock

    def match_values(self) -> dict[str, set]:
        """What a behavior's match can name here, by match field (scenario/warnings.py)."""
        countries = [country for server in self.servers.values() for country in (server.us, *server.countries)]
        return {"service": {name for c in countries for s in c.services for name in (s.name, s.id)},
                "country": {c.code for c in countries}, "operator": {o.id for c in countries for o in c.operators},
                "server": set(self.servers)}
