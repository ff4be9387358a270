"""The scenario file format, top level: each registered provider's section (in its own package)
under its name, and the parts every scenario has; shared pieces are in common.py."""
from __future__ import annotations

from functools import cache

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from mockserver.engine.chaos import Chaos, Rotation
from mockserver.engine.webhooks import DEFAULT_MESSAGE_IDS, MESSAGE_ID_KINDS
from mockserver.report.rule import Threshold
from mockserver.report.rules import THRESHOLDS
from mockserver.scenario.common import FaultSchema, Strict, described
from mockserver.scenario.fields import Duration, Instant, Seed, signing_secret
from mockserver.scenario.model import Scenario


class ClockSchema(Strict):
    start = Instant(load_default=None, metadata=described("'now' or an ISO 8601 instant"))
    frozen = fields.Boolean(load_default=False, metadata=described(
        "A frozen clock moves only by POST /_mock/clock; otherwise it runs in real time"))


_LONGEST_HOLD_MS = 3_600_000


class RotationSchema(Strict):
    old_secret = fields.String(required=True, validate=signing_secret, metadata=described(
        "The secret being rotated out (whsec_...): messages made during the rotation are signed with it and with "
        "the account's own secret, two v1, signatures"))
    start = Duration(load_default=0, data_key="from", metadata=described(
        "When the rotation begins, after the clock's start"))
    until = Duration(load_default=600_000, metadata=described(
        "When it ends (the old secret is no longer used), after the clock's start"))

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("start", 0) >= data.get("until", 600_000):
            raise ValidationError("until: after from")

    @post_load
    def make(self, data, **kwargs):
        return Rotation(data["old_secret"], data["start"], data["until"])


class SandboxWebhooksSchema(Strict):
    duplicates = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=1), metadata=described(
        "Delivery chaos: the share of messages (0 to 1) delivered a second time right after the first, with the "
        "same webhook-id and body; which ones is decided by the seed", default=0))
    reorder_window = Duration(load_default=0, longest_ms=_LONGEST_HOLD_MS, metadata=described(
        "Delivery chaos: each message is held back for a seeded delay between 0 and this long (virtual time) "
        "before its first attempt, so a later event may arrive before an earlier one; 0: none"))
    rotation = fields.Nested(RotationSchema, load_default=None, metadata=described(
        "Delivery chaos: a signing-secret rotation, for providers that sign (Standard Webhooks)"))
    message_ids = fields.String(load_default=DEFAULT_MESSAGE_IDS, validate=validate.OneOf(MESSAGE_ID_KINDS),
                                metadata=described(
        "How webhook message ids (webhook-id, which receivers de-duplicate on) are drawn: 'unique' (default), "
        "never the same twice, across resets and restarts; 'reproducible', from the seed, the same on every run "
        "of the same requests (a receiver that keeps the ids it processed drops the second run's deliveries)"))


def _threshold(threshold: Threshold) -> fields.Field:
    """A report rule's threshold as a field of the report: section (the rule declares it)."""
    if threshold.kind == "duration":
        return Duration(load_default=threshold.default, metadata=described(threshold.description))
    kind = fields.Integer if threshold.kind == "count" else fields.Float
    return kind(load_default=threshold.default, validate=validate.Range(min=threshold.minimum, max=threshold.maximum),
                metadata=described(threshold.description, default=threshold.default))


ReportSchema = Strict.from_dict({threshold.name: _threshold(threshold) for threshold in THRESHOLDS},
                                name="ReportSchema")


class _ScenarioBase(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="", metadata=described("What this scenario is for"))
    seed = Seed(load_default=0, metadata=described(
        "Same seed + same clock start + same requests = same ids, numbers and codes",
        anyOf=[{"type": "integer"}, {"type": "string"}]))
    clock = fields.Nested(ClockSchema)
    strict_requests = fields.Boolean(load_default=False, metadata=described(
        "Refuse (400) a request body field an API does not know, instead of ignoring it as the real APIs do "
        "(the journal notes every field ignored)"))
    webhooks = fields.Nested(SandboxWebhooksSchema, metadata=described(
        "Webhook deliveries of every provider (each provider's own section sets its retries)"))
    report = fields.Nested(ReportSchema, metadata=described(
        "Thresholds of the client report (GET /_mock/report, mockserver report): what counts as polling too "
        "fast, too close to a rate limit, or looping on a refusal"))

    @post_load
    def make(self, data, **kwargs):
        from mockserver.providers.registry import names
        hooks = data["webhooks"]
        return Scenario(
            name=data["name"], description=data["description"], seed=data["seed"],
            clock_start_ms=data["clock"]["start"], clock_frozen=data["clock"]["frozen"],
            sections={name: data[name] for name in names()}, faults=tuple(data["faults"]),
            strict_requests=data["strict_requests"], webhook_message_ids=hooks["message_ids"],
            webhook_chaos=Chaos(hooks["duplicates"], hooks["reorder_window"], hooks["rotation"]), report=data["report"])


@cache
def scenario_schema() -> type[Strict]:
    """The top level with a section per registered provider, in the registry's order. Built on
    first use: the providers' sections import this package, so it cannot import them first."""
    from mockserver.providers.registry import PROVIDERS
    attributes = {provider.name: fields.Nested(provider.section_schema, metadata=described(provider.section_help))
                  for provider in PROVIDERS}
    attributes["faults"] = fields.List(fields.Nested(FaultSchema), load_default=list, metadata=described(
        "Requests to fail or slow down; the first that applies is used"))
    return type("ScenarioSchema", (_ScenarioBase,), attributes)
