"""Every PVADeals error status with its exact body; bad input never changes state."""
from __future__ import annotations

import pytest

from harness import AIRBNB, KEY, OTHER_KEY, THREE_FUN

UNAUTHORIZED = {"success": False, "message": "Unauthorized Access! Invalid API key", "status": 401}


def pvadeals_routes() -> list[tuple[str, str]]:
    """Every PVADeals route the app has, read from its URL map, so a new one cannot skip the gate."""
    from mockserver.app import create_app
    from mockserver.providers.registry import by_name
    prefix = by_name("pvadeals").prefix
    app = create_app(real_time=False)
    app.extensions["mockserver"].close()
    return sorted((method, rule.rule[len(prefix):].replace("<id>", "x"))
                  for rule in app.url_map.iter_rules() if rule.endpoint.startswith("pvadeals.")
                  for method in rule.methods - {"HEAD", "OPTIONS"})


ROUTES = pvadeals_routes()


def error(status: int, message: str) -> dict:
    return {"success": False, "message": message, "status": status}


def test_the_routes_checked_for_401_are_all_of_them():
    from mockserver.providers.registry import by_name
    registered = sorted((route.method, route.path.replace("<id>", "x")) for route in by_name("pvadeals").routes)
    assert ROUTES == registered and ("POST", "/reuse/x") in ROUTES


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "API-test-one"},
    {"Authorization": "Basic API-test-one"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer API-unknown"},
])
@pytest.mark.parametrize("method, path", ROUTES)
def test_missing_or_wrong_credentials_get_401(mock, headers, method, path):
    response = mock.pva(method, path, key=None, headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("body, message", [
    ('{"services": [', "Invalid JSON in request body"),
    ("not json at all", "Invalid JSON in request body"),
    ("", "services: Missing data for required field."),
    ("{}", "services: Missing data for required field."),
    ('{"services": []}', "services: must list at least one service"),
    ('{"services": "697139f7fe5460ddc2f27214"}', "services: Not a valid list."),
    ('{"services": [{"serviceId": 5}]}', "services[0].serviceId: Not a valid string."),
    ('{"services": [{}]}', "services[0].serviceId: Missing data for required field."),
    ('{"services": [{"serviceId": ""}]}', "services[0].serviceId: Shorter than minimum length 1."),
    ('[1, 2]', "Invalid input type."),
    ('null', "Invalid input type."),
])
def test_malformed_purchase_bodies_get_400_and_debit_nothing(mock, body, message):
    response = mock.pva("POST", "/purchase", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["success"] is False and response.json()["status"] == 400
    assert message in response.json()["message"]
    assert mock.credits() == 100


def test_unknown_service_is_404_and_nothing_is_bought(mock):
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB}, {"serviceId": "0" * 24}]})
    assert response.status_code == 404
    assert response.json() == error(404, "Service not found")
    assert mock.credits() == 100
    assert mock.pva("GET", "/requests").json()["data"]["data"]["edges"] == []


def test_insufficient_balance_is_422_and_all_or_nothing(mock):
    # OTHER_KEY holds 0.50: Airbnb (0.2) + 3Fun (0.1) + Airbnb + Airbnb = 0.7 is too much.
    response = mock.pva("POST", "/purchase", key=OTHER_KEY,
                        json={"services": [{"serviceId": AIRBNB}, {"serviceId": THREE_FUN}] + [{"serviceId": AIRBNB}] * 2})
    assert response.status_code == 422
    assert response.json() == error(422, "Insufficient balance")
    assert mock.credits(OTHER_KEY) == 0.5
    assert mock.pva("GET", "/requests", key=OTHER_KEY).json()["data"]["data"]["edges"] == []
    assert len(mock.buy(AIRBNB, AIRBNB, key=OTHER_KEY)) == 2
    assert mock.credits(OTHER_KEY) == 0.1


@pytest.mark.parametrize("method, path", [("GET", "/request/{id}"), ("POST", "/flag/{id}"), ("POST", "/reuse/{id}")])
@pytest.mark.parametrize("which", ["unknown", "not-an-id", "other-account"])
def test_unknown_or_foreign_request_ids_are_404(mock, method, path, which):
    foreign = mock.buy(AIRBNB, key=OTHER_KEY)[0]["_id"]
    request_id = {"unknown": "697a90d25ef1873ef44f48bc", "not-an-id": "nope", "other-account": foreign}[which]
    response = mock.pva(method, path.format(id=request_id))
    assert response.status_code == 404
    assert response.json() == error(404, "Service request not found")
    assert mock.detail(foreign, key=OTHER_KEY)["status"] == "RESERVED"


def test_another_accounts_requests_are_never_listed(mock):
    mock.buy(AIRBNB, key=OTHER_KEY)
    assert mock.pva("GET", "/requests").json()["data"]["data"]["edges"] == []
    assert len(mock.pva("GET", "/requests", key=OTHER_KEY).json()["data"]["data"]["edges"]) == 1


@pytest.mark.parametrize("query, message", [
    ("first=0", "first: Must be greater than or equal to 1 and less than or equal to 100."),
    ("first=101", "first: Must be greater than or equal to 1 and less than or equal to 100."),
    ("first=ten", "first: Not a valid integer."),
    ("orderField=price", "orderField: Must be one of: _id, createdAt, endTime."),
    ("orderBy=up", "orderBy: Must be one of: asc, desc."),
    ("after=%%%", "Invalid cursor"),
    ("after=Njk3YTkwZDI1ZWYxODczZWY0NGY0OGJj", "Invalid cursor"),
    ("before=bm9wZQ==", "Invalid cursor"),
    ("after=Njk3YTkwZDI1ZWYxODczZWY0NGY0OGJj&before=Njk3YTkwZDI1ZWYxODczZWY0NGY0OGJj",
     "Use either after or before, not both"),
])
def test_bad_list_queries_are_400(mock, query, message):
    response = mock.pva("GET", f"/requests?{query}")
    assert response.status_code == 400
    assert response.json() == error(400, message)


def test_flag_after_the_sms_is_422(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    response = mock.pva("POST", f"/flag/{request_id}")
    assert response.status_code == 422
    assert response.json() == error(422, "Flag not allowed for this request")


def test_reuse_before_any_sms_is_422(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    response = mock.pva("POST", f"/reuse/{request_id}")
    assert response.status_code == 422
    assert response.json() == error(422, "Reuse not allowed for this request")


@pytest.mark.parametrize("method, path, status, message", [
    ("GET", "/v3/api/nothing-here", 404, "Route not found"),
    ("GET", "/v3/api", 404, "Route not found"),
    ("GET", "/v3/api/purchase", 405, "Method not allowed"),
    ("DELETE", "/v3/api/balance", 405, "Method not allowed"),
    ("PUT", "/v3/api/request/abc", 405, "Method not allowed"),
])
def test_unknown_routes_and_wrong_methods_are_json(mock, method, path, status, message):
    response = mock.http.request(method, mock.url + path, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == error(status, message)


def test_paths_outside_every_api_are_json_too(mock):
    response = mock.http.get(mock.url + "/index.html")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": "Not Found", "status": 404}
