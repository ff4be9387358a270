"""The scenario file format, top level: each registered provider's section (in its own package)
under its name, and the parts every scenario has; shared pieces are in common.py."""
from __future__ import annotations

from functools import cache

from marshmallow import fields, post_load, validate

from .common import FaultSchema, Strict, described
from .fields import Instant, Seed
from .model import Scenario


class ClockSchema(Strict):
    start = Instant(load_default=None, metadata=described("'now' or an ISO 8601 instant"))
    frozen = fields.Boolean(load_default=False, metadata=described(
        "A frozen clock moves only by POST /_mock/clock; otherwise it runs in real time"))


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

    @post_load
    def make(self, data, **kwargs):
        from ..providers.registry import names
        return Scenario(
            name=data["name"], description=data["description"], seed=data["seed"],
            clock_start_ms=data["clock"]["start"], clock_frozen=data["clock"]["frozen"],
            sections={name: data[name] for name in names()}, faults=tuple(data["faults"]),
            strict_requests=data["strict_requests"])


@cache
def scenario_schema() -> type[Strict]:
    """The top level with a section per registered provider, in the registry's order. Built on
    first use: the providers' sections import this package, so it cannot import them first."""
    from ..providers.registry import PROVIDERS
    attributes = {provider.name: fields.Nested(provider.section_schema, metadata=described(provider.section_help))
                  for provider in PROVIDERS}
    attributes["faults"] = fields.List(fields.Nested(FaultSchema), load_default=list, metadata=described(
        "Requests to fail or slow down; the first that applies is used"))
    return type("ScenarioSchema", (_ScenarioBase,), attributes)
