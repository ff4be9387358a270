"""Cursor pagination of GET /requests, forwards and backwards, for every order."""
from __future__ import annotations

import pytest

from harness import AIRBNB, THREE_FUN


@pytest.fixture
def seven_requests(mock):
    """Seven requests bought one second apart; two reused later, so endTime order differs from _id order."""
    bought = []
    for index in range(7):
        bought += mock.buy(AIRBNB if index % 2 == 0 else THREE_FUN)
        mock.advance("1s")
    mock.advance("10s")
    for request in (bought[0], bought[2]):
        assert mock.pva("POST", f"/reuse/{request['_id']}").status_code == 200
    details = [mock.detail(r["_id"]) for r in bought]
    by_end_time = [r["_id"] for r in sorted(details, key=lambda r: (r["endTime"], r["_id"]))]
    assert by_end_time[-2:] == [bought[0]["_id"], bought[2]["_id"]] != sorted(by_end_time)[-2:]
    return details


def page(mock, **query) -> dict:
    response = mock.pva("GET", "/requests", params=query)
    assert response.status_code == 200, response.text
    return response.json()["data"]["data"]


@pytest.mark.parametrize("order_field", ["_id", "createdAt", "endTime"])
@pytest.mark.parametrize("order_by", ["asc", "desc"])
def test_forwards_then_backwards_visits_every_request_once_in_order(mock, seven_requests, order_field, order_by):
    expected = [r["_id"] for r in sorted(seven_requests, key=lambda r: (r[order_field], r["_id"]),
                                         reverse=order_by == "desc")]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"first": 3, "orderField": order_field, "orderBy": order_by}
        if cursor:
            query["after"] = cursor
        data = page(mock, **query)
        ids = [edge["node"]["_id"] for edge in data["edges"]]
        info = data["pageInfo"]
        assert info["hasPreviousPage"] is bool(seen)
        assert info["startCursor"] == data["edges"][0]["cursor"] and info["endCursor"] == data["edges"][-1]["cursor"]
        seen += ids
        pages += 1
        cursor = info["endCursor"]
        if not info["hasNextPage"]:
            break
    assert seen == expected and pages == 3

    # Backwards from the last request with before: the pages that end just before it.
    back, before = [], cursor
    while True:
        data = page(mock, first=3, orderField=order_field, orderBy=order_by, before=before)
        back = [edge["node"]["_id"] for edge in data["edges"]] + back
        assert data["pageInfo"]["hasNextPage"] is True
        if not data["pageInfo"]["hasPreviousPage"]:
            break
        before = data["pageInfo"]["startCursor"]
    assert back == expected[:-1]


def test_defaults_are_first_20_by_id_descending(mock):
    for _ in range(25):
        mock.buy(THREE_FUN)
    data = page(mock)
    ids = [edge["node"]["_id"] for edge in data["edges"]]
    assert len(ids) == 20 and ids == sorted(ids, reverse=True)
    assert data["pageInfo"]["hasNextPage"] is True and data["pageInfo"]["hasPreviousPage"] is False
    rest = page(mock, after=data["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 5 and rest["pageInfo"]["hasNextPage"] is False


def test_an_empty_account_lists_nothing(mock):
    assert page(mock) == {"edges": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": False,
                                                    "startCursor": None, "endCursor": None}}


def test_listed_nodes_show_current_status(mock, seven_requests):
    statuses = {edge["node"]["_id"]: edge["node"]["status"] for edge in page(mock, first=100)["edges"]}
    assert statuses == {r["_id"]: r["status"] for r in seven_requests}
    # Airbnb numbers (even) got their SMS; two of them were reused; 3Fun (odd) still waits.
    assert [statuses[r["_id"]] for r in seven_requests] == \
        ["RESERVED", "RESERVED", "RESERVED", "RESERVED", "COMPLETED", "RESERVED", "COMPLETED"]
