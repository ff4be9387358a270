"""Scenarios: YAML files that choose every behaviour of the sandbox."""
from mockserver.scenario.loader import (
    ScenarioError,
    bundled_descriptions,
    bundled_names,
    load_scenario,
    load_text,
)
from mockserver.scenario.model import Scenario

__all__ = ["Scenario", "ScenarioError", "bundled_descriptions", "bundled_names", "load_scenario", "load_text"]
