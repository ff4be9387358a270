"""The scenario reference (docs/scenario-reference.md), written from the JSON Schema of scenario
files, itself generated from the declarations: every field with its type, default, description
and an example, so the reference cannot drift from the format. `mockserver schema --markdown`
prints it; a test keeps the shipped file equal to it."""
from __future__ import annotations

import json
from pathlib import Path

from mockserver.loading.jsonschema import scenario_json_schema

SHIPPED = Path(__file__).resolve().parents[2] / "docs" / "scenario-reference.md"
_DURATION = "duration"

_HEAD = """\
# Scenario reference

Every field of a scenario file, generated from the format's own declarations (`mockserver schema
--markdown` writes this page; a test fails when it differs). [scenarios.md](scenarios.md) explains
scenarios with an annotated example. A field left out takes its default; a section left out takes
the defaults of all its fields. Durations are written `500ms`, `3s`, `20m`, `1h` (or `1h30m`, or a
number of seconds); money is a number with at most the settings' decimal places.
"""


def scenario_reference() -> str:
    schema = scenario_json_schema()
    definitions = schema["$defs"]
    places = _places(definitions)
    lines = [_HEAD]
    assumed = [(", ".join(f"`{_path(place, field)}`" for place in places[name]), prop) for name in places
               for field, prop in definitions[name].get("properties", {}).items()
               if "[assumed" in prop.get("description", "")]
    lines += ["## [assumed] defaults", "",
              "Where the providers' documentation is silent, the sandbox assumes a behaviour; each is a field:", "",
              "| Field | Default | What |", "|---|---|---|"]
    lines += [f"| {paths} | {_default(prop)} | {_cell(prop.get('description', ''))} |" for paths, prop in assumed]
    for name, at in places.items():
        definition = definitions[name]
        lines += ["", f"## {name}", "", "At " + ", ".join(f"`{place}`" for place in at) + "." if name != "Scenario"
                  else "The top level of a scenario file.", "",
                  "| Field | Type | Default | Description | Example |", "|---|---|---|---|---|"]
        required = set(definition.get("required", ()))
        for field, prop in definition.get("properties", {}).items():
            default = "required" if field in required else _default(prop)
            lines.append(f"| `{field}` | {_type(prop)} | {default} | {_cell(prop.get('description', ''))} "
                         f"| {_example(prop)} |")
    return "\n".join(lines) + "\n"


def _places(definitions: dict) -> dict[str, list[str]]:
    """Each definition reachable from the top level, in the order first met, with the paths it
    is found at (``pvadeals.behaviors[].flag``)."""
    places: dict[str, list[str]] = {"Scenario": ["(top level)"]}
    todo = [("Scenario", "")]
    while todo:
        name, path = todo.pop(0)
        for field, prop in definitions[name].get("properties", {}).items():
            for target, suffix in _refs(prop):
                place = _path(path, field) + suffix
                if target not in places:
                    places[target] = [place]
                    todo.append((target, place))
                elif place not in places[target]:
                    places[target].append(place)
    return places


def _refs(prop: dict) -> list[tuple[str, str]]:
    """The definitions a property refers to, each with what follows the field in a path."""
    found = []
    if "$ref" in prop:
        found.append((prop["$ref"].rsplit("/", 1)[1], ""))
    if "$ref" in prop.get("items", {}):
        found.append((prop["items"]["$ref"].rsplit("/", 1)[1], "[]"))
    for option in prop.get("anyOf", ()):
        found += [(target, suffix) for target, suffix in _refs(option)]
    for pattern in prop.get("patternProperties", {}).values():
        found += [(target, ".N") for target, _ in _refs(pattern)]
    if isinstance(prop.get("additionalProperties"), dict):
        found += [(target, ".NAME") for target, _ in _refs(prop["additionalProperties"])]
    return found


def _path(path: str, field: str) -> str:
    return f"{path}.{field}" if path and path != "(top level)" else field


def _type(prop: dict) -> str:
    if "$ref" in prop:
        return _link(prop["$ref"])
    if "anyOf" in prop:
        if any(option.get("pattern", "").startswith(r"^(\d+") for option in prop["anyOf"]):
            return _DURATION
        return " or ".join(_type(option) for option in prop["anyOf"] if option.get("type") != "null")
    if "patternProperties" in prop:
        return "mapping of number to " + " or ".join(_type(p) for p in prop["patternProperties"].values())
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"] if value is not None)
    kinds = prop.get("type", "any")
    kinds = [kind for kind in ([kinds] if isinstance(kinds, str) else kinds) if kind != "null"]
    text = " or ".join(kinds)
    if text == "array":
        text = "list of " + _type(prop.get("items", {}))
    elif text == "object" and "additionalProperties" in prop:
        text = "mapping to " + _type(prop["additionalProperties"])
    elif text == "string" and prop.get("description") == "a fixture file":
        text = "fixture file name"
    bounds = [f"{word} {prop[key]}" for key, word in (("minimum", "from"), ("maximum", "to"),
                                                      ("minItems", "at least"), ("maxItems", "at most"))
              if key in prop]
    if "pattern" in prop:
        bounds.append(f"matching `{prop['pattern']}`")
    return _cell(text + (f" ({', '.join(bounds)})" if bounds else ""))


def _link(ref: str) -> str:
    name = ref.rsplit("/", 1)[1]
    return f"[{name}](#{name.lower()})"


def _default(prop: dict) -> str:
    if "default" in prop:
        return f"`{json.dumps(prop['default'])}`"
    return "its fields' defaults" if "$ref" in prop else "see description"


def _example(prop: dict) -> str:
    if "examples" in prop:
        return f"`{json.dumps(prop['examples'][0])}`"
    if prop.get("default") not in (None, []):
        return f"`{json.dumps(prop['default'])}`"
    if "enum" in prop:
        return f"`{json.dumps(prop['enum'][0])}`"
    if "items" in prop and "$ref" not in prop["items"]:
        return f"`[{_example(prop['items']).strip('`')}]`"
    if "$ref" in prop or "items" in prop or "patternProperties" in prop or "anyOf" in prop:
        return "see its type"
    kind = _type(prop).split(" ")[0]
    if kind in ("integer", "number"):
        return f"`{prop.get('minimum', 1)}`"
    return "`true`" if kind == "boolean" else '`"3s"`' if kind == _DURATION else '`"text"`'



def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_shipped(path: Path = SHIPPED) -> None:
    path.write_text(scenario_reference(), encoding="utf-8")


if __name__ == "__main__":
    write_shipped()
