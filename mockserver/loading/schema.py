"""The scenario file format, top level: the parts every scenario has (model.py's Scenario) and
each registered provider's section (in its own package) under its name."""
from __future__ import annotations

from functools import cache

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mockserver.report.rule import Threshold
from mockserver.report.rules import THRESHOLDS
from mockserver.scenario.declare import Strict, schema_of
from mockserver.scenario.fields import Duration
from mockserver.scenario.model import Clock, SandboxWebhooks, Scenario


def _threshold(threshold: Threshold) -> fields.Field:
    """A report rule's threshold as a field of the report: section (the rule declares it)."""
    metadata: dict[str, object] = {"description": threshold.description}
    if threshold.kind == "duration":
        return Duration(load_default=threshold.default, metadata=metadata)
    kind = fields.Integer if threshold.kind == "count" else fields.Float
    return kind(load_default=threshold.default, validate=validate.Range(min=threshold.minimum, max=threshold.maximum),
                metadata={**metadata, "default": threshold.default})


ReportSchema = Strict.from_dict({threshold.name: _threshold(threshold) for threshold in THRESHOLDS},
                                name="ReportSchema")


def _registered_providers(self, data: dict, **kwargs) -> None:
    from mockserver.providers.registry import names  # see scenario_schema
    for index, fault in enumerate(data.get("faults", ())):
        if fault.match.provider is not None and fault.match.provider not in names():
            raise ValidationError({"faults": {index: {"match": {"provider": [
                f"Must be one of: {', '.join(names())}."]}}}})


@cache
def scenario_schema() -> type[Schema]:
    """The top level with a section per registered provider, in the registry's order. Built on
    first use: the providers' sections import this package, so it cannot import them first."""
    from mockserver.providers.registry import PROVIDERS
    extra = (("clock", fields.Nested(schema_of(Clock), metadata={"description": "The virtual clock"})),
             ("webhooks", fields.Nested(schema_of(SandboxWebhooks), metadata={"description": (
                 "Webhook deliveries of every provider (each provider's own section sets its retries)")})),
             ("report", fields.Nested(ReportSchema, metadata={"description": (
                 "Thresholds of the client report (GET /_mock/report, mockserver report): what counts as polling "
                 "too fast, too close to a rate limit, or looping on a refusal")})),
             *((provider.name, fields.Nested(schema_of(provider.section), metadata={
                 "description": provider.section_help})) for provider in PROVIDERS))
    base = schema_of(Scenario, extra, ("name", "description", "seed", "clock", "strict_requests", "webhooks", "report",
                                       *(provider.name for provider in PROVIDERS)))
    return type("ScenarioSchema", (base,), {"registered_providers": validates_schema(_registered_providers)})
