"""PVADeals as its own API collection documents it (SPEC 1b): the shape profiles, area codes,
long-term rentals, `last` paging and lenient request bodies. Exact bodies, through real HTTP."""
from __future__ import annotations

import base64
import re

import pytest

from harness import AIRBNB, BASE_SCENARIO, KEY, START, THREE_FUN, scenario_with

REDBEANS = "697139f4fe5460ddc2f271db"       # the collection's rental example, last in the catalog
PRICES = ["STRprice", "LTR3price", "LTR7price", "LTR14price", "LTR30price"]
REQUEST_KEYS = ["_id", "serviceName", "serviceId", "number", "status", "country", "amount", "numberType",
                "allowFlag", "allowReuse", "reuseCounter", "endTime", "createdAt"]
LTR_LISTED_KEYS = REQUEST_KEYS[:9] + ["autoRenewEnable"] + REQUEST_KEYS[9:]
RENTAL_KEYS = ["_id", "serviceName", "serviceId", "number", "status", "country", "amount", "endTime", "allowFlag",
               "autoRenewEnable", "numberType", "createdAt", "updatedAt"]
DAY = 24 * 3600 * 1000
# START plus whole days, as the API writes it.
AFTER_DAYS = {3: "2026-01-31T22:42:26.452Z", 6: "2026-02-03T22:42:26.452Z", 7: "2026-02-04T22:42:26.452Z",
              14: "2026-02-11T22:42:26.452Z", 28: "2026-02-25T22:42:26.452Z", 30: "2026-02-27T22:42:26.452Z"}


def rent(mock, service_id: str, days: int, key: str = KEY, **extra):
    return mock.pva("POST", "/purchase-ltr", key=key, json={"serviceId": service_id, "duration": days, **extra})


def rented(mock, service_id: str, days: int, **extra) -> dict:
    response = rent(mock, service_id, days, **extra)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def listed_ids(mock, **query) -> list[str]:
    response = mock.pva("GET", "/requests", params=query)
    assert response.status_code == 200, response.text
    return [edge["node"]["_id"] for edge in response.json()["data"]["data"]["edges"]]


# -- the catalog, by profile --------------------------------------------------------------------


def test_the_collection_profile_lists_the_collections_fields_in_its_order(start_server):
    mock = start_server(scenario_with(**{"pvadeals.shape": "collection"}))
    response = mock.pva("GET", "/services/all")
    assert response.status_code == 200
    services = response.json()["data"]["services"]
    picture = f"{mock.url}/_mock/pictures/{AIRBNB}.png"
    assert services[1] == {"_id": AIRBNB, "name": "Airbnb", "picture": picture, "country": "USA",
                           "STRprice": 0.2, "LTR3price": 0.7, "LTR7price": 1.25, "LTR14price": 1.75,
                           "LTR30price": 2.25}
    assert all(list(s) == ["_id", "name", "picture", "country", *PRICES] for s in services)
    assert services[-1]["_id"] == REDBEANS and services[-1]["name"] == "2RedBeans"


def test_the_default_profile_lists_the_doc_pages_fields_then_the_collections(mock):
    services = mock.pva("GET", "/services/all").json()["data"]["services"]
    assert services[0] == {"_id": THREE_FUN, "name": "3Fun", "country": "USA", "price": 0.1,
                           "picture": f"{mock.url}/_mock/pictures/{THREE_FUN}.png", "STRprice": 0.1,
                           "LTR3price": 0.7, "LTR7price": 1.25, "LTR14price": 1.75, "LTR30price": 2.25}
    assert all(list(s) == ["_id", "name", "country", "price", "picture", *PRICES] for s in services)
    assert all(s["price"] == s["STRprice"] for s in services)
    assert len(services) == 31


def test_a_catalog_picture_loads_offline_as_a_png(mock):
    picture = mock.pva("GET", "/services/all").json()["data"]["services"][0]["picture"]
    response = mock.http.get(picture, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    # A service's own colour, the same on every run, whatever the service (it needs no file).
    assert mock.http.get(picture, timeout=10).content == response.content
    assert mock.http.get(f"{mock.url}/_mock/pictures/{AIRBNB}.png", timeout=10).content != response.content


def test_a_scenario_sets_prices_pictures_and_which_rentals_a_service_offers(start_server):
    service = {"id": "6a0000000000000000000001", "name": "Tinder", "price": 0.3, "ltr_prices": {7: 2.5},
               "picture": "https://cdn.example/tinder.png"}
    mock = start_server(scenario_with(**{"pvadeals.services": [service]}))
    assert mock.pva("GET", "/services/all").json()["data"]["services"] == [
        {"_id": service["id"], "name": "Tinder", "country": "USA", "price": 0.3, "picture": service["picture"],
         "STRprice": 0.3, "LTR3price": None, "LTR7price": 2.5, "LTR14price": None, "LTR30price": None}]
    refused = rent(mock, service["id"], 3)
    assert (refused.status_code, refused.json()) == (
        422, {"success": False, "message": "LTR not available for this service", "status": 422})
    assert rented(mock, service["id"], 7)["amount"] == 2.5
    assert mock.credits() == 97.5


# -- request shapes, by profile -----------------------------------------------------------------


@pytest.mark.parametrize("shape", ["documented", "collection", "both"])
def test_every_profile_answers_the_same_request_shapes(start_server, shape):
    mock = start_server(scenario_with(**{"pvadeals.shape": shape}))
    bought = mock.buy(AIRBNB)[0]
    assert list(bought) == REQUEST_KEYS
    rental = rented(mock, AIRBNB, 7)
    assert list(rental) == RENTAL_KEYS
    assert list(mock.detail(rental["_id"])) == [*LTR_LISTED_KEYS[:12], "messageCounter", "endTime", "createdAt",
                                                "updatedAt"]
    nodes = [edge["node"] for edge in mock.pva("GET", "/requests").json()["data"]["data"]["edges"]]
    assert [list(node) for node in nodes] == [LTR_LISTED_KEYS, REQUEST_KEYS]


@pytest.mark.parametrize("shape, country", [("documented", "USA"), ("collection", "US"), ("both", "US")])
def test_a_reused_rental_says_the_profiles_country_and_keeps_its_days(start_server, shape, country):
    mock = start_server(scenario_with(**{"pvadeals.shape": shape}))
    rental = rented(mock, AIRBNB, 7)
    mock.advance("3s")                                # the SMS arrives; the rental may be reused
    response = mock.pva("POST", f"/reuse/{rental['_id']}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Number reused successfully", "data": {
        "_id": rental["_id"], "serviceName": "Airbnb", "serviceId": AIRBNB, "number": rental["number"],
        "status": "RESERVED", "country": country, "amount": 0, "numberType": "LTR", "allowFlag": False,
        "allowReuse": True, "reuseCounter": 1, "endTime": AFTER_DAYS[7]}}
    assert list(response.json()["data"]) == REQUEST_KEYS[:-1]
    mock.advance("3s")
    detail = mock.detail(rental["_id"])
    assert (detail["status"], detail["messageCounter"], detail["endTime"]) == ("COMPLETED", 2, AFTER_DAYS[7])


# -- area codes -----------------------------------------------------------------------------------


def test_an_empty_area_code_means_any(mock):
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "areaCode": ""}]})
    assert response.status_code == 200
    assert re.fullmatch(r"\+1[2-9]\d{2}[2-9]\d{6}", response.json()["data"]["requests"][0]["number"])


def test_an_offered_area_code_is_the_numbers_own(mock):
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "areaCode": "212"},
                                                                {"serviceId": THREE_FUN, "areaCode": "415"}]})
    assert response.status_code == 200
    numbers = [r["number"] for r in response.json()["data"]["requests"]]
    assert [n[:5] for n in numbers] == ["+1212", "+1415"]
    assert all(re.fullmatch(r"\+1\d{3}[2-9]\d{6}", n) for n in numbers)
    assert rented(mock, AIRBNB, 3, areaCode="313")["number"][:5] == "+1313"


def test_an_unoffered_area_code_is_422_and_buys_nothing(mock):
    # 907 (Alaska) is a real area code the default list leaves out, for exactly this.
    for body in ({"services": [{"serviceId": AIRBNB}, {"serviceId": THREE_FUN, "areaCode": "907"}]},):
        response = mock.pva("POST", "/purchase", json=body)
        assert (response.status_code, response.json()) == (
            422, {"success": False, "message": "Area code not available", "status": 422})
    response = rent(mock, AIRBNB, 7, areaCode="808")
    assert (response.status_code, response.json()["message"]) == (422, "Area code not available")
    assert mock.credits() == 100
    assert listed_ids(mock) == []


def test_a_service_may_offer_only_its_own_area_codes(start_server):
    mock = start_server(scenario_with(**{"pvadeals.services": [
        {"id": AIRBNB, "name": "Airbnb", "price": 0.2, "area_codes": ["907"]}]}))
    assert mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "areaCode": "212"}]}
                    ).status_code == 422
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "areaCode": "907"}]})
    assert response.json()["data"]["requests"][0]["number"][:5] == "+1907"


def test_asking_for_an_area_code_leaves_later_numbers_as_they_were(start_server):
    def numbers(area_codes):
        mock = start_server(BASE_SCENARIO)
        body = {"services": [{"serviceId": AIRBNB, "areaCode": code} for code in area_codes]}
        return [r["number"] for r in mock.pva("POST", "/purchase", json=body).json()["data"]["requests"]]

    plain, asked = numbers(["", "", ""]), numbers(["", "212", ""])
    assert (asked[0], asked[2]) == (plain[0], plain[2])
    assert asked[1] == "+1212" + plain[1][5:]


@pytest.mark.parametrize("path", ["/area-codes", f"/services/{AIRBNB}/area-codes"])
def test_guessed_area_code_routes_are_unknown(mock, path):
    response = mock.pva("GET", path)
    assert (response.status_code, response.json()) == (404, {"success": False, "message": "Route not found",
                                                              "status": 404})


def test_a_malformed_area_code_is_a_400(mock):
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "areaCode": "21"}]})
    assert (response.status_code, response.json()) == (400, {
        "success": False, "message": "services[0].areaCode: an area code is three digits (or empty: any)",
        "status": 400})


def test_numbers_in_one_area_code_are_unique_across_tenants(mock):
    numbers = []
    for key in (KEY, "API-w-one", "API-w-two"):
        response = mock.pva("POST", "/purchase", key=key,
                            json={"services": [{"serviceId": THREE_FUN, "areaCode": "212"}] * 40})
        assert response.status_code == 200, response.text
        numbers += [r["number"] for r in response.json()["data"]["requests"]]
    assert len(numbers) == 120 == len(set(numbers))
    assert {n[:5] for n in numbers} == {"+1212"}


# -- request bodies: fields the API does not know -------------------------------------------------


def test_an_unknown_body_field_is_ignored_and_the_journal_says_so(mock):
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "qty": 2}], "coupon": "X"})
    assert response.status_code == 200
    assert len(response.json()["data"]["requests"]) == 1
    entry = mock.control("GET", "/requests").json()["requests"][-1]
    assert (entry["path"], entry["status"], entry["ignored"]) == ("/v3/api/purchase", 200, ["services[0].qty", "coupon"])
    mock.buy(AIRBNB)
    assert mock.control("GET", "/requests").json()["requests"][-1]["ignored"] == []


def test_strict_requests_refuses_an_unknown_body_field_by_name(start_server):
    mock = start_server(scenario_with(strict_requests=True))
    response = mock.pva("POST", "/purchase", json={"services": [{"serviceId": AIRBNB, "qty": 2}]})
    assert (response.status_code, response.json()) == (
        400, {"success": False, "message": "services[0].qty: Unknown field.", "status": 400})
    assert mock.credits() == 100
    response = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp", "qty": 2})
    assert response.status_code == 400
    assert "qty: Unknown field." in response.text
    assert mock.wallet() == 10


def test_provynx_ignores_an_unknown_body_field_too(mock):
    response = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp", "qty": 2})
    assert response.status_code == 201
    assert mock.control("GET", "/requests").json()["requests"][-1]["ignored"] == ["qty"]


# -- long-term rentals ----------------------------------------------------------------------------


@pytest.mark.parametrize("days, price", [(3, 0.7), (7, 1.25), (14, 1.75), (30, 2.25)])
def test_a_rental_for_each_duration(mock, days, price):
    response = rent(mock, AIRBNB, days, areaCode="")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "data", "message"]
    rental = body["data"]
    assert re.fullmatch(r"[0-9a-f]{24}", rental["_id"]) and re.fullmatch(r"\+1\d{10}", rental["number"])
    assert body == {"success": True, "message": "LTR number purchased successfully", "data": {
        "_id": rental["_id"], "serviceName": "Airbnb", "serviceId": AIRBNB, "number": rental["number"],
        "status": "RESERVED", "country": "US", "amount": price, "endTime": AFTER_DAYS[days], "allowFlag": True,
        "autoRenewEnable": False, "numberType": "LTR", "createdAt": START, "updatedAt": START}}
    assert mock.credits() == round(100 - price, 2)


def test_the_all_services_number_runs_28_days_and_cannot_be_flagged(mock):
    response = rent(mock, "ALL_SERVICES", 28)
    assert response.status_code == 200
    rental = response.json()["data"]
    assert response.json() == {"success": True, "message": "LTR number purchased successfully", "data": {
        "_id": rental["_id"], "serviceName": "ALL_SERVICES", "serviceId": "ALL_SERVICES", "number": rental["number"],
        "status": "RESERVED", "country": "US", "amount": 12.99, "endTime": AFTER_DAYS[28], "allowFlag": False,
        "autoRenewEnable": False, "numberType": "LTR", "createdAt": START, "updatedAt": START}}
    assert mock.credits() == 87.01
    flagged = mock.pva("POST", f"/flag/{rental['_id']}")
    assert (flagged.status_code, flagged.json()["message"]) == (422, "Flag not allowed for this request")
    sent = mock.control("POST", "/sms", json={"provider": "pvadeals", "id": rental["_id"]})
    assert sent.json()["text"] == f"Your verification code is {sent.json()['code']}."


@pytest.mark.parametrize("service, days, status, message", [
    (AIRBNB, 5, 400, "duration must be 3, 7, 14 or 30 days, or 28 for ALL_SERVICES"),
    (AIRBNB, 28, 400, "duration must be 3, 7, 14 or 30 days, or 28 for ALL_SERVICES"),
    ("ALL_SERVICES", 30, 400, "duration must be 3, 7, 14 or 30 days, or 28 for ALL_SERVICES"),
    ("6a00000000000000000000ff", 7, 404, "Service not found"),
])
def test_a_rental_that_cannot_be_had(mock, service, days, status, message):
    response = rent(mock, service, days)
    assert (response.status_code, response.json()) == (status, {"success": False, "message": message, "status": status})
    assert mock.credits() == 100


def test_a_rental_the_credits_do_not_cover_buys_nothing(mock):
    response = rent(mock, "ALL_SERVICES", 28, key="API-test-two")
    assert (response.status_code, response.json()["message"]) == (422, "Insufficient balance")
    assert mock.credits("API-test-two") == 0.5


def test_renew_ltr_toggles_auto_renew_both_ways(mock):
    rental = rented(mock, AIRBNB, 7)
    mock.advance("10s")
    on = mock.pva("POST", f"/renew-ltr/{rental['_id']}")
    assert on.status_code == 200
    assert on.json() == {"success": True, "message": "Auto-renew enabled successfully", "data": {
        **rental, "status": "COMPLETED", "allowFlag": False, "autoRenewEnable": True,
        "updatedAt": "2026-01-28T22:42:36.452Z"}}
    off = mock.pva("POST", f"/renew-ltr/{rental['_id']}")
    assert off.json()["message"] == "Auto-renew disabled successfully"
    assert off.json()["data"]["autoRenewEnable"] is False
    assert mock.credits() == 98.75                     # toggling charges nothing


def test_renew_ltr_refuses_what_is_not_a_live_rental(mock):
    short = mock.buy(AIRBNB)[0]
    response = mock.pva("POST", f"/renew-ltr/{short['_id']}")
    assert (response.status_code, response.json()) == (
        422, {"success": False, "message": "Auto-renew is only available for LTR numbers", "status": 422})
    response = mock.pva("POST", "/renew-ltr/6a00000000000000000000ff")
    assert (response.status_code, response.json()["message"]) == (404, "Service request not found")
    rental = rented(mock, THREE_FUN, 3)
    mock.advance("3d")
    response = mock.pva("POST", f"/renew-ltr/{rental['_id']}")
    assert (response.status_code, response.json()["message"]) == (422, "This rental has ended")


def _state_request(mock, request_id: str) -> dict:
    accounts = mock.control("GET", "/state").json()["pvadeals"]["accounts"]
    return next(r for a in accounts for r in a["requests"] if r["_id"] == request_id)


def test_auto_renew_charges_again_at_end_time_and_extends_the_rental(mock):
    rental = rented(mock, THREE_FUN, 3)
    assert mock.pva("POST", f"/renew-ltr/{rental['_id']}").status_code == 200
    mock.advance("3d")
    detail = mock.detail(rental["_id"])
    assert (detail["status"], detail["endTime"], detail["amount"], detail["autoRenewEnable"]) == (
        "RESERVED", AFTER_DAYS[6], 0.7, True)
    assert detail["updatedAt"] == AFTER_DAYS[3]
    assert mock.credits() == 98.6
    assert _state_request(mock, rental["_id"])["renewals"] == [
        {"at": AFTER_DAYS[3], "amount": 0.7, "endTime": AFTER_DAYS[6]}]
    # Turned off, it ends at the new end time: no third charge, no refund.
    mock.pva("POST", f"/renew-ltr/{rental['_id']}")
    mock.advance("3d")
    assert mock.detail(rental["_id"])["status"] == "TIMEOUT"
    assert mock.credits() == 98.6


def test_auto_renew_with_credits_short_ends_the_rental(start_server):
    mock = start_server(scenario_with(**{"pvadeals.accounts": [{"key": KEY, "credits": 1}]}))
    rental = rented(mock, THREE_FUN, 3)
    mock.pva("POST", f"/renew-ltr/{rental['_id']}")
    mock.advance("3d")
    detail = mock.detail(rental["_id"])
    assert (detail["status"], detail["endTime"], detail["allowFlag"], detail["allowReuse"]) == (
        "TIMEOUT", AFTER_DAYS[3], False, False)
    assert mock.credits() == 0.3                      # charged once, not refunded
    state = _state_request(mock, rental["_id"])
    assert (state["renewals"], state["renewalRefusedAt"]) == ([], AFTER_DAYS[3])
    sms = mock.control("POST", "/sms", json={"provider": "pvadeals", "id": rental["_id"]})
    assert sms.status_code == 409


def test_a_rental_flagged_before_its_sms_is_refunded(mock, receiver):
    assert mock.control("POST", "/webhook", json={"key": KEY, "url": receiver.url}).status_code == 200
    rental = rented(mock, THREE_FUN, 14)
    assert mock.credits() == 98.25
    response = mock.pva("POST", f"/flag/{rental['_id']}")
    assert response.json() == {"success": True, "data": True, "message": "Number flagged successfully"}
    assert mock.credits() == 100
    assert mock.detail(rental["_id"])["status"] == "FLAGGED"
    assert mock.pva("POST", f"/renew-ltr/{rental['_id']}").status_code == 422
    events = receiver.wait_for(2)
    assert [(e["json"]["event"], e["json"]["requestId"]) for e in events] == [
        ("number_purchased", rental["_id"]), ("number_flagged", rental["_id"])]


def test_a_rental_is_reused_within_its_days_and_the_webhook_says_so(mock, receiver):
    assert mock.control("POST", "/webhook", json={"key": KEY, "url": receiver.url}).status_code == 200
    rental = rented(mock, AIRBNB, 3)
    mock.advance("2d")
    assert mock.detail(rental["_id"])["allowReuse"] is True
    assert mock.pva("POST", f"/reuse/{rental['_id']}").status_code == 200
    mock.advance("3s")
    events = receiver.wait_for(4)
    assert [e["json"]["event"] for e in events] == ["number_purchased", "sms_received", "number_reused", "sms_received"]
    mock.advance("1d")                                # past the end time: neither reuse nor flag
    assert mock.detail(rental["_id"])["allowReuse"] is False
    assert mock.pva("POST", f"/reuse/{rental['_id']}").status_code == 422


# -- paging: last and before over short-term numbers and rentals ---------------------------------


def test_last_and_before_page_backwards_over_mixed_requests(mock):
    ids = [mock.buy(AIRBNB)[0]["_id"], rented(mock, AIRBNB, 3)["_id"], mock.buy(THREE_FUN)[0]["_id"],
           rented(mock, "ALL_SERVICES", 28)["_id"], mock.buy(AIRBNB)[0]["_id"]]
    newest_first = ids[::-1]
    assert listed_ids(mock) == newest_first

    response = mock.pva("GET", "/requests", params={"last": 2})
    page = response.json()["data"]["data"]
    assert [e["node"]["_id"] for e in page["edges"]] == newest_first[3:]
    assert [e["node"]["numberType"] for e in page["edges"]] == ["LTR", "STR"]
    assert (page["pageInfo"]["hasPreviousPage"], page["pageInfo"]["hasNextPage"]) == (True, False)

    before = page["pageInfo"]["startCursor"]
    page = mock.pva("GET", "/requests", params={"last": 2, "before": before}).json()["data"]["data"]
    assert [e["node"]["_id"] for e in page["edges"]] == newest_first[1:3]
    assert page["pageInfo"]["hasPreviousPage"] is True

    page = mock.pva("GET", "/requests", params={"last": 2, "before": page["pageInfo"]["startCursor"]}
                    ).json()["data"]["data"]
    assert [e["node"]["_id"] for e in page["edges"]] == newest_first[:1]
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert listed_ids(mock, last=3, orderBy="asc") == ids[2:]
    assert base64.b64decode(before).decode() == newest_first[3]


def test_first_and_last_together_is_a_400(mock):
    response = mock.pva("GET", "/requests", params={"first": 2, "last": 2})
    assert (response.status_code, response.json()) == (
        400, {"success": False, "message": "Use either first or last, not both", "status": 400})


# -- the limits scenario's rule on /purchase-ltr ----------------------------------------------------


def test_the_bundled_limits_scenarios_purchase_ltr_rule_applies(start_server):
    mock = start_server("pvadeals-v3.3-limits")
    # 60 purchases a minute per key, /purchase and /purchase-ltr together.
    key = "API-mock-default"
    for _ in range(30):
        assert mock.pva("POST", "/purchase", key=key, json={"services": [{"serviceId": AIRBNB}]}).status_code == 200
    assert [rent(mock, AIRBNB, 3, key=key).status_code for _ in range(31)] == [200] * 30 + [429]
    mock.advance("61s")
    assert rent(mock, AIRBNB, 3, key=key).status_code == 200


# -- the OpenAPI document, per profile ---------------------------------------------------------------


@pytest.mark.parametrize("shape, service", [("documented", "ServiceDocumented"), ("collection", "ServiceCollection"),
                                            ("both", "ServiceBoth")])
def test_the_openapi_document_follows_the_profile(start_server, shape, service):
    mock = start_server(scenario_with(**{"pvadeals.shape": shape}))
    document = mock.control("GET", "/openapi/pvadeals.json").json()
    assert {"/purchase-ltr", "/renew-ltr/{id}"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    listed = schemas[f"ServiceList{shape.capitalize()}"]["properties"]["services"]["items"]["$ref"]
    assert listed == f"#/components/schemas/{service}"
    answer = mock.pva("GET", "/services/all").json()["data"]["services"][0]
    assert list(schemas[service]["properties"]) == list(answer)
    # What a client sends: only serviceId is required, areaCode may be left out (nested ones too).
    assert schemas["PurchaseItem"]["required"] == ["serviceId"]
    assert schemas["LtrPurchaseBody"]["required"] == ["duration", "serviceId"]
