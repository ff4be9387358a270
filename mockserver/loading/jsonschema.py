"""The JSON Schema of scenario files, generated from the scenario's declarations (declare.py), so
editors (yaml-language-server) can complete and check scenarios. Shipped as
scenarios/scenario.schema.json; a test keeps that file equal to what this module generates."""
from __future__ import annotations

import json
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from mockserver.loading.loader import SCENARIOS_DIR
from mockserver.loading.schema import scenario_schema
from mockserver.loading.vocabulary import all_schemas
from mockserver.providers.registry import names
from mockserver.scenario.fields import schema_name

SHIPPED = SCENARIOS_DIR / "scenario.schema.json"
SCHEMA_ID = "https://mockserver.invalid/scenario.schema.json"


def scenario_json_schema() -> dict:
    spec = APISpec(title="mockserver scenario", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)])
    schemas = all_schemas(scenario_schema())
    # Schemas reached only through custom fields (fixtures, SMS lists) are registered by hand.
    for schema in schemas:
        if schema_name(schema) not in spec.components.schemas:
            spec.components.schema(schema_name(schema), schema=schema)
    generated = spec.to_dict()["components"]["schemas"]
    # A fault names a provider: the registered ones (the top level checks them when loading).
    generated["FaultMatch"]["properties"]["provider"]["enum"] = [*names(), None]
    for schema in schemas:
        for name, field in schema().fields.items():
            if hasattr(field, "json_schema"):
                generated[schema_name(schema)]["properties"][field.data_key or name].update(field.json_schema)
    definitions = json.loads(json.dumps(generated).replace('"#/components/schemas/', '"#/$defs/'))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "mockserver scenario", "description": "A scenario for mockserver: accounts, catalogs, "
            "behaviors and faults of the emulated SMS-verification APIs.",
            "$ref": "#/$defs/Scenario", "$defs": definitions}


def write_shipped(path: Path = SHIPPED) -> None:
    path.write_text(json.dumps(scenario_json_schema(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_shipped()
