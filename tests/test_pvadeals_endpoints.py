"""Every PVADeals endpoint's success body, exactly: names, order, values, types."""
from __future__ import annotations

import base64
import re

from harness import AIRBNB, KEY, START, THREE_FUN, scenario_with

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
REQUEST_KEYS = ["_id", "serviceName", "serviceId", "number", "status", "country", "amount", "numberType",
                "allowFlag", "allowReuse", "reuseCounter", "endTime", "createdAt"]


def test_balance_is_the_documented_body_byte_for_byte(mock):
    response = mock.pva("GET", "/balance")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.text == '{"success":true,"data":{"credits":100},"message":"Balance retrieved successfully"}'


def test_the_documented_profile_lists_the_catalog_as_the_doc_page_shows_it(start_server):
    mock = start_server(scenario_with(**{"pvadeals.shape": "documented"}))
    response = mock.pva("GET", "/services/all")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "data"]
    services = body["data"]["services"]
    assert services[:2] == [
        {"_id": "697139f4fe5460ddc2f271e9", "name": "3Fun", "country": "USA", "price": 0.1},
        {"_id": "697139f7fe5460ddc2f27214", "name": "Airbnb", "country": "USA", "price": 0.2},
    ]
    assert len(services) >= 25
    assert all(list(s) == ["_id", "name", "country", "price"] and OBJECT_ID.match(s["_id"]) for s in services)
    assert len({s["_id"] for s in services}) == len(services)


def test_purchase_returns_one_reserved_request_per_entry_and_debits(mock):
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB}, {"serviceId": THREE_FUN}]})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "data", "message"]
    assert body["success"] is True and body["message"] == "Numbers purchased successfully"
    first, second = body["data"]["requests"]
    assert list(first) == REQUEST_KEYS
    assert OBJECT_ID.match(first["_id"]) and first["_id"][:8] == "697a90d2"  # timestamp from the virtual clock
    assert re.match(r"^\+1[2-9]\d{2}[2-9]\d{6}$", first["number"])
    assert {k: v for k, v in first.items() if k not in ("_id", "number")} == {
        "serviceName": "Airbnb", "serviceId": AIRBNB, "status": "RESERVED", "country": "US", "amount": 0.2,
        "numberType": "STR", "allowFlag": True, "allowReuse": False, "reuseCounter": 0,
        "endTime": "2026-01-28T23:02:26.452Z", "createdAt": START}
    assert second["serviceName"] == "3Fun" and second["amount"] == 0.1
    assert second["_id"] != first["_id"] and second["number"] != first["number"]
    assert mock.credits() == 99.7


def test_request_detail_adds_message_counter_and_updated_at(mock):
    bought = mock.buy(AIRBNB)[0]
    response = mock.pva("GET", f"/request/{bought['_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Service request retrieved successfully"
    assert list(body["data"]) == REQUEST_KEYS[:11] + ["messageCounter", "endTime", "createdAt", "updatedAt"]
    assert body["data"] == {**bought, "messageCounter": 0, "updatedAt": START}


def test_flag_answers_data_true(mock):
    bought = mock.buy(AIRBNB)[0]
    response = mock.pva("POST", f"/flag/{bought['_id']}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": True, "message": "Number flagged successfully"}


def test_reuse_answers_the_documented_shape_without_created_at(start_server):
    mock = start_server(scenario_with(**{"pvadeals.shape": "documented"}))
    bought = mock.buy(AIRBNB)[0]
    mock.advance("3s")
    response = mock.pva("POST", f"/reuse/{bought['_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Number reused successfully"
    assert body["data"] == {
        "_id": bought["_id"], "serviceName": "Airbnb", "serviceId": AIRBNB, "number": bought["number"],
        "status": "RESERVED", "country": "USA", "amount": 0, "numberType": "STR", "allowFlag": False,
        "allowReuse": True, "reuseCounter": 1, "endTime": "2026-01-28T23:02:29.452Z"}
    assert list(body["data"]) == [k for k in REQUEST_KEYS if k != "createdAt"]


def test_requests_list_has_edges_with_base64_cursors_and_page_info(mock):
    older, newer = mock.buy(AIRBNB)[0], mock.buy(THREE_FUN)[0]
    response = mock.pva("GET", "/requests?first=20&orderBy=desc")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "data"]
    edges = body["data"]["data"]["edges"]
    assert [e["node"] for e in edges] == [newer, older]
    assert [base64.b64decode(e["cursor"]).decode() for e in edges] == [newer["_id"], older["_id"]]
    assert body["data"]["data"]["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": False,
        "startCursor": edges[0]["cursor"], "endCursor": edges[1]["cursor"]}


def test_the_documented_cursor_decodes_to_its_id():
    # The seed's example: cursor "Njk3YTkwZDI1ZWYxODczZWY0NGY0OGJj" for node 697a90d25ef1873ef44f48bc.
    from mockserver.providers.pvadeals.schemas import decode_cursor, encode_cursor
    assert encode_cursor("697a90d25ef1873ef44f48bc") == "Njk3YTkwZDI1ZWYxODczZWY0NGY0OGJj"
    assert decode_cursor("Njk3YTkwZDI1ZWYxODczZWY0NGY0OGJj") == "697a90d25ef1873ef44f48bc"


def test_the_seed_quick_start_flow_with_the_mock_url_and_key(mock):
    """The documented curl flow: services, purchase, then the SMS, read back by id."""
    services = mock.pva("GET", "/services/all").json()["data"]["services"]
    airbnb = next(s for s in services if s["name"] == "Airbnb")
    response = mock.pva("POST", "/purchase", headers={"Content-Type": "application/json"},
                        data='{\n"services": [\n{"serviceId": "%s"}\n]\n}' % airbnb["_id"])
    assert response.status_code == 200
    request_id = response.json()["data"]["requests"][0]["_id"]
    mock.advance("3s")
    assert mock.detail(request_id)["status"] == "COMPLETED"
    sms = mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["requests"][0]["messages"][0]
    assert re.fullmatch(r"Your Airbnb verification code is \d{4}\.", sms["text"])
    assert KEY == mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["key"]
