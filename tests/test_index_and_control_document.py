"""What a bare URL shows (GET /: an index of what is served, from the provider registry), and
how the control API's OpenAPI document describes its admin token."""
from __future__ import annotations

from harness import BASE_SCENARIO
from mockserver import __version__
from mockserver.control.access import Access
from mockserver.providers.registry import PROVIDERS


def test_the_root_answers_an_index_of_what_is_served(mock):
    response = mock.http.get(mock.url + "/", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    index = response.json()
    assert index["name"] == "mockserver" and index["version"] == __version__
    assert [(p["name"], p["title"], p["base_path"]) for p in index["providers"]] == \
        [(p.name, p.title, p.prefix) for p in PROVIDERS]
    assert index["control"]["base_path"] == "/_mock"
    listed = [index["dashboard"], index["control"]["openapi"], index["control"]["health"],
              *(p["openapi"] for p in index["providers"])]
    for path in listed:                       # every path it names is served
        assert mock.http.get(mock.url + path, timeout=10).status_code == 200, path
    assert mock.control("GET", "/openapi/control.json").json()["servers"] == [{"url": index["control"]["base_path"]}]


def test_the_control_document_describes_the_admin_token_and_what_needs_it(start_server):
    served = start_server(BASE_SCENARIO, access=Access(token="d0c-token"))
    document = served.http.get(served.url + "/_mock/openapi/control.json", headers={"X-Admin-Token": "d0c-token"},
                               timeout=10).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["adminToken"] | {"description": ""} == {"type": "apiKey", "in": "header", "name": "X-Admin-Token",
                                                           "description": ""}
    assert schemes["adminBearer"]["scheme"] == "bearer"
    assert "MOCKSERVER_ADMIN_TOKEN" in schemes["adminToken"]["description"]
    assert document["security"] == [{"adminToken": []}, {"adminBearer": []}]
    # What the document says holds on a server with a token: open operations answer without it,
    # the others only with it.
    for path, operations in document["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        needs_token = operations["get"].get("security", document["security"]) != []
        bare = served.http.get(f"{served.url}/_mock{path}", timeout=10)
        assert (bare.status_code == 401) is needs_token, path
        if needs_token:
            with_token = served.http.get(f"{served.url}/_mock{path}", headers={"X-Admin-Token": "d0c-token"}, timeout=10)
            assert with_token.status_code == 200, path
    assert document["paths"]["/health"]["get"]["security"] == []
