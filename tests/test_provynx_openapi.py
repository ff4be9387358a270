"""The served OpenAPI document is valid OpenAPI 3.1, lists exactly the app's Provynx routes, and
every status it documents for every route is answered with a body of the documented schema."""
from __future__ import annotations

import re
import threading
import time

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

from harness import LIVE, TEST, scenario_with

SLOW, FAULT_502, FAULT_503, POOR, LIMITED = ("nsk_live_slow", "nsk_live_fault502", "nsk_live_fault503",
                                             "nsk_live_poor", "nsk_live_limited")


@pytest.fixture(scope="module")
def server():
    from harness import MockServer
    scenario = scenario_with(**{
        "provynx.accounts": [
            {"name": "acme", "keys": [TEST, LIVE, SLOW, FAULT_502, FAULT_503, LIMITED], "balance": 50},
            {"name": "poor", "keys": [POOR], "balance": 0.01},
        ],
        "provynx.behaviors": [{"match": {"service": "telegram"}, "sms": [{"after": "1s"}]},
                              {"match": {}, "sms": []}],
    }, faults=[
        {"match": {"provider": "provynx", "key": SLOW, "method": "POST"}, "delay": "600ms"},
        {"match": {"provider": "provynx", "key": FAULT_502}, "respond": {"status": 502}},
        {"match": {"provider": "provynx", "key": FAULT_503}, "respond": {"status": 503}},
    ])
    mock = MockServer(scenario)
    yield mock
    mock.close()


@pytest.fixture(scope="module")
def document(server):
    response = server.http.get(server.url + "/api/v1/sms/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    return response.json()


def test_the_document_is_valid_openapi_3_1(document):
    validate_openapi(document)
    assert document["openapi"] == "3.1.0"


def test_the_document_lists_exactly_the_apps_routes(server, document):
    served = set()
    for rule in server.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/sms/") or rule.endpoint == "provynx.openapi":
            continue
        path = rule.rule[len("/api/v1/sms"):].replace("<id>", "{id}")
        regions = ["us", "global"] if "<any(us, global):region>" in path else [None]
        for region in regions:
            concrete = path.replace("<any(us, global):region>", region) if region else path
            served |= {(concrete, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, method, _ in operations(document)}
    assert documented == served


def operations(document):
    """(path, method, operation) for every operation; a path item also holds shared "parameters"."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _check(document, method: str, path: str, response) -> tuple:
    operation = document["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}, not documented: {response.text}"
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(response.json())
    if status == "429":
        assert int(response.headers["Retry-After"]) > 0
    return path, method, status


def _concurrent_409(server, method: str, url_path: str, body: dict):
    """Start one slow purchase, then repeat it with the same Idempotency-Key while it runs."""
    key = f"idem-{url_path}"
    worker = threading.Thread(target=lambda: server.pnx(method, url_path, key=SLOW, json=body,
                                                        headers={"Idempotency-Key": key}))
    worker.start()
    deadline = time.monotonic() + 5
    while not server.control("GET", "/state").json()["provynx"]["idempotency_in_flight"]:
        assert time.monotonic() < deadline
    response = server.pnx(method, url_path, key=SLOW, json=body, headers={"Idempotency-Key": key})
    worker.join(5)
    return response


def test_every_documented_status_of_every_route_is_answered_in_its_documented_shape(server, document):
    seen = set()

    def check(method, path, response, doc_path=None):
        seen.add(_check(document, method, doc_path or re.sub(r"num_[a-z0-9]+", "{id}", path), response))

    us = server.pnx_buy("us", service="whatsapp")
    glob = server.pnx_buy("global", service="whatsapp", country="gb")
    done = server.pnx_buy("us", service="telegram")
    server.advance("1s")
    numbers = {"us": us["id"], "global": glob["id"]}

    for path in ["/balance", "/us/operators", "/us/services?operator=tmobile", "/global/countries",
                 "/global/operators?country=gb", "/global/services?country=gb&operator=ee"]:
        check("get", path.split("?")[0], server.pnx("GET", path))
    for path in ["/us/operators?server=7", "/us/services?operator=nope", "/global/countries?server=0",
                 "/global/operators?country=zz", "/global/services"]:
        check("get", path.split("?")[0], server.pnx("GET", path))

    for region in ("us", "global"):
        body = {"service": "whatsapp", **({"country": "gb"} if region == "global" else {})}
        create = f"/{region}/numbers"
        check("post", create, server.pnx("POST", create, json=body))
        check("post", create, server.pnx("POST", create, json={"service": 5}))
        check("post", create, server.pnx("POST", create, key=POOR, json=body))
        check("post", create, server.pnx("POST", create, json={**body, "service": "nothing"}))
        check("post", create, _concurrent_409(server, "POST", create, body))
        check("post", create, server.pnx("POST", create, key=FAULT_502, json=body))
        check("post", create, server.pnx("POST", create, key=FAULT_503, json=body))
        number = numbers[region]
        for suffix in ("", "/code"):
            check("get", f"/{region}/numbers/{number}{suffix}", server.pnx("GET", f"/{region}/numbers/{number}{suffix}"))
            check("get", f"/{region}/numbers/{number}{suffix}", server.pnx("GET", f"/{region}/numbers/num_x{suffix}"))
        check("delete", f"/{region}/numbers/{number}", server.pnx("DELETE", f"/{region}/numbers/num_x"))
    check("delete", "/us/numbers/{id}", server.pnx("DELETE", f"/us/numbers/{us['id']}"))
    check("delete", "/us/numbers/{id}", server.pnx("DELETE", f"/us/numbers/{done['id']}"))
    check("delete", "/global/numbers/{id}", server.pnx("DELETE", f"/global/numbers/{glob['id']}"))

    every_route = [(method, path.replace("{id}", numbers["global" if path.startswith("/global") else "us"]))
                   for path, method, _ in operations(document)]
    for method, path in every_route:
        check(method, path, server.pnx(method.upper(), path, key=None))                     # 401
    while server.pnx("GET", "/balance", key=LIMITED).status_code != 429:
        pass
    for method, path in every_route:
        check(method, path, server.pnx(method.upper(), path, key=LIMITED))                  # 429

    documented = {(path, method, status) for path, method, operation in operations(document)
                  for status in operation["responses"]}
    assert seen == documented
