"""The `provynx:` section of a scenario: its format, loaded into model.py's data."""
from __future__ import annotations

import re

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from mockserver.providers.provynx import defaults
from mockserver.providers.provynx.defaults import MAX_ACTIVE_KEYS
from mockserver.providers.provynx.model import (
    PnxAccount,
    PnxBehavior,
    PnxCountry,
    PnxOperator,
    PnxServer,
    PnxService,
    ProvynxScenario,
    SandboxRules,
)
from mockserver.scenario.common import (
    CODE_CHARS,
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
from mockserver.scenario.fields import (
    Duration,
    Fixture,
    Money,
    WebhookUrl,
    signing_secret,
)
from mockserver.scenario.model import (
    DEFAULT_CODE_LENGTH,
    DEFAULT_SMS_TEMPLATE,
    Match,
    Tenants,
)

# A server number written as text (JSON keys are text), as the JSON Schema's pattern has it.
_SERVER_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


def _server_number(key):
    """A servers key as a number: JSON has only text keys, so "1" is server 1 there (and in a
    scenario's definition as GET /_mock/scenario and snapshots write it)."""
    return int(key) if isinstance(key, str) and _SERVER_NUMBER.fullmatch(key) else key


_KEY = validate.Regexp(r"^nsk_(live|test)_[A-Za-z0-9_]+$", error="a Provynx key looks like nsk_live_xxxx or nsk_test_xxxx")


class PnxMatchSchema(MatchSchema):
    country = fields.String(load_default=None, metadata=described("A country code or glob; US numbers are 'us'"))
    server = fields.Integer(load_default=None, validate=validate.Range(min=1), metadata=described(
        "A server's number, as its catalog is listed under servers"))
    operator = fields.String(load_default=None, metadata=described("An operator id or glob"))

    @post_load
    def make(self, data, **kwargs):
        return Match(**data)


class CancelSchema(Strict):
    allowed = fields.Boolean(load_default=defaults.CANCEL_ALLOWED, metadata=described("DELETE on a pending US number"))
    refund = fields.Boolean(load_default=defaults.CANCEL_REFUND, metadata=described("Refund a live price on cancel"))


class PnxBehaviorSchema(BehaviorSchema):
    match = fields.Nested(PnxMatchSchema, metadata=described("Which numbers this is for; {} matches all"))
    cancel = fields.Nested(CancelSchema)
    stock = fields.Integer(load_default=None, validate=validate.Range(min=0), metadata=described(
        "Replaces the catalog stock of the services this matches (0: every purchase is a 503); "
        "ignored on a behavior that matches an operator or number"))

    @post_load
    def make(self, data, **kwargs):
        return PnxBehavior(**self.behavior_fields(data), cancel_allowed=data["cancel"]["allowed"],
                        cancel_refund=data["cancel"]["refund"], stock=data["stock"])


class PnxOperatorSchema(Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)

    @post_load
    def make(self, data, **kwargs):
        return PnxOperator(**data)


class PnxServiceSchema(Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)
    price = Money(required=True)
    stock = fields.Integer(load_default=defaults.SERVICE_STOCK, validate=validate.Range(min=0),
                           metadata=described("Numbers available"))
    operators = fields.List(fields.String(), load_default=list,
                            metadata=described("Operators carrying it (default: all of the country's)"))
    sms = fields.String(load_default=DEFAULT_SMS_TEMPLATE, validate=check_template,
                        metadata=described(f"The service's SMS wording; {TEMPLATE_HELP}"))
    code_length = fields.Integer(load_default=DEFAULT_CODE_LENGTH, validate=validate.Range(min=3, max=12))

    @post_load
    def make(self, data, **kwargs):
        return PnxService(**{**data, "operators": tuple(data["operators"])})


class _CatalogSchema(Strict):
    operators = fields.List(fields.Nested(PnxOperatorSchema), required=True,
                            validate=validate.Length(min=1, error="list at least the operator 'any'"))
    services = fields.List(fields.Nested(PnxServiceSchema), load_default=list)

    @validates_schema
    def consistent(self, data, **kwargs):
        no_repeats([o.id for o in data.get("operators", [])], "operators", "id")
        no_repeats([s.id for s in data.get("services", [])], "services", "id")
        known = {o.id for o in data.get("operators", [])}
        for index, service in enumerate(data.get("services", [])):
            unknown = [position for position, o in enumerate(service.operators) if o not in known]
            if unknown:
                raise ValidationError({"services": {index: {"operators": {
                    unknown[0]: ["not one of this catalog's operators"]}}}})


class PnxUsSchema(_CatalogSchema):
    @post_load
    def make(self, data, **kwargs):
        return PnxCountry(code="us", name="United States", number_format=defaults.US_NUMBER_FORMAT,
                          operators=tuple(data["operators"]), services=tuple(data["services"]))


class PnxCountrySchema(_CatalogSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2}$", error="a two-letter lowercase code"))
    name = fields.String(required=True)
    number_format = fields.String(required=True, validate=validate.Regexp(
        r"^\+[0-9#$]{6,16}$", error="an E.164 pattern like +447######### (# any digit, $ 2-9)"),
        metadata=described("How its numbers look: # any digit, $ a digit 2-9"))

    @post_load
    def make(self, data, **kwargs):
        return PnxCountry(code=data["code"], name=data["name"], number_format=data["number_format"],
                          operators=tuple(data["operators"]), services=tuple(data["services"]))


class PnxGlobalSchema(Strict):
    countries = fields.List(fields.Nested(PnxCountrySchema), load_default=list)

    @validates_schema
    def unique(self, data, **kwargs):
        no_repeats([c.code for c in data.get("countries", [])], "countries", "code")


class PnxServerSchema(Strict):
    us = fields.Nested(PnxUsSchema, required=True, metadata=described("The US catalog"))
    global_ = fields.Nested(PnxGlobalSchema, data_key="global", metadata=described("The other countries"))


class Servers(fields.Field):
    """Server number to its catalog, inline or a fixture file; the servers clients may pick are
    these. Errors are filed under the server number, so they point at the entry in the file."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", described(
            "Catalog per server number: a fixture file or inline {us, global}; servers 1, 2 and 3 not given "
            "keep the bundled provynx/serverN.yaml"))
        super().__init__(**kwargs)

    # Keywords apispec does not pass through; jsonschema.py adds them to this field's property.
    json_schema = {"type": "object", "additionalProperties": False,
                   "patternProperties": {"^[1-9][0-9]*$": {"anyOf": [{"type": "string"},
                                                                     {"$ref": "#/components/schemas/PnxServer"}]}}}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("a mapping of server number to its catalog")
        loaded, errors = {}, {}
        catalog = Fixture(PnxServerSchema)
        for key, entry in value.items():
            number = _server_number(key)
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                errors[key] = ["a server is a whole number from 1"]
                continue
            try:
                loaded[number] = catalog.deserialize(entry)
            except ValidationError as exc:
                errors[number] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class PnxWebhookSchema(Strict):
    url = WebhookUrl(load_default=None, metadata=described("Where otp.received is POSTed"))
    secret = fields.String(load_default=None, validate=signing_secret, metadata=described(
        "whsec_ + base64 key for Standard Webhooks signatures (default: derived from the seed)"))


class PnxAccountSchema(Strict):
    name = fields.String(load_default=None, validate=validate.Length(min=1),
                         metadata=described("Default: account-1, account-2, ..."))
    keys = fields.List(fields.String(validate=_KEY), required=True, validate=validate.Length(
        min=1, max=MAX_ACTIVE_KEYS, error=f"an account has from 1 to {MAX_ACTIVE_KEYS} active keys"),
        metadata=described("Active keys: nsk_live_... spend the wallet, nsk_test_... get the sandbox"))
    revoked_keys = fields.List(fields.String(validate=_KEY), load_default=list,
                               metadata=described("Keys that answer 401"))
    balance = Money(load_default=defaults.BALANCE, metadata=described("The live wallet"))
    webhook = fields.Nested(PnxWebhookSchema)


class PnxTenantsSchema(Strict):
    keys = fields.List(fields.String(validate=validate.Regexp(r"^nsk_(live|test)_", error="a pattern for nsk_ keys")),
                       load_default=list, metadata=described("Key patterns, e.g. nsk_test_worker*"))
    balance = Money(load_default=defaults.BALANCE, metadata=described("Each new account's live wallet"))
    webhook = fields.Nested(PnxWebhookSchema)

    @post_load
    def make(self, data, **kwargs):
        return Tenants(patterns=tuple(data["keys"]), balance=data["balance"], webhook_url=data["webhook"]["url"],
                       webhook_secret=data["webhook"]["secret"])


class SandboxSchema(Strict):
    polls = fields.Integer(load_default=defaults.SANDBOX_POLLS, validate=validate.Range(min=1),
                           metadata=described("The code appears on this poll of a test-key number"))
    code = fields.String(load_default=defaults.SANDBOX_CODE, validate=validate.Length(min=1, max=CODE_CHARS),
                         metadata=described(f"The code test-key numbers get (at most {CODE_CHARS} characters, like "
                                            "any code)"))
    balance = Money(load_default=defaults.SANDBOX_BALANCE, metadata=described("What test keys see as balance"))

    @post_load
    def make(self, data, **kwargs):
        return SandboxRules(**data)


class ProvynxSchema(Strict):
    default_servers = defaults.SERVER_FIXTURES

    accounts = fields.List(fields.Nested(PnxAccountSchema), load_default=list)
    tenants = fields.Nested(PnxTenantsSchema, metadata=described(
        "Unknown keys matching these patterns become fresh one-key accounts on first use"))
    servers = Servers()
    lifetime = Duration(load_default=defaults.LIFETIME_MS, validate=validate.Range(min=1),
                        metadata=described("How long a number waits for its code [assumed: 20m]"))
    rate_limits = rate_limits_field("60 requests per 60 s per key [assumed]")
    webhooks = fields.Nested(WebhookPolicySchema, metadata=described("Delivery retries"))
    behaviors = fields.List(fields.Nested(PnxBehaviorSchema), load_default=list,
                            metadata=described("First match wins; none matching: a code 3 s after purchase (live)"))
    sandbox = fields.Nested(SandboxSchema, metadata=described("What test keys get"))
    cors_origins = fields.List(fields.String(validate=validate.Regexp(
        r"^https?://[^/\s]+$", error="an origin is scheme://host[:port], no path")), load_default=list,
        metadata=described("Browser origins allowed by CORS (API_CORS_ORIGINS overrides)"))
    idempotency_ttl = Duration(load_default=defaults.IDEMPOTENCY_TTL_MS, validate=validate.Range(min=1),
                               metadata=described("How long an Idempotency-Key is remembered [assumed: 24h]"))

    @pre_load
    def _bundled_servers(self, data, **kwargs):
        """A scenario that replaces one server's catalog keeps the bundled ones of the others."""
        if isinstance(data, dict):
            given = data.get("servers", {})
            if isinstance(given, dict):
                given = {_server_number(key): entry for key, entry in given.items()}
                data = {**data, "servers": {**self.default_servers, **given}}
        return data

    @validates_schema
    def keys_unique(self, data, **kwargs):
        seen: dict[str, int] = {}
        for index, account in enumerate(data.get("accounts", [])):
            for key in account["keys"] + account["revoked_keys"]:
                if key in seen:
                    raise ValidationError({"accounts": {index: {"keys": [
                        f"a key also given in accounts[{seen[key]}]" if seen[key] != index else "a key given twice"]}}})
                seen[key] = index
        no_repeats([a["name"] for a in data.get("accounts", []) if a["name"]], "accounts", "name")

    @validates_schema
    def sms_bounded(self, data, **kwargs):
        services = []
        for number, catalog in data.get("servers", {}).items():
            services += [(("servers", number, "us", "services", index), service)
                         for index, service in enumerate(catalog["us"].services)]
            for at, country in enumerate(catalog["global_"]["countries"]):
                services += [(("servers", number, "global", "countries", at, "services", index), service)
                             for index, service in enumerate(country.services)]
        errors = sms_length_problems(services, data.get("behaviors", []))
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data, **kwargs):
        servers = {number: PnxServer(id=number, us=catalog["us"], countries=tuple(catalog["global_"]["countries"]))
                   for number, catalog in sorted(data["servers"].items())}
        accounts = tuple(PnxAccount(
            name=a["name"] or f"account-{index + 1}", keys=tuple(a["keys"]), revoked_keys=tuple(a["revoked_keys"]),
            balance=a["balance"], webhook_url=a["webhook"]["url"], webhook_secret=a["webhook"]["secret"])
            for index, a in enumerate(data["accounts"]))
        return ProvynxScenario(
            accounts=accounts, tenants=data["tenants"], servers=servers, lifetime_ms=data["lifetime"],
            rate_limits=defaults.RATE_LIMITS if data["rate_limits"] is None else tuple(data["rate_limits"]),
            webhooks=data["webhooks"], behaviors=tuple(data["behaviors"]), sandbox=data["sandbox"],
            cors_origins=tuple(data["cors_origins"]), idempotency_ttl_ms=data["idempotency_ttl"])
