"""Bundled scenarios, shipped as the package mockserver.scenarios (setup.py maps this folder there),
usable by name; and scenario.schema.json, the JSON Schema of scenario files."""
