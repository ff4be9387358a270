"""The scenario file format, top level. Provider sections: pvadeals_section.py,
provynx_section.py; shared pieces: common.py."""
from __future__ import annotations

from marshmallow import fields, post_load, validate

from .common import FaultSchema, Strict, described
from .fields import Instant, Seed
from .model import Scenario
from .provynx_section import ProvynxSchema
from .pvadeals_section import PvaDealsSchema


class ClockSchema(Strict):
    start = Instant(load_default=None, metadata=described("'now' or an ISO 8601 instant"))
    frozen = fields.Boolean(load_default=False, metadata=described(
        "A frozen clock moves only by POST /_mock/clock; otherwise it runs in real time"))


class ScenarioSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="", metadata=described("What this scenario is for"))
    seed = Seed(load_default=0, metadata=described(
        "Same seed + same clock start + same requests = same ids, numbers and codes",
        anyOf=[{"type": "integer"}, {"type": "string"}]))
    clock = fields.Nested(ClockSchema)
    pvadeals = fields.Nested(PvaDealsSchema, metadata=described("PVADeals v3, under /v3/api"))
    provynx = fields.Nested(ProvynxSchema, metadata=described("Provynx v1, under /api/v1/sms"))
    faults = fields.List(fields.Nested(FaultSchema), load_default=list,
                         metadata=described("Requests to fail or slow down; the first that applies is used"))

    @post_load
    def make(self, data, **kwargs):
        return Scenario(
            name=data["name"], description=data["description"], seed=data["seed"],
            clock_start_ms=data["clock"]["start"], clock_frozen=data["clock"]["frozen"],
            pvadeals=data["pvadeals"], provynx=data["provynx"], faults=tuple(data["faults"]))
