"""What loads but is likely a mistake, said as warnings (``mockserver validate`` prints them, a
load logs them), and the field a misspelt name was probably meant to be.

A message names only the format's own fields and the catalog's names (the file it is about
loaded as a scenario, so those are not secrets); never the value that was written."""
from __future__ import annotations

import difflib
from fnmatch import fnmatchcase

from marshmallow import Schema

from mockserver.loading.vocabulary import nested_schema
from mockserver.scenario.model import Scenario
from mockserver.scenario.paths import Path


def scenario_warnings(scenario: Scenario) -> list[tuple[Path, str]]:
    """(path in the file, warning) pairs."""
    found: list[tuple[Path, str]] = []
    for provider, section in scenario.sections.items():
        names = section.match_values() if hasattr(section, "match_values") else {}
        for index, behavior in enumerate(getattr(section, "behaviors", ())):
            for field, known in names.items():
                pattern = getattr(behavior.match, field)
                if pattern is None or any(fnmatchcase(str(name), str(pattern)) for name in known):
                    continue
                near = difflib.get_close_matches(str(pattern), sorted(map(str, known)), n=1, cutoff=0.6)
                found.append(((provider, "behaviors", index, "match", field),
                              f"matches no {field} of the catalog, so this behavior never applies"
                              + (f"; did you mean `{near[0]}`?" if near else "")))
    if not any(getattr(section, "accounts", ()) or getattr(getattr(section, "tenants", None), "keys", ())
               for section in scenario.sections.values()):
        found.append(((), "no accounts and no tenant key patterns in any provider section: every API call "
                          "would answer 401 (add accounts, or copy them from the bundled default scenario)"))
    return found


def did_you_mean(root: type[Schema], path: Path) -> str:
    """For an unknown field at ``path``: " Did you mean `name`?" when a field allowed there is
    close to it, else ""."""
    schema: type[Schema] | None = root
    for step in path[:-1]:
        if isinstance(step, int) or schema is None:
            continue
        field = next((f for name, f in schema().fields.items() if (f.data_key or name) == step), None)
        schema = None if field is None else nested_schema(field)
    if schema is None or not isinstance(path[-1], str):
        return ""
    near = difflib.get_close_matches(path[-1], [f.data_key or name for name, f in schema().fields.items()],
                                     n=1, cutoff=0.8)
    return f" Did you mean `{near[0]}`?" if near else ""
