"""CORS on the Provynx routes only, for the origins in API_CORS_ORIGINS or the scenario."""
from __future__ import annotations

import pytest

from harness import KEY, scenario_with

APP = "https://app.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture
def cors_mock(start_server):
    return start_server(scenario_with(**{"provynx.cors_origins": [APP, "http://localhost:5173"]}))


def test_an_allowed_origin_gets_cors_headers_on_answers_and_errors(cors_mock):
    ok = cors_mock.pnx("GET", "/balance", headers={"Origin": APP})
    assert ok.headers["Access-Control-Allow-Origin"] == APP
    assert ok.headers["Vary"] == "Origin"
    assert "Retry-After" in ok.headers["Access-Control-Expose-Headers"]
    unauthorized = cors_mock.pnx("GET", "/balance", key=None, headers={"Origin": APP})
    assert unauthorized.status_code == 401 and unauthorized.headers["Access-Control-Allow-Origin"] == APP


def test_answers_no_route_gave_carry_cors_headers_too(cors_mock):
    """An unknown route or a wrong method is answered by the API, so a browser client must be
    able to read it: without the headers it would see a CORS failure instead of the 404."""
    unknown = cors_mock.pnx("GET", "/us/nothing-here", headers={"Origin": APP})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Not found"})
    assert unknown.headers["Access-Control-Allow-Origin"] == APP
    wrong = cors_mock.pnx("PUT", "/balance", headers={"Origin": APP})
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "GET, HEAD")
    assert wrong.headers["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Origin" not in cors_mock.pnx("GET", "/us/nothing", headers={"Origin": EVIL}).headers
    assert "Access-Control-Allow-Origin" not in cors_mock.pva("GET", "/nothing", headers={"Origin": APP}).headers


def test_a_preflight_from_an_allowed_origin_needs_no_key(cors_mock):
    response = cors_mock.http.options(cors_mock.url + "/api/v1/sms/us/numbers", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, DELETE, OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, Idempotency-Key"
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_a_refused_origin_gets_no_cors_headers(cors_mock):
    response = cors_mock.pnx("GET", "/balance", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = cors_mock.http.options(cors_mock.url + "/api/v1/sms/balance",
                                       headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert not any(h.startswith("Access-Control-") for h in preflight.headers)


def test_pvadeals_routes_never_get_cors_headers(cors_mock):
    response = cors_mock.pva("GET", "/balance", key=KEY, headers={"Origin": APP})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


def test_without_configured_origins_there_is_no_cors(mock):
    response = mock.pnx("GET", "/balance", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response.headers and "Vary" not in response.headers


def test_the_environment_variable_overrides_the_scenario(cors_mock, monkeypatch):
    monkeypatch.setenv("API_CORS_ORIGINS", f"{EVIL}, http://127.0.0.1:3000")
    assert cors_mock.pnx("GET", "/balance", headers={"Origin": EVIL}).headers["Access-Control-Allow-Origin"] == EVIL
    assert "Access-Control-Allow-Origin" not in cors_mock.pnx("GET", "/balance", headers={"Origin": APP}).headers
    monkeypatch.setenv("API_CORS_ORIGINS", "")
    assert "Access-Control-Allow-Origin" not in cors_mock.pnx("GET", "/balance", headers={"Origin": EVIL}).headers
