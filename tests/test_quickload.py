"""quickload's planned loaders give what marshmallow's load gives, or step aside (UNPLANNED) for
marshmallow to load or refuse: for every body and query schema of every provider route, on input
drawn from each schema's own fields, right and wrong alike."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from mockserver.http.quickload import UNPLANNED, loader
from mockserver.http.shapes import schema_instance
from mockserver.providers.registry import PROVIDERS

SCHEMAS = sorted({schema for provider in PROVIDERS for route in provider.routes
                  for schema in (route.body, route.query) if schema is not None}, key=lambda s: s.__name__)

JSON = st.recursive(st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=4),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=6)
_WORDS = st.sampled_from(["", "313", "212", "1", "5", "abc", "asc", "desc", "_id", "createdAt", "whatsapp", "us",
                         "ALL_SERVICES", "697139f7fe5460ddc2f27214", "any", "true"])
TEXTS = st.one_of(_WORDS, _WORDS, _WORDS, st.text(max_size=6))


def _value(field: fields.Field, depth: int = 0) -> st.SearchStrategy:
    """Values for a field: mostly of its own type and the values its validators look for, sometimes
    of another type, a null, or anything JSON."""
    kind = type(field)
    if kind is fields.Nested and depth < 3:
        own = _object(type(field.schema), depth + 1)
        own = st.lists(own, min_size=1, max_size=3) | st.lists(own, max_size=3) if field.many else own
    elif kind is fields.List and depth < 3:
        own = st.lists(_value(field.inner, depth + 1), min_size=1, max_size=3) | st.lists(_value(field.inner, depth + 1),
                                                                                       max_size=3)
    elif isinstance(field, fields.Integer):
        own = st.integers(-3, 40) | st.sampled_from(["7", "30", "x"])
    elif isinstance(field, fields.Float):
        own = st.floats(-5, 500, allow_nan=False) | st.integers(-5, 500)
    elif isinstance(field, fields.Boolean):
        own = st.booleans() | st.sampled_from(["true", 1, 0])
    elif isinstance(field, fields.String):
        own = TEXTS
    else:
        own = JSON
    return st.one_of(*[own] * 12, st.none(), JSON)


def _object(schema: type[Schema], depth: int = 0) -> st.SearchStrategy:
    instance = schema_instance(schema)
    keys = {field.data_key or name: _value(field, depth) for name, field in instance.load_fields.items()}
    required = {key: keys[key] for key, field in zip(keys, instance.load_fields.values()) if field.required}
    others = {key: value for key, value in keys.items() if key not in required}
    return st.one_of(st.fixed_dictionaries(required, optional=others), st.fixed_dictionaries(required, optional=others),
                     st.fixed_dictionaries(required, optional={**others, "unknownField": JSON}),
                     st.fixed_dictionaries({}, optional=keys))


def _marshmallow(schema: type[Schema], data):
    try:
        return "loaded", schema_instance(schema).load(data)
    except ValidationError as error:
        return "refused", error.messages


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_planned_load_is_marshmallows_load(data):
    schema = data.draw(st.sampled_from(SCHEMAS))
    body = data.draw(_object(schema) | JSON)
    planned = loader(schema)(json.loads(json.dumps(body)))
    if planned is not UNPLANNED:
        outcome, loaded = _marshmallow(schema, body)
        assert outcome == "loaded", (schema.__name__, body, loaded)
        assert loaded == planned and list(loaded) == list(planned), (schema.__name__, body)


def test_the_bodies_requests_send_most_are_planned():
    """The plain case is taken by the plan, not handed to marshmallow each time (which would be
    correct, and as slow as before)."""
    [purchase] = [route.body for provider in PROVIDERS for route in provider.routes
                  if provider.name == "pvadeals" and route.name == "purchase"]
    body = {"services": [{"serviceId": "697139f7fe5460ddc2f27214"}, {"serviceId": "x", "areaCode": "313"}]}
    assert loader(purchase)(body) == schema_instance(purchase).load(body) == {
        "services": [{"serviceId": "697139f7fe5460ddc2f27214", "areaCode": ""}, {"serviceId": "x", "areaCode": "313"}]}
    planned = [schema.__name__ for schema in SCHEMAS if loader(schema)({}) is not UNPLANNED
               or loader(schema)({"services": []}) is not UNPLANNED]
    assert len(planned) >= 3, planned


def test_what_the_plan_steps_aside_for_marshmallow_refuses_in_its_own_words():
    [purchase] = [route.body for provider in PROVIDERS for route in provider.routes
                  if provider.name == "pvadeals" and route.name == "purchase"]
    for body in ({"services": [{"serviceId": 5}]}, {"services": []}, {"services": [{"serviceId": "x"}], "x": 1},
                 {"services": [{"serviceId": "x", "areaCode": "12"}]}, [], {"services": None}):
        assert loader(purchase)(body) is UNPLANNED
        assert _marshmallow(purchase, body)[0] == "refused"
