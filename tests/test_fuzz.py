"""Schemathesis against the served OpenAPI documents (Provynx's own, and PVADeals' from the
control API): no 5xx, JSON everywhere, every response in its documented status and shape. A
fixed seed and a bounded number of cases here (25 per operation and key: 700 requests for
Provynx, 350 for PVADeals, 550 for the control API); `make fuzz` raises it with
MOCKSERVER_FUZZ_EXAMPLES."""
from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from harness import MockServer, scenario_with

EXAMPLES = int(os.environ.get("MOCKSERVER_FUZZ_EXAMPLES", 25))
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance, status_code_conformance]

# Headers that frame the message belong to the HTTP client, not to the API's caller: a made-up
# Content-Length is answered by the WSGI server itself, before mockserver runs (docs/security.md
# lists those answers), so the fuzzer's invented headers leave them out.
_FRAMING = {"content-length", "transfer-encoding", "host", "connection", "expect", "te", "upgrade", "trailer"}


@schemathesis.hook("map_headers")
def _without_framing_headers(context, headers):
    return headers and {name: value for name, value in headers.items() if name.lower() not in _FRAMING}


_FUZZ = {
    "pvadeals.accounts": [{"key": "API-fuzz", "credits": 1000000}],
    "pvadeals.rate_limits": [{"limit": 1000000, "window": "1s"}],
    "provynx.accounts": [{"name": "fuzz", "keys": ["nsk_test_fuzz", "nsk_live_fuzz"], "balance": 1000000}],
    "provynx.rate_limits": [{"limit": 1000000, "window": "1s"}]}
_server = MockServer(scenario_with(**_FUZZ))
provynx = schemathesis.openapi.from_url(_server.url + "/api/v1/sms/openapi.json")
pvadeals = schemathesis.openapi.from_url(_server.url + "/_mock/openapi/pvadeals.json")
# The other shape profiles differ only in the catalog and the reuse answer (docs/pvadeals.md):
# those routes are fuzzed against each profile's own document too.
_profiles = {shape: MockServer(scenario_with(**_FUZZ, **{"pvadeals.shape": shape}))
             for shape in ("documented", "collection")}
_PROFILE_PATHS = r"^/(services/all|reuse/\{id\})$"
pvadeals_documented, pvadeals_collection = (
    schemathesis.openapi.from_url(_profiles[shape].url + "/_mock/openapi/pvadeals.json").include(path_regex=_PROFILE_PATHS)
    for shape in ("documented", "collection"))
control = schemathesis.openapi.from_url(_server.url + "/_mock/openapi/control.json")


@provynx.parametrize()
@seed(20261121)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_provynx_answers_as_documented(case):
    for key in ("nsk_live_fuzz", "nsk_test_fuzz"):
        case.call_and_validate(base_url=_server.url + "/api/v1/sms", headers={"Authorization": f"Bearer {key}"},
                               checks=CHECKS)


@pvadeals.parametrize()
@seed(20261121)
@settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_pvadeals_answers_as_documented(case):
    case.call_and_validate(base_url=_server.url + "/v3/api", headers={"Authorization": "Bearer API-fuzz"},
                           checks=CHECKS)


@pvadeals_documented.parametrize()
@seed(20261121)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_pvadeals_documented_profile_answers_as_its_document_says(case):
    case.call_and_validate(base_url=_profiles["documented"].url + "/v3/api", headers={"Authorization": "Bearer API-fuzz"},
                           checks=CHECKS)


@pvadeals_collection.parametrize()
@seed(20261121)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_pvadeals_collection_profile_answers_as_its_document_says(case):
    case.call_and_validate(base_url=_profiles["collection"].url + "/v3/api", headers={"Authorization": "Bearer API-fuzz"},
                           checks=CHECKS)


@control.parametrize()
@seed(20261121)
@settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_control_api_answers_as_documented(case):
    """Last in this module: it moves the clock and loads scenarios on the shared fuzz server."""
    case.call_and_validate(base_url=_server.url + "/_mock", checks=CHECKS)
