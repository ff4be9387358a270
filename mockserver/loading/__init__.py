"""Scenario files and texts read into a validated Scenario: the loader, the schema assembled from
every registered provider's section, the JSON Schema and the reference generated from it, and the
warnings for what loads but looks like a mistake. Above the providers (mockserver/scenario/ is the
format's pieces, below them)."""
from mockserver.loading.loader import (
    ScenarioError,
    bundled_descriptions,
    bundled_names,
    load_scenario,
    load_text,
)

__all__ = ["ScenarioError", "bundled_descriptions", "bundled_names", "load_scenario", "load_text"]
