"""Shapes of the control API (/_mock): our own, not a provider's. What it takes is validated by
these schemas, what it answers is dumped through them, and its OpenAPI document is generated
from them (control/openapi.py)."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mockserver.providers.registry import PROVIDERS, names
from mockserver.providers.shapes import IsoTime, dump
from mockserver.scenario.fields import Duration, Instant, signing_secret

_PROVIDER = validate.OneOf(names())


# -- what it takes ------------------------------------------------------------------------------


class KeyBodySchema(Schema):
    key = fields.String(validate=validate.Length(min=1))


class KeyQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    key = fields.String(validate=validate.Length(min=1))


class ClockBodySchema(Schema):
    advance = Duration(longest_ms=None)      # the clock itself says how far it may go
    set = Instant()
    freeze = fields.Boolean()
    key = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not {"advance", "set", "freeze"} & set(data):
            raise ValidationError("give advance (e.g. \"20m\"), set (ISO 8601) or freeze (true/false)")


class SmsBodySchema(Schema):
    provider = fields.String(load_default=None, validate=_PROVIDER,
                             metadata={"description": "Only this provider's numbers (default: any provider's)"})
    id = fields.String()
    number = fields.String()
    text = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def target(self, data, **kwargs):
        if ("id" in data) == ("number" in data):
            raise ValidationError("give exactly one of id or number")


def _postable_url(url: str | None) -> None:
    """A URL a webhook can be posted to: its port, if it names one, is a TCP port (1 to 65535)."""
    if url is None:
        return
    try:
        port = urlsplit(url).port
    except ValueError as exc:
        if "out of range" not in str(exc):
            return                  # not a URL at all: fields.Url says so
        port = 0
    if port == 0:
        raise ValidationError("the port must be 1 to 65535")


class WebhookTargetSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1))
    url = fields.Url(required=True, allow_none=True, require_tld=False, schemes={"http", "https"},
                     validate=_postable_url)
    secret = fields.String(validate=signing_secret)


class ProbeBodySchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1),
                        metadata={"description": "A key of the account whose webhook URL is probed"})


class WebhookQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    provider = fields.String(load_default=None, validate=_PROVIDER)
    event = fields.String(load_default=None)
    key = fields.String()


class JournalQuerySchema(Schema):
    class Meta:
        unknown = "exclude"

    provider = fields.String(load_default=None, validate=_PROVIDER)
    method = fields.String(load_default=None)
    path = fields.String(load_default=None)          # a glob
    key = fields.String(load_default=None)
    status = fields.Integer(load_default=None)
    unmatched = fields.Boolean(load_default=None)    # true: only requests no route answered
    count = fields.Boolean(load_default=False)


# -- what it answers ----------------------------------------------------------------------------


class ErrorAnswer(Schema):
    error = fields.String(required=True)
    status = fields.Integer(required=True)


class ScenarioProblems(ErrorAnswer):
    problems = fields.List(fields.String(), required=True)


class HealthAnswer(Schema):
    """Dumped from {"scenario": name, "notices": [...] when there are any}."""
    status = fields.Constant("ok", required=True, metadata={"type": "string"})
    scenario = fields.String(required=True)
    notices = fields.List(fields.String(), metadata={
        "description": "What the server has to say about itself (a state file it can no longer keep current)"})


class ClockAnswer(Schema):
    """Dumped from {"now": instant, "frozen": bool}."""
    now = IsoTime(required=True)
    frozen = fields.Boolean(required=True)
    cut = fields.String(metadata={"description": "A move that ran MOCKSERVER_MAX_EVENTS_PER_MOVE events stops "
                                                "where it got to, and says so here"})


class ResetAnswer(Schema):
    status = fields.Constant("reset", required=True, metadata={"type": "string"})
    scenario = fields.String(required=True)
    now = IsoTime(required=True)
    frozen = fields.Boolean(required=True)
    key = fields.String()


class SnapshotDocument(Schema):
    """A snapshot (mockserver/state/document.py); its parts are described in docs/snapshots.md."""
    format = fields.Constant("mockserver-snapshot", required=True, metadata={"type": "string"})
    version = fields.Integer(required=True)
    mockserver = fields.String(required=True)
    key = fields.String(required=True, allow_none=True, metadata={"description": "the key of a one-tenant snapshot"})
    tenant = fields.List(fields.String(), required=True, allow_none=True)
    scenario = fields.Dict(required=True)
    clock = fields.Dict(required=True)
    started_ms = fields.Integer(required=True)
    faults = fields.List(fields.Integer(), required=True)
    streams = fields.Dict(required=True, allow_none=True)
    providers = fields.Dict(required=True)
    timeline = fields.Dict(required=True)
    webhooks = fields.Dict(required=True)
    journal = fields.Dict(required=True)
    report = fields.List(fields.Dict(), required=True)


class RestoreAnswer(Schema):
    """Dumped from document.summary()."""
    status = fields.Constant("restored", required=True, metadata={"type": "string"})
    scenario = fields.String(required=True)
    accounts = fields.Integer(required=True)
    numbers = fields.Integer(required=True)
    pending = fields.Integer(required=True, metadata={"description": "timeline events still to run"})
    now = IsoTime(required=True)


class ScenarioAnswer(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    source = fields.String(required=True)
    seed = fields.Raw(required=True, metadata={"anyOf": [{"type": "integer"}, {"type": "string"}]})
    definition = fields.Dict(required=True, attribute="raw")
    warnings = fields.List(fields.String(), required=True, metadata={
        "description": "What loaded but looks like a mistake (mockserver validate prints the same)"})


class SmsAnswer(Schema):
    """An SMS delivered (providers/contract.py Delivered)."""
    provider = fields.String(required=True)
    id = fields.String(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    text = fields.String(required=True)
    code = fields.String(required=True, allow_none=True)
    at = IsoTime(required=True, attribute="at_ms")


class WebhookTargetAnswer(Schema):
    key = fields.String(required=True)
    url = fields.String(required=True, allow_none=True)
    secret = fields.String()


_VERDICT = {"enum": ["defended", "accepted", "inconclusive", None], "description":
            "A probe's: defended (4xx), accepted (2xx) or inconclusive (anything else); null for an event"}


class AttemptAnswer(Schema):
    """One webhook delivery attempt (engine/webhooks.py Attempt)."""
    id = fields.String(required=True, attribute="message.id")
    provider = fields.String(required=True, attribute="message.provider")
    event = fields.String(required=True, attribute="message.event")
    url = fields.String(required=True, attribute="message.url")
    attempt = fields.Integer(required=True, attribute="number")
    at = IsoTime(required=True, attribute="at_ms")
    ok = fields.Boolean(required=True)
    status = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    duration_ms = fields.Function(lambda attempt: round(attempt.duration_ms, 1), required=True,
                                  metadata={"type": "number"})
    headers = fields.Dict(required=True)
    body = fields.Function(lambda attempt: json.loads(attempt.message.body), required=True,
                           metadata={"description": "The exact JSON sent"})
    duplicate = fields.Boolean(required=True, metadata={
        "description": "A second delivery of the message made by the scenario's webhooks.duplicates"})
    held_ms = fields.Integer(required=True, attribute="message.held_ms", metadata={
        "description": "How long the scenario's webhooks.reorder_window held the message back"})
    probe = fields.String(required=True, allow_none=True, attribute="message.probe", metadata={
        "description": "A webhook probe's kind (POST /_mock/webhooks/probe); null for an event"})
    expect = fields.String(required=True, allow_none=True, attribute="message.expect", metadata=_VERDICT)
    verdict = fields.String(required=True, allow_none=True, metadata=_VERDICT)


class AttemptsAnswer(Schema):
    attempts = fields.List(fields.Nested(AttemptAnswer), required=True)


class ProbeResult(Schema):
    """One probe of POST /_mock/webhooks/probe and the receiver's answer."""
    kind = fields.String(required=True)
    what = fields.String(required=True)
    expect = fields.String(required=True, metadata={"enum": ["defended", "accepted"]})
    verdict = fields.String(required=True, metadata={"enum": ["defended", "accepted", "inconclusive"]})
    as_expected = fields.Boolean(required=True)
    id = fields.String(required=True, metadata={"description": "Its message id in the webhook log"})
    url = fields.String(required=True)
    at = IsoTime(required=True)
    status = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    duration_ms = fields.Function(lambda result: round(result["duration_ms"], 1), required=True,
                                  metadata={"type": "number"})


class ProbeAnswer(Schema):
    """Every probe kind of the account's provider, sent once each, in order."""
    key = fields.String(required=True)
    provider = fields.String(required=True)
    as_expected = fields.Boolean(required=True, metadata={"description": "Every verdict is the expected one"})
    timeout_s = fields.Integer(required=True, metadata={
        "description": "How long the probe waited for answers at most (MOCKSERVER_WEBHOOK_PROBE_TIMEOUT_S); "
                       "a probe unanswered by then is inconclusive"})
    defended = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    inconclusive = fields.Integer(required=True)
    results = fields.List(fields.Nested(ProbeResult), required=True)


class JournalEntryAnswer(Schema):
    """One request of the journal (engine/journal.py Entry)."""
    seq = fields.Integer(required=True)
    at = IsoTime(required=True, attribute="at_ms")
    provider = fields.String(required=True, allow_none=True)
    method = fields.String(required=True)
    path = fields.String(required=True)
    query = fields.String(required=True)
    key = fields.String(required=True, allow_none=True)
    status = fields.Integer(required=True)
    duration_ms = fields.Float(required=True)
    body = fields.String(required=True)
    matched = fields.Boolean(required=True)
    ignored = fields.List(fields.String(), required=True, metadata={
        "description": "Fields of the body the API ignored, not knowing them (a typo?)"})
    host = fields.String(required=True, allow_none=True, metadata={
        "description": "The Host header as the client sent it: the name it asked for (a provider's real host "
                       "name when it reached the sandbox there), null when it sent none"})


class JournalAnswer(Schema):
    size = fields.Integer()
    requests = fields.List(fields.Nested(JournalEntryAnswer))
    count = fields.Integer()


_SEVERITY = {"type": "string", "enum": ["info", "warning", "error"]}


class EvidenceAnswer(Schema):
    """A request (method, path, status: a journal entry's; a number's id for a number that ran out)
    or a webhook attempt (the message's id), at its virtual instant."""
    at = IsoTime(required=True)
    kind = fields.String(required=True, metadata={"enum": ["request", "webhook"]})
    method = fields.String()
    path = fields.String()
    status = fields.Integer()
    id = fields.String()


class FindingAnswer(Schema):
    """One finding of the client report (mockserver/report/)."""
    rule = fields.String(required=True, metadata={"enum": [
        "rate-headroom", "retry-after-ignored", "polling-too-fast", "unsafe-retry", "refusal-loop",
        "numbers-left-to-expire", "webhook-trouble", "webhook-receiver", "lenient-request"]})
    severity = fields.String(required=True, metadata=_SEVERITY)
    provider = fields.String(required=True)
    key = fields.String(required=True)
    summary = fields.String(required=True)
    advice = fields.String(required=True)
    count = fields.Integer(required=True)
    evidence = fields.List(fields.Nested(EvidenceAnswer), required=True, metadata={
        "description": "A sample, at most MOCKSERVER_REPORT_EVIDENCE_PER_RULE items"})


class ReportCounts(Schema):
    requests = fields.Integer(required=True)
    rate_limited = fields.Integer(required=True)
    client_errors = fields.Integer(required=True)
    server_errors = fields.Integer(required=True)
    dropped = fields.Integer(required=True)
    polls = fields.Integer(required=True)
    purchases = fields.Integer(required=True)
    releases = fields.Integer(required=True)
    webhook_attempts = fields.Integer(required=True)
    webhook_failures = fields.Integer(required=True)


class ReportAnswer(Schema):
    """What would hurt the client under test against the real provider: findings by severity
    (error first), then rule."""
    findings = fields.List(fields.Nested(FindingAnswer), required=True)
    counts = fields.Nested(ReportCounts, required=True)
    worst = fields.String(required=True, metadata={"enum": ["none", "info", "warning", "error"]})


class PendingEvent(Schema):
    at = IsoTime(required=True, attribute="at_ms")
    what = fields.String(required=True, attribute="label")


# Every provider's part of the state, under its name, in its own shape (its console's State).
StateAnswer = Schema.from_dict({
    "scenario": fields.String(required=True),
    "now": IsoTime(required=True),
    "frozen": fields.Boolean(required=True),
    "pending": fields.List(fields.Nested(PendingEvent), required=True),
    **{provider.name: fields.Raw(required=True, metadata={"$ref": f"#/components/schemas/{provider.state_schema.__name__}"})
       for provider in PROVIDERS},
}, name="StateAnswer")


def error_body(status: int, message: str) -> dict:
    return dump(ErrorAnswer, {"error": message, "status": status})


def clock_body(sandbox, tenant=None) -> dict:
    return dump(ClockAnswer, {"now": sandbox.clock.now(tenant), "frozen": sandbox.clock.frozen})
