"""Every malformed input of a hostile client, sent to every route of both providers and of the
control API (read from the app, so a new route is covered unedited): oversized, chunked and deep
bodies, numbers past what a JSON parser can hold, methods and slashes no route takes. Each gets a
JSON answer in its API's own error shape and the status that API gives, never a 500; nothing in
the sandbox changes, and it keeps answering."""
from __future__ import annotations

import re

import pytest

from harness import KEY, LIVE, MockServer, scenario_with
from mockserver.settings import SNAPSHOT_PATH, Limits

SA_KEY = "SA-security"
LIMITS = Limits(max_body_bytes=2048, max_scenario_bytes=8192, max_snapshot_bytes=16384)
PLACEHOLDERS = {"id": "000000000000000000000000", "message_id": "msg_none", "name": "control",
                "filename": "dashboard.js", "region": "us", "dialect": "herosms"}
# By path prefix, first match: the root's index (GET /) answers errors in the default shape. The
# sms-activate protocol answers text tokens (TEXT); its HeroSMS dialect answers a refusal as
# {"title","details"}, and what no route answers (405, 413...) as a token.
TEXT = "text"
SHAPES = {"/v3/api": {"success", "message", "status"}, "/api/v1/sms": {"error"}, "/_mock": {"error", "status"},
          "/stubs": TEXT, "/herosms/stubs": {"title", "details"}, "/": {"error", "status"}}


@pytest.fixture(scope="module")
def server():
    mock = MockServer(scenario_with(**{"pvadeals.rate_limits": [{"limit": 1000000, "window": "1s"}],
                                       "provynx.rate_limits": [{"limit": 1000000, "window": "1s"}],
                                       "smsactivate.accounts": [{"key": SA_KEY}],
                                       "smsactivate.rate_limits": [{"limit": 1000000, "window": "1s"}]}), limits=LIMITS)
    yield mock
    mock.close()


def routes(app) -> list[tuple[str, str, str]]:
    """(method, path, API prefix) for every route the app has."""
    found = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?(\w+)(?:\([^)]*\))?>", lambda m: PLACEHOLDERS[m.group(1)], rule.rule)
        prefix = next(p for p in SHAPES if path.startswith(p))
        found += [(method, path, prefix) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def takes_a_body(server) -> set[tuple[str, str]]:
    """Routes whose OpenAPI operation has a request body, from the three served documents."""
    documents = {"/v3/api": "/_mock/openapi/pvadeals.json", "/api/v1/sms": "/api/v1/sms/openapi.json",
                 "/_mock": "/_mock/openapi/control.json"}
    found = set()
    for prefix, url in documents.items():
        for path, operations in server.http.get(server.url + url, timeout=10).json()["paths"].items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and "requestBody" in operation:
                    found.add((method.upper(), prefix + path))
    return found


def key_for(prefix: str) -> dict:
    return {"/v3/api": {"Authorization": f"Bearer {KEY}"}, "/api/v1/sms": {"Authorization": f"Bearer {LIVE}"},
            # the sms-activate protocol's key as HeroSMS's header (the api_key parameter works too)
            "/stubs": {"Authorization": f"ApiKey {SA_KEY}"}, "/herosms/stubs": {"Authorization": f"ApiKey {SA_KEY}"},
            }.get(prefix, {})


def snapshot(server) -> dict:
    state = server.control("GET", "/state").json()
    return {"state": state, "scenario": server.control("GET", "/scenario").json()["name"]}


def check(response, prefix: str, status: int, what: str) -> None:
    assert response.status_code == status, (what, response.status_code, response.text[:300])
    if SHAPES[prefix] == TEXT or response.headers.get("Content-Type", "").startswith("text/plain"):
        assert prefix in ("/stubs", "/herosms/stubs"), (what, response.headers)
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8", (what, response.headers)
        assert re.fullmatch(r"[A-Z_]+(:.*)?", response.text, re.S), (what, response.text[:300])
        return
    assert response.headers.get("Content-Type", "").startswith("application/json"), (what, response.headers)
    if status >= 400:
        # the scenario's refusals add the list of problems to the control API's shape
        assert set(response.json()) - {"problems"} == SHAPES[prefix], (what, response.text[:300])


def not_json(path: str) -> bool:
    """The dashboard's page and files, and the catalog's pictures: what the sandbox serves that is no API answer."""
    return path == "/_mock/" or path.startswith(("/_mock/dashboard", "/_mock/pictures"))


def deep(levels: int) -> bytes:
    return b'{"services": ' + b"[" * levels + b"]" * levels + b"}"


MALFORMED_BODIES = {
    "deep JSON": deep(1000),
    "JSON just past the depth limit": deep(40),
    "a 900-digit number": b'{"advance": ' + b"9" * 900 + b', "service": "whatsapp", "services": ' + b"9" * 900 + b"}",
    "a number past a float": b'{"advance": 1e400, "server": 1e400, "services": [{"serviceId": 1e400}]}',
    "NaN": b'{"advance": NaN, "server": NaN}',
    "Infinity": b'{"advance": -Infinity}',
    "not UTF-8": b'{"services": "\xff\xfe"}',
    "truncated": b'{"services": [{"serviceId": "',
}


@pytest.fixture(scope="module")
def baseline(server):
    """Each route's answer to a plain request (no body), before any hostile one; and the state."""
    answers = {}
    for method, path, prefix in routes(server.app):
        response = server.http.request(method, server.url + path, headers=key_for(prefix), timeout=10)
        answers[(method, path)] = response.status_code
    return answers, snapshot(server)


def test_routes_are_read_from_the_app(server):
    found = routes(server.app)
    assert ("POST", "/v3/api/purchase", "/v3/api") in found and ("DELETE", "/api/v1/sms/us/numbers/000000000000000000000000",
                                                                "/api/v1/sms") in found
    assert len({(m, p) for m, p, _ in found if p.startswith("/_mock")}) >= 14


@pytest.mark.parametrize("kind", sorted(MALFORMED_BODIES))
def test_malformed_json_bodies_on_every_route(server, baseline, kind):
    answers, before = baseline
    with_body = takes_a_body(server)
    for method, path, prefix in routes(server.app):
        response = server.http.request(method, server.url + path, data=MALFORMED_BODIES[kind], timeout=10,
                                       headers={**key_for(prefix), "Content-Type": "application/json"})
        expected = 400 if (method, path) in with_body else answers[(method, path)]
        if not_json(path):
            continue            # the page, its files and the pictures are not JSON
        check(response, prefix, expected, f"{kind}: {method} {path}")
    assert snapshot(server) == before


def test_bodies_over_the_limit_are_413_without_being_read(server, baseline):
    _, before = baseline
    for method, path, prefix in routes(server.app):
        limit = (LIMITS.max_snapshot_bytes if path == SNAPSHOT_PATH else LIMITS.max_scenario_bytes if prefix == "/_mock"
                 else LIMITS.max_body_bytes)
        for body in (b"x" * (limit + 1), iter([b"[" * 1000] * (limit // 1000 + 2))):      # sized, then chunked
            response = server.http.request(method, server.url + path, data=body, timeout=10,
                                           headers={**key_for(prefix), "Content-Type": "application/json"})
            check(response, prefix, 413, f"{method} {path}")
    assert snapshot(server) == before


def test_a_body_at_the_limit_is_read(server):
    padded = b'{"services": [{"serviceId": "nope"}]}'.ljust(LIMITS.max_body_bytes)
    response = server.pva("POST", "/purchase", data=padded, headers={"Content-Type": "application/json"})
    check(response, "/v3/api", 404, "a body of exactly the limit")


def test_methods_and_slashes_no_route_takes(server, baseline):
    answers, before = baseline
    for method, path, prefix in routes(server.app):
        options = server.http.options(server.url + path, headers=key_for(prefix), timeout=10)
        if path.startswith(("/_mock/dashboard/static", "/_mock/pictures")):
            continue
        check(options, prefix, 405, f"OPTIONS {path}")
        assert "OPTIONS" not in options.headers["Allow"] and method in options.headers["Allow"]
        if path == "/_mock/":
            continue                # the page, which takes /_mock, /_mock/ and /_mock//
        doubled = prefix + "/" + path[len(prefix):]                          # /v3/api//balance
        check(server.http.request(method, server.url + doubled, headers=key_for(prefix), timeout=10,
                                  allow_redirects=False), prefix, 404, f"{method} {doubled}")
        trailing = server.http.request(method, server.url + path + "/", headers=key_for(prefix), timeout=10,
                                       allow_redirects=False)
        if prefix == "/v3/api":             # PVADeals is an Express API: "/balance/" is "/balance"
            check(trailing, prefix, answers[(method, path)], f"{method} {path}/")
        else:
            check(trailing, prefix, 404, f"{method} {path}/")
    dashboard = server.http.get(server.url + "/_mock", allow_redirects=False, timeout=10)
    assert dashboard.status_code == 200 and dashboard.headers["Content-Type"].startswith("text/html")
    assert snapshot(server) == before


def test_huge_query_values_and_long_paths(server, baseline):
    answers, before = baseline
    for method, path, prefix in routes(server.app):
        if method != "GET" or not_json(path):
            continue
        query = {name: "9" * 4000 for name in ("first", "server", "key", "status", "country", "operator", "after")}
        response = server.http.get(server.url + path, params=query, headers=key_for(prefix), timeout=10)
        assert response.status_code in (200, 400, 404), (path, response.status_code, response.text[:200])
        check(response, prefix, response.status_code, f"GET {path}?huge")
    long_path = server.pva("GET", "/" + "a" * 20000)
    check(long_path, "/v3/api", 404, "a 20,000-character path")
    entry = server.control("GET", "/requests", params={"unmatched": "true"}).json()["requests"][-1]
    assert len(entry["path"]) == LIMITS.max_journal_text
    assert snapshot(server)["state"] == before["state"]
    assert server.control("GET", "/health").json()["status"] == "ok"
    assert server.pva("GET", "/balance").status_code == 200
