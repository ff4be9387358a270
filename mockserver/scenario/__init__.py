"""The scenario format's pieces: the parts of a scenario (model.py), each field declared once
(declare.py), the field kinds (fields.py), what the providers' sections share (common.py), YAML with
lines (yamlpos.py). Below the providers, which declare their sections with them; reading a file
into a Scenario is mockserver/loading/, above them."""
from mockserver.scenario.model import Scenario

__all__ = ["Scenario"]
