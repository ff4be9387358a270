"""The scenario file format, top level: the parts every scenario has (model.py's Scenario) and
each registered provider's section (in its own package) under its name."""
from __future__ import annotations

from functools import cache

from marshmallow import Schema, ValidationError, fields, validates_schema

from mockserver.scenario.declare import schema_of
from mockserver.scenario.model import Clock, SandboxWebhooks, Scenario


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
             *((provider.name, fields.Nested(schema_of(provider.section), metadata={
                 "description": provider.section_help})) for provider in PROVIDERS))
    base = schema_of(Scenario, extra, ("name", "description", "seed", "clock", "strict_requests", "webhooks", "report",
                                       *(provider.name for provider in PROVIDERS)))
    return type("ScenarioSchema", (base,), {"registered_providers": validates_schema(_registered_providers)})
