"""Scenario pieces both providers share: behaviors, rate limits, webhook policy, faults.

Every field carries a description: they document the format and become the hover text of the
JSON Schema that editors use. Defaults are SPEC's values, [assumed] ones included.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

import marshmallow
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from mockserver.engine.faults import HEADERS_ONLY, REAL, VIRTUAL, Canned, FaultRule
from mockserver.engine.mutations import OPS, Mutation
from mockserver.engine.ratelimit import Rule
from mockserver.engine.webhooks import RetryPolicy
from mockserver.scenario.fields import LONGEST_WAIT_MS, BodyFile, Duration, load_limits
from mockserver.scenario.model import (
    DEFAULT_SMS,
    DEFAULT_SMS_AFTER_MS,
    Behavior,
    Match,
    SmsPlan,
)
from mockserver.settings import Limits

TEMPLATE_FIELDS = ("service", "code", "number")
TEMPLATE_HELP = "placeholders: {service}, {code}, {number}"
_BAD_TEMPLATE = ("bad template: use only the placeholders {service}, {code} and {number} "
                 "(write {{ and }} for a literal brace)")

# The longest values a placeholder gets, but {service}, which is the catalog's: a code has at
# most 12 characters (code_length, CodeSchema, Provynx's sandbox code) and a number at most 17
# (+ and 16 digits).
CODE_CHARS = 12
NUMBER_CHARS = 17

# Python's format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]*)[,_]?(?:\.(?P<precision>[0-9]+))?[a-zA-Z%]?",
                          re.DOTALL)


@dataclass(frozen=True)
class Placeholder:
    name: str
    width: int
    precision: int | None


def template_parts(text: str, limits: Limits) -> tuple[int, tuple[Placeholder, ...]]:
    """The characters a template writes itself and its placeholders, or ValidationError. Each
    width and precision is read from the format spec and bounded (MOCKSERVER_MAX_TEMPLATE_WIDTH)
    before anything is formatted: "{code:>200000000}" would otherwise build 200 MB to check."""
    literal, placeholders = 0, []
    try:
        for before, name, spec, conversion in string.Formatter().parse(text):
            literal += len(before)
            if name is None:
                continue
            match = _FORMAT_SPEC.fullmatch(spec or "")
            if name not in TEMPLATE_FIELDS or conversion not in (None, "s") or match is None:
                raise ValidationError(_BAD_TEMPLATE)
            sizes = [match["width"], match["precision"]]
            if any(size and (len(size.lstrip("0")) > 9 or int(size) > limits.max_template_width) for size in sizes):
                raise ValidationError(f"bad template: a width or precision over {limits.max_template_width} "
                                      "(MOCKSERVER_MAX_TEMPLATE_WIDTH)")
            format("", spec)          # the rest of the spec, on an empty value: at most the width
            placeholders.append(Placeholder(name, int(match["width"] or 0),
                                            None if match["precision"] is None else int(match["precision"])))
    except ValueError as exc:
        raise ValidationError(_BAD_TEMPLATE) from exc
    return literal, tuple(placeholders)


def check_template(text: str) -> None:
    template_parts(text, load_limits())


def rendered_length(text: str, longest: dict[str, int], limits: Limits) -> int:
    """The most characters ``text`` can render to when each placeholder's value has at most
    ``longest[name]`` characters."""
    literal, placeholders = template_parts(text, limits)
    total = literal
    for placeholder in placeholders:
        value = longest[placeholder.name]
        if placeholder.precision is not None:
            value = min(value, placeholder.precision)
        total += max(value, placeholder.width)
    return total


def sms_length_problems(services, behaviors, *, extra_names: tuple[str, ...] = ()) -> dict:
    """marshmallow errors for each template that can render an SMS longer than MOCKSERVER_MAX_SMS_CHARS:
    ``services`` as (error path, service) pairs, each with its own name and wording; ``behaviors``
    (by index) apply to every service, so they are measured with the longest name."""
    limits = load_limits()
    problem = f"can render an SMS longer than {limits.max_sms_chars} characters (MOCKSERVER_MAX_SMS_CHARS)"
    errors: dict = {}
    longest_name = max([len(name) for name in extra_names] + [len(service.name) for _, service in services],
                       default=0)
    for where, service in services:
        if rendered_length(service.sms, {"service": len(service.name), "code": CODE_CHARS,
                                         "number": NUMBER_CHARS}, limits) > limits.max_sms_chars:
            _file_error(errors, (*where, "sms"), problem)
    longest = {"service": longest_name, "code": CODE_CHARS, "number": NUMBER_CHARS}
    for index, behavior in enumerate(behaviors):
        if any(plan.text is not None and rendered_length(plan.text, longest, limits) > limits.max_sms_chars
               for plan in behavior.sms):
            _file_error(errors, ("behaviors", index, "sms"), problem)
    return errors


def _file_error(errors: dict, path: tuple, message: str) -> None:
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node.setdefault(path[-1], []).append(message)


def described(text: str, **more) -> dict:
    return {"description": text, **more}


class Strict(Schema):
    """Unknown keys are refused (marshmallow's default), so a typo never passes silently.
    A missing section is loaded as an empty one, so its defaults come from its own schema;
    ``loaded_defaults`` are defaults that must go through their field too (a fixture name)."""

    loaded_defaults: dict = {}

    @pre_load
    def _fill_sections(self, data, **kwargs):
        if isinstance(data, dict):
            missing = {field.data_key or name: {} for name, field in self.fields.items()
                       if isinstance(field, fields.Nested) and not field.many
                       and field.load_default is marshmallow.missing and (field.data_key or name) not in data}
            missing.update({name: value for name, value in self.loaded_defaults.items() if name not in data})
            data = {**missing, **data}
        return data


def no_repeats(values: list, where: str, field: str) -> None:
    """Refuse a value given twice, naming both places (never the value: see paths.format_path)."""
    seen: dict = {}
    for index, value in enumerate(values):
        if value in seen:
            raise ValidationError({where: {index: {field: [f"the same as {where}[{seen[value]}]"]}}})
        seen[value] = index


# -- when SMS arrive -------------------------------------------------------------------------


class SmsPlanSchema(Strict):
    after = Duration(load_default=None, metadata=described("Arrives this long after the number is bought or reused"))
    on_poll = fields.Integer(load_default=None, validate=validate.Range(min=1), metadata=described(
        "Arrives when the client polls the number for the Nth time (GETs it, or its code)"))
    text = fields.String(load_default=None, validate=check_template, metadata=described(
        f"The message; {TEMPLATE_HELP}. Default: the service's own wording"))

    @validates_schema
    def one_trigger(self, data, **kwargs):
        if data.get("after") is not None and data.get("on_poll") is not None:
            raise ValidationError("give after or on_poll, not both")

    @post_load
    def make(self, data, **kwargs):
        after = data["after"] if data["after"] is not None or data["on_poll"] is not None else DEFAULT_SMS_AFTER_MS
        return SmsPlan(after_ms=after, on_poll=data["on_poll"], text=data["text"])


class SmsPlans(fields.Field):
    """A list of messages, or one of the words ``never`` / ``manual`` (none arrive by themselves)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", described(
            "When messages arrive: a list of {after} / {on_poll} items, or 'never' / 'manual' "
            "(only POST /_mock/sms delivers). Default: one message 3 s after purchase",
            anyOf=[{"type": "array", "items": {"$ref": "#/components/schemas/SmsPlan"}},
                   {"type": "string", "enum": ["never", "manual"]}]))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("never", "manual"):
            return ()
        if not isinstance(value, list):
            raise ValidationError("a list of messages, or 'never' or 'manual'")
        plans = SmsPlanSchema(many=True).load(value)
        # by time, then by poll: the order they will arrive in
        return tuple(sorted(plans, key=lambda p: (p.after_ms is None, p.after_ms or 0, p.on_poll or 0)))


class CodeSchema(Strict):
    length = fields.Integer(load_default=None, validate=validate.Range(min=3, max=12),
                            metadata=described("Characters in a code. Default: the service's own length"))
    alphabet = fields.String(load_default="digits", validate=validate.OneOf(["digits", "alnum", "letters"]),
                             metadata=described("digits (0-9), alnum (A-Z, 0-9) or letters (A-Z)"))


class TimeoutSchema(Strict):
    refund = fields.Boolean(load_default=Behavior.timeout_refund, metadata=described(
        "Refund the price when a number ends with no SMS [assumed: yes]"))


class MatchSchema(Strict):
    service = fields.String(load_default=None, metadata=described("A service's name or id; a glob (Air*)"))
    number = fields.String(load_default=None, metadata=described("A glob on the E.164 number, e.g. '+1313*'"))

    @post_load
    def make(self, data, **kwargs):
        return Match(**data)


class BehaviorSchema(Strict):
    """Fields every provider's behaviors have; each provider adds its own."""
    match = fields.Nested(MatchSchema, metadata=described("Which numbers this is for; {} matches all"))
    sms = SmsPlans(load_default=None)
    code = fields.Nested(CodeSchema, metadata=described("How generated codes look"))
    timeout = fields.Nested(TimeoutSchema, metadata=described("What happens when a number ends unused"))

    def behavior_fields(self, data) -> dict:
        return {"match": data["match"], "sms": DEFAULT_SMS if data["sms"] is None else data["sms"],
                "code_length": data["code"]["length"], "code_alphabet": data["code"]["alphabet"],
                "timeout_refund": data["timeout"]["refund"]}


# -- limits, webhooks, faults ----------------------------------------------------------------


class RateLimitSchema(Strict):
    scope = fields.String(load_default="key", validate=validate.OneOf(["key", "ip"]),
                          metadata=described("Count per API key or per client IP"))
    limit = fields.Integer(required=True, validate=validate.Range(min=1), metadata=described("Requests allowed"))
    window = Duration(required=True, validate=validate.Range(min=1), metadata=described("Per this long"))
    algorithm = fields.String(load_default="rolling", validate=validate.OneOf(["rolling", "token_bucket"]),
                              metadata=described("rolling: a sliding window; token_bucket: refills steadily"))
    paths = fields.List(fields.String(validate=validate.Regexp(r"^/", error="a path starts with /")),
                        load_default=list, metadata=described(
                            "Only these paths, relative to the provider's base (/purchase). Default: all"))

    @post_load
    def make(self, data, **kwargs):
        return Rule(limit=data["limit"], window_ms=data["window"], scope=data["scope"],
                    algorithm=data["algorithm"], paths=tuple(data["paths"]))


def rate_limits_field(default_text: str) -> fields.List:
    return fields.List(fields.Nested(RateLimitSchema), load_default=None,
                       metadata=described(f"Every rule must admit a request. Default: {default_text}"))


class WebhookPolicySchema(Strict):
    retries = fields.Integer(load_default=RetryPolicy.retries, validate=validate.Range(min=0, max=50),
                             metadata=described("Attempts after the first failed one"))
    delay = Duration(load_default=RetryPolicy.delay_ms, metadata=described("Virtual time between attempts"))
    timeout = Duration(load_default=RetryPolicy.timeout_ms, longest_ms=LONGEST_WAIT_MS, validate=validate.Range(min=1),
                       metadata=described("Real time a receiver has to answer [assumed: 5 s]"))

    @post_load
    def make(self, data, **kwargs):
        return RetryPolicy(retries=data["retries"], delay_ms=data["delay"], timeout_ms=data["timeout"])


def _registered_provider(name: str) -> None:
    from mockserver.providers.registry import (
        names,  # the registry imports the sections, which import this
    )
    if name not in names():
        raise ValidationError(f"Must be one of: {', '.join(names())}.")


class FaultMatchSchema(Strict):
    provider = fields.String(load_default=None, validate=_registered_provider,
                             metadata=described("A provider's name, as its scenario section is named"))
    method = fields.String(load_default=None, validate=validate.OneOf(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    path = fields.String(load_default=None, validate=validate.Regexp(r"^/", error="a path starts with /"),
                         metadata=described("A glob on the full path or the path within the provider's base"))
    key = fields.String(load_default=None, metadata=described("A glob on the API key"))


_KINDS = ("drop", "cut", "garbage", "empty", "reset", "trickle", "mutate")
_CANNED = ("headers", "content_type", "body", "body_file")
# How much a fault may send or keep of an answer: far more than any provider answer, far less than memory.
LARGEST_FAULT_BYTES = 1024 * 1024
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")
_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                  ".json": "application/json", ".xml": "application/xml"}
_PLAIN = "text/plain; charset=utf-8"


def _header_value(value: str) -> None:
    if any(ch in value for ch in "\r\n\0") or len(value) > 1024:
        raise ValidationError("a header value is one line of at most 1024 characters")


class MutationSchema(Strict):
    # YAML reads an unquoted `op: null` as no value: that is the null op too.
    op = fields.String(required=True, allow_none=True, validate=validate.OneOf(OPS), metadata={"enum": [*OPS, None], **described(
        "remove, rename (to: the new name), null, retype (to: string, number, boolean, array, object, null), "
        "add (value: the new field's), empty (a list, object or text emptied)")})
    path = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=described(
        "Fields from the top of the JSON answer, dot by dot; * is every element: data.requests.*.number"))
    to = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    value = fields.Raw(load_default=None, allow_none=True, metadata=described("add: the new field's value"))

    @post_load
    def make(self, data, **kwargs):
        try:
            return Mutation.parse(data["op"] or "null", data["path"], to=data["to"], value=data["value"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class ResetAt(fields.Field):
    """``headers`` (no body byte) or a number of body bytes."""
    json_schema = {"anyOf": [{"const": "headers"}, {"type": "integer", "minimum": 0, "maximum": LARGEST_FAULT_BYTES}]}

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "headers":
            return HEADERS_ONLY
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_FAULT_BYTES:
            raise ValidationError(f"expected headers, or a number of body bytes (0 to {LARGEST_FAULT_BYTES})")
        return value


class FaultRespondSchema(Strict):
    status = fields.Integer(load_default=None, validate=validate.Range(min=200, max=599), metadata=described(
        "Answer with this status: alone, in the provider's own error shape (400 to 599); with a body, body_file, "
        "headers or content_type, that answer as given (a proxy's HTML 502, an empty 200)"))
    headers = fields.Dict(keys=fields.String(validate=validate.Regexp(_HEADER_NAME, error="not a header name")),
                          values=fields.String(validate=_header_value), load_default=None,
                          validate=validate.Length(max=32), metadata=described("Headers of the answer given"))
    content_type = fields.String(load_default=None, validate=_header_value, metadata=described(
        "Its Content-Type (default: from body_file's suffix, else text/plain; charset=utf-8)"))
    body = fields.String(load_default=None, validate=validate.Length(max=LARGEST_FAULT_BYTES),
                         metadata=described("Its body, inline"))
    body_file = BodyFile(load_default=None, metadata=described(
        "Its body from a file beside the scenario or bundled: faults/cloudflare-502.html, faults/nginx-502.html, "
        "faults/nginx-503.html, faults/nginx-504.html, faults/gateway-429.txt"))
    drop = fields.Boolean(load_default=False, metadata=described("Break the connection mid-answer instead"))
    cut = fields.Integer(load_default=None, validate=validate.Range(min=0, max=LARGEST_FAULT_BYTES),
                         metadata=described("The real answer's first N bytes, with Content-Length N (malformed JSON)"))
    garbage = fields.Integer(load_default=None, validate=validate.Range(min=1, max=LARGEST_FAULT_BYTES),
                             metadata=described("N random bytes (from the seed) instead of an answer, then close"))
    empty = fields.Boolean(load_default=False, metadata=described("Close the connection with no answer at all"))
    reset = ResetAt(load_default=None, metadata=described(
        "The real answer's headers (reset: headers) or headers and N body bytes, then a connection reset (RST)"))
    trickle = Duration(load_default=None, longest_ms=LONGEST_WAIT_MS, validate=validate.Range(min=1),
                       metadata=described("The real answer's headers at once, its body spread over this long"))
    clock = fields.String(load_default=REAL, validate=validate.OneOf([REAL, VIRTUAL]), metadata=described(
        "trickle: over real time, or over the tenant's virtual clock (it ends as the test advances it)"))
    mutate = fields.List(fields.Nested(MutationSchema), load_default=None, validate=validate.Length(min=1, max=32),
                         metadata=described("The real answer with these changes (schema drift)"))
    happens = fields.Boolean(load_default=None, metadata=described(
        "garbage, empty: whether the call behind the answer runs (a purchase made) all the same (default: no)"))

    @validates_schema
    def one_way(self, data, **kwargs):
        kinds = [kind for kind in _KINDS if data.get(kind) is not None and data.get(kind) is not False]
        canned = [name for name in _CANNED if data.get(name) is not None]
        if canned and data.get("status") is None:
            raise ValidationError(f"{', '.join(canned)} go with a status: the answer they make")
        if data.get("status") is not None:
            kinds.append("status")
        if len(kinds) != 1:
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

    @post_load
    def make(self, data, **kwargs):
        """The FaultRule fields it sets."""
        made = {"drop": data["drop"], "cut": data["cut"], "garbage": data["garbage"], "empty": data["empty"],
                "reset": data["reset"], "trickle_ms": data["trickle"], "trickle_clock": data["clock"],
                "mutations": tuple(data["mutate"] or ()), "happens": data["happens"]}
        if any(data.get(name) is not None for name in _CANNED):
            body, suffix = data["body_file"] or ((data["body"] or "").encode("utf-8"), "")
            content_type = data["content_type"] or _CONTENT_TYPES.get(suffix, _PLAIN)
            made["canned"] = Canned(data["status"], content_type, tuple((data["headers"] or {}).items()), body)
        else:
            made["status"] = data["status"]
        return made


class FaultWindowSchema(Strict):
    start = Duration(load_default=0, data_key="from", metadata=described("From this long after the scenario starts"))
    until = Duration(load_default=None, metadata=described("Until this long after it starts (default: forever)"))


class FaultSchema(Strict):
    match = fields.Nested(FaultMatchSchema, metadata=described("Which requests; {} matches every provider request"))
    times = fields.Integer(load_default=None, validate=validate.Range(min=1),
                           metadata=described("At most N times (default: every time it takes a request)"))
    after = fields.Integer(load_default=0, validate=validate.Range(min=0), metadata=described(
        "Let the first N matching requests through first"))
    probability = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1, min_inclusive=False),
                               metadata=described("The share of matching requests it takes (0 to 1), drawn from "
                                                  "the scenario's seed: the same seed, the same faults"))
    during = fields.Nested(FaultWindowSchema, load_default=None,
                           metadata=described("Only inside this window of virtual time"))
    respond = fields.Nested(FaultRespondSchema, load_default=None)
    delay = Duration(load_default=0, longest_ms=LONGEST_WAIT_MS,
                     metadata=described("Real time to wait before answering (a slow provider)"))

    @validates_schema
    def does_something(self, data, **kwargs):
        if data.get("respond") is None and not data.get("delay"):
            raise ValidationError("a fault needs respond: (a status, an answer, a broken or slow body, mutations), "
                                  "a delay, or both")

    @post_load
    def make(self, data, **kwargs):
        match, respond, during = data["match"], data["respond"] or {}, data["during"] or {}
        return FaultRule(provider=match["provider"], method=match["method"], path=match["path"], key=match["key"],
                         times=data["times"], after=data["after"], probability=data["probability"], **respond,
                         delay_ms=data["delay"], from_ms=during.get("start", 0), until_ms=during.get("until"))
