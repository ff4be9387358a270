"""The scenario file format. Defaults here are the SPEC's values, [assumed] ones included,
so a scenario only writes what it changes."""
from __future__ import annotations

import base64
import binascii
from decimal import Decimal

import marshmallow
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from ..engine.faults import FaultRule
from ..engine.ratelimit import Rule
from ..engine.webhooks import RetryPolicy
from .fields import Duration, Fixture, Instant, Money, Seed
from .model import (DEFAULT_SMS_TEMPLATE, Behavior, Match, PnxAccount, PnxCountry, PnxOperator,
                    PnxServer, PnxService, ProvynxScenario, PvaAccount, PvaDealsScenario, PvaService,
                    SandboxRules, Scenario, SmsPlan)

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
            missing = {field.data_key or name: {} for name, field in self.fields.items()
                       if isinstance(field, fields.Nested) and not field.many and field.load_default is marshmallow.missing
                       and (field.data_key or name) not in data}
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
    country = fields.String(load_default=None)
    server = fields.Integer(load_default=None, validate=validate.OneOf([1, 2, 3]))
    operator = fields.String(load_default=None)

    @post_load
    def make(self, data, **kwargs):
        return Match(**data)


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


class CancelSchema(_Strict):
    allowed = fields.Boolean(load_default=True)
    refund = fields.Boolean(load_default=True)


class TimeoutSchema(_Strict):
    refund = fields.Boolean(load_default=True)


class BehaviorSchema(_Strict):
    match = fields.Nested(MatchSchema)
    sms = fields.List(fields.Nested(SmsPlanSchema), load_default=None)
    code = fields.Nested(CodeSchema)
    flag = fields.Nested(FlagSchema)
    reuse = fields.Nested(ReuseSchema)
    cancel = fields.Nested(CancelSchema)
    timeout = fields.Nested(TimeoutSchema)

    @post_load
    def make(self, data, **kwargs):
        sms = Behavior.sms if data["sms"] is None else tuple(sorted(data["sms"], key=lambda p: p.after_ms))
        return Behavior(
            match=data["match"],
            sms=sms,
            code_length=data["code"]["length"],
            code_alphabet=data["code"]["alphabet"],
            flag_allowed=data["flag"]["allowed"],
            flag_refund=data["flag"]["refund"],
            reuse_allowed=data["reuse"]["allowed"],
            reuse_price=data["reuse"]["price"],
            reuse_window_ms=data["reuse"]["window"],
            reuse_lifetime_ms=data["reuse"]["lifetime"],
            cancel_allowed=data["cancel"]["allowed"],
            cancel_refund=data["cancel"]["refund"],
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
    services = Fixture(PvaServiceSchema, many=True)
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


# -- Provynx ---------------------------------------------------------------------------------

MAX_ACTIVE_KEYS = 10   # documented: up to 10 active keys per account
_PROVYNX_KEY = validate.Regexp(r"^nsk_(live|test)_[A-Za-z0-9_]+$",
                               error="a Provynx key looks like nsk_live_xxxx or nsk_test_xxxx")


def _check_secret(secret: str) -> None:
    if not secret.startswith("whsec_"):
        raise ValidationError("a signing secret starts with whsec_")
    try:
        if not base64.b64decode(secret[len("whsec_"):], validate=True):
            raise ValueError
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("a signing secret is whsec_ followed by base64 (of at least one byte)") from exc


class PnxOperatorSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)

    @post_load
    def make(self, data, **kwargs):
        return PnxOperator(**data)


class PnxServiceSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)
    price = Money(required=True)
    stock = fields.Integer(load_default=100, validate=validate.Range(min=0))
    operators = fields.List(fields.String(), load_default=list)
    sms = fields.String(load_default=DEFAULT_SMS_TEMPLATE, validate=_check_template)
    code_length = fields.Integer(load_default=6, validate=validate.Range(min=3, max=12))

    @post_load
    def make(self, data, **kwargs):
        return PnxService(**{**data, "operators": tuple(data["operators"])})


class _PnxCatalogSchema(_Strict):
    operators = fields.List(fields.Nested(PnxOperatorSchema), required=True,
                            validate=validate.Length(min=1, error="list at least the operator 'any'"))
    services = fields.List(fields.Nested(PnxServiceSchema), load_default=list)

    @validates_schema
    def consistent(self, data, **kwargs):
        _no_repeats([o.id for o in data.get("operators", [])], "operators", "id")
        _no_repeats([s.id for s in data.get("services", [])], "services", "id")
        known = {o.id for o in data.get("operators", [])}
        for index, service in enumerate(data.get("services", [])):
            unknown = [o for o in service.operators if o not in known]
            if unknown:
                raise ValidationError({"services": {index: {"operators": [f"unknown operator {unknown[0]!r}"]}}})


class PnxUsSchema(_PnxCatalogSchema):
    @post_load
    def make(self, data, **kwargs):
        return PnxCountry(code="us", name="United States", number_format="+1$##$######",
                          operators=tuple(data["operators"]), services=tuple(data["services"]))


class PnxCountrySchema(_PnxCatalogSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2}$", error="a two-letter lowercase code"))
    name = fields.String(required=True)
    number_format = fields.String(required=True, validate=validate.Regexp(
        r"^\+[0-9#$]{6,16}$", error="an E.164 pattern like +447######### (# any digit, $ 2-9)"))

    @post_load
    def make(self, data, **kwargs):
        return PnxCountry(code=data["code"], name=data["name"], number_format=data["number_format"],
                          operators=tuple(data["operators"]), services=tuple(data["services"]))


class PnxGlobalSchema(_Strict):
    countries = fields.List(fields.Nested(PnxCountrySchema), load_default=list)

    @validates_schema
    def unique(self, data, **kwargs):
        _no_repeats([c.code for c in data.get("countries", [])], "countries", "code")


class PnxServerSchema(_Strict):
    us = fields.Nested(PnxUsSchema, required=True)
    global_ = fields.Nested(PnxGlobalSchema, data_key="global")


class Servers(fields.Field):
    """Server number (1, 2, 3) to its catalog, inline or a fixture file. Errors are filed under
    the server number, so they point at the entry in the file."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("a mapping of server number (1, 2 or 3) to its catalog")
        loaded, errors = {}, {}
        catalog = Fixture(PnxServerSchema)
        for number, entry in value.items():
            if number not in (1, 2, 3):
                errors[number] = ["servers are 1, 2 and 3"]
                continue
            try:
                loaded[number] = catalog.deserialize(entry)
            except ValidationError as exc:
                errors[number] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class PnxWebhookSchema(_Strict):
    url = fields.Url(load_default=None, require_tld=False, schemes={"http", "https"})
    secret = fields.String(load_default=None, validate=_check_secret)


class PnxAccountSchema(_Strict):
    name = fields.String(load_default=None, validate=validate.Length(min=1))
    keys = fields.List(fields.String(validate=_PROVYNX_KEY), required=True, validate=validate.Length(
        min=1, max=MAX_ACTIVE_KEYS, error=f"an account has from 1 to {MAX_ACTIVE_KEYS} active keys"))
    revoked_keys = fields.List(fields.String(validate=_PROVYNX_KEY), load_default=list)
    balance = Money(load_default=Decimal("0"))
    webhook = fields.Nested(PnxWebhookSchema)


class SandboxSchema(_Strict):
    polls = fields.Integer(load_default=2, validate=validate.Range(min=1))
    code = fields.String(load_default="123456", validate=validate.Length(min=1))
    balance = Money(load_default=Decimal("100.00"))

    @post_load
    def make(self, data, **kwargs):
        return SandboxRules(**data)


class ProvynxSchema(_Strict):
    default_servers = {1: "provynx/server1.yaml", 2: "provynx/server2.yaml", 3: "provynx/server3.yaml"}

    @pre_load
    def _bundled_servers(self, data, **kwargs):
        """A scenario that replaces one server's catalog keeps the bundled ones of the others."""
        if isinstance(data, dict):
            given = data.get("servers", {})
            if isinstance(given, dict):
                data = {**data, "servers": {**self.default_servers, **given}}
        return data

    accounts = fields.List(fields.Nested(PnxAccountSchema), load_default=list)
    servers = Servers()
    lifetime = Duration(load_default=20 * 60_000, validate=validate.Range(min=1))
    rate_limits = fields.List(fields.Nested(RateLimitSchema), load_default=None)
    webhooks = fields.Nested(WebhookPolicySchema)
    behaviors = fields.List(fields.Nested(BehaviorSchema), load_default=list)
    sandbox = fields.Nested(SandboxSchema)
    cors_origins = fields.List(fields.String(validate=validate.Regexp(
        r"^https?://[^/\s]+$", error="an origin is scheme://host[:port], no path")), load_default=list)

    @validates_schema
    def keys_unique(self, data, **kwargs):
        seen: dict[str, int] = {}
        for index, account in enumerate(data.get("accounts", [])):
            for key in account["keys"] + account["revoked_keys"]:
                if key in seen:
                    raise ValidationError({"accounts": {index: {"keys": [f"{key!r} is used twice"]}}})
                seen[key] = index
        _no_repeats([a["name"] for a in data.get("accounts", []) if a["name"]], "accounts", "name")

    @post_load
    def make(self, data, **kwargs):
        servers = {number: PnxServer(id=number, us=catalog["us"], countries=tuple(catalog["global_"]["countries"]))
                   for number, catalog in sorted(data["servers"].items())}
        accounts = tuple(PnxAccount(
            name=a["name"] or f"account-{index + 1}", keys=tuple(a["keys"]), revoked_keys=tuple(a["revoked_keys"]),
            balance=a["balance"], webhook_url=a["webhook"]["url"], webhook_secret=a["webhook"]["secret"])
            for index, a in enumerate(data["accounts"]))
        return ProvynxScenario(
            accounts=accounts, servers=servers, lifetime_ms=data["lifetime"],
            rate_limits=ProvynxScenario.rate_limits if data["rate_limits"] is None else tuple(data["rate_limits"]),
            webhooks=data["webhooks"], behaviors=tuple(data["behaviors"]), sandbox=data["sandbox"],
            cors_origins=tuple(data["cors_origins"]))


class FaultMatchSchema(_Strict):
    provider = fields.String(load_default=None, validate=validate.OneOf(["pvadeals", "provynx"]))
    method = fields.String(load_default=None, validate=validate.OneOf(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    path = fields.String(load_default=None, validate=validate.Regexp(r"^/", error="a path starts with /"))
    key = fields.String(load_default=None)


class FaultRespondSchema(_Strict):
    status = fields.Integer(required=True, validate=validate.Range(min=400, max=599))


class FaultSchema(_Strict):
    match = fields.Nested(FaultMatchSchema)
    times = fields.Integer(load_default=None, validate=validate.Range(min=1))
    respond = fields.Nested(FaultRespondSchema, load_default=None)
    delay = Duration(load_default=0)

    @validates_schema
    def does_something(self, data, **kwargs):
        if data.get("respond") is None and not data.get("delay"):
            raise ValidationError("a fault needs respond: {status: N}, a delay, or both")

    @post_load
    def make(self, data, **kwargs):
        match = data["match"]
        return FaultRule(provider=match["provider"], method=match["method"] and match["method"].upper(),
                         path=match["path"], key=match["key"], times=data["times"],
                         status=data["respond"]["status"] if data["respond"] else None, delay_ms=data["delay"])


class ClockSchema(_Strict):
    start = Instant(load_default=None)
    frozen = fields.Boolean(load_default=False)


class ScenarioSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="")
    seed = Seed(load_default=0)
    clock = fields.Nested(ClockSchema)
    pvadeals = fields.Nested(PvaDealsSchema)
    provynx = fields.Nested(ProvynxSchema)
    faults = fields.List(fields.Nested(FaultSchema), load_default=list)

    @post_load
    def make(self, data, **kwargs):
        return Scenario(
            name=data["name"], description=data["description"], seed=data["seed"],
            clock_start_ms=data["clock"]["start"], clock_frozen=data["clock"]["frozen"],
            pvadeals=data["pvadeals"], provynx=data["provynx"], faults=tuple(data["faults"]),
        )


def _no_repeats(values: list, where: str, field: str) -> None:
    seen = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ValidationError({where: {index: {field: [f"{value!r} appears twice"]}}})
        seen.add(value)
