"""The request lifecycle, driven by the virtual clock: SMS, timeout, flag, reuse."""
from __future__ import annotations

import re

from harness import AIRBNB, THREE_FUN, scenario_with


def messages(mock, request_id: str) -> list[dict]:
    for account in mock.control("GET", "/state").json()["pvadeals"]["accounts"]:
        for request in account["requests"]:
            if request["_id"] == request_id:
                return request["messages"]
    raise AssertionError(request_id)


def test_sms_arrives_3s_after_purchase_and_completes_the_request(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("2999ms")
    assert mock.detail(request_id)["status"] == "RESERVED"
    mock.advance("1ms")
    detail = mock.detail(request_id)
    assert (detail["status"], detail["allowFlag"], detail["allowReuse"], detail["messageCounter"]) == \
        ("COMPLETED", False, True, 1)
    assert detail["updatedAt"] == "2026-01-28T22:42:29.452Z"
    [sms] = messages(mock, request_id)
    assert sms["text"] == f"Your Airbnb verification code is {sms['code']}." and re.fullmatch(r"\d{4}", sms["code"])


def test_no_sms_for_20_minutes_is_a_timeout_with_refund(mock):
    request_id = mock.buy(THREE_FUN)[0]["_id"]
    assert mock.credits() == 99.9
    mock.advance("19m59s")
    assert mock.detail(request_id)["status"] == "RESERVED"
    mock.advance("1s")
    detail = mock.detail(request_id)
    assert (detail["status"], detail["allowFlag"], detail["allowReuse"]) == ("TIMEOUT", False, False)
    assert detail["updatedAt"] == detail["endTime"] == "2026-01-28T23:02:26.452Z"
    assert mock.credits() == 100


def test_one_advance_runs_every_due_event_in_order(mock):
    """20 minutes at once: the Airbnb SMS at +3 s completes it, the 3Fun one times out at +20 m."""
    airbnb, three_fun = mock.buy(AIRBNB, THREE_FUN)
    mock.advance("20m")
    assert mock.detail(airbnb["_id"])["status"] == "COMPLETED"
    assert mock.detail(airbnb["_id"])["updatedAt"] == "2026-01-28T22:42:29.452Z"
    assert mock.detail(three_fun["_id"])["status"] == "TIMEOUT"
    assert mock.credits() == 99.8


def test_flag_before_the_sms_refunds_and_stops_the_sms(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    assert mock.pva("POST", f"/flag/{request_id}").status_code == 200
    detail = mock.detail(request_id)
    assert (detail["status"], detail["allowFlag"], detail["allowReuse"]) == ("FLAGGED", False, False)
    assert mock.credits() == 100
    mock.advance("20m")
    assert mock.detail(request_id)["status"] == "FLAGGED"
    assert mock.detail(request_id)["messageCounter"] == 0
    assert mock.credits() == 100
    assert mock.pva("POST", f"/flag/{request_id}").status_code == 422


def test_flag_after_the_sms_is_refused_and_keeps_the_charge(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    assert mock.pva("POST", f"/flag/{request_id}").status_code == 422
    assert mock.detail(request_id)["status"] == "COMPLETED"
    assert mock.credits() == 99.8


def test_reuse_goes_back_to_reserved_and_a_fresh_code_arrives(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    first_code = messages(mock, request_id)[0]["code"]
    mock.advance("1m")
    reused = mock.pva("POST", f"/reuse/{request_id}").json()["data"]
    assert (reused["status"], reused["reuseCounter"], reused["amount"], reused["allowFlag"], reused["allowReuse"]) == \
        ("RESERVED", 1, 0, False, True)
    assert reused["endTime"] == "2026-01-28T23:03:29.452Z"   # now (22:43:29.452) + 20 minutes
    assert mock.credits() == 99.8                              # reuse costs 0 by default
    mock.advance("3s")
    detail = mock.detail(request_id)
    assert (detail["status"], detail["messageCounter"], detail["reuseCounter"]) == ("COMPLETED", 2, 1)
    codes = [m["code"] for m in messages(mock, request_id)]
    assert codes[0] == first_code and len(codes) == 2 and codes[1] != first_code


def test_a_reused_number_without_sms_times_out_at_its_new_end_time_and_refunds_the_reuse(start_server):
    # SMS only when the test sends one, so the reused number gets none.
    mock = start_server(scenario_with(**{"pvadeals.behaviors": [
        {"match": {}, "sms": [], "reuse": {"price": 0.05, "lifetime": "5m"}}]}))
    request_id = mock.buy(AIRBNB)[0]["_id"]
    assert mock.control("POST", "/sms", json={"id": request_id}).status_code == 200
    reused = mock.pva("POST", f"/reuse/{request_id}").json()["data"]
    assert (reused["amount"], reused["endTime"]) == (0.05, "2026-01-28T22:47:26.452Z")
    assert mock.credits() == 99.75
    mock.advance("4m59s")
    assert mock.detail(request_id)["status"] == "RESERVED"
    mock.advance("1s")
    detail = mock.detail(request_id)
    assert (detail["status"], detail["allowReuse"], detail["reuseCounter"]) == ("TIMEOUT", False, 1)
    assert mock.credits() == 99.8
    # the first generation's 20-minute end time passing later changes nothing
    mock.advance("20m")
    assert mock.detail(request_id)["status"] == "TIMEOUT" and mock.credits() == 99.8


def test_reuse_window_closes_20_minutes_after_the_sms(mock):
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    mock.advance("19m59s")
    assert mock.detail(request_id)["allowReuse"] is True
    mock.advance("1s")
    assert mock.detail(request_id)["allowReuse"] is False
    assert mock.pva("POST", f"/reuse/{request_id}").status_code == 422


def test_reuse_refused_by_the_scenario(start_server):
    mock = start_server(scenario_with(**{"pvadeals.behaviors": [{"match": {}, "reuse": {"allowed": False}}]}))
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    assert mock.detail(request_id)["allowReuse"] is False
    response = mock.pva("POST", f"/reuse/{request_id}")
    assert (response.status_code, response.json()["message"]) == (422, "Reuse not allowed for this request")


def test_reuse_charged_more_than_the_balance_is_422_and_changes_nothing(start_server):
    mock = start_server(scenario_with(**{"pvadeals.behaviors": [{"match": {}, "reuse": {"price": 150}}]}))
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    before = mock.detail(request_id)
    response = mock.pva("POST", f"/reuse/{request_id}")
    assert (response.status_code, response.json()["message"]) == (422, "Insufficient balance")
    assert mock.detail(request_id) == before and mock.credits() == 99.8


def test_second_sms_increments_message_counter_and_keeps_completed(start_server):
    mock = start_server(scenario_with(**{"pvadeals.behaviors": [
        {"match": {}, "sms": [{"after": "3s"}, {"after": "40s", "text": "Your {service} code is {code}"}]}]}))
    request_id = mock.buy(AIRBNB)[0]["_id"]
    mock.advance("3s")
    assert mock.detail(request_id)["messageCounter"] == 1
    mock.advance("37s")
    detail = mock.detail(request_id)
    assert (detail["status"], detail["messageCounter"], detail["updatedAt"]) == \
        ("COMPLETED", 2, "2026-01-28T22:43:06.452Z")
    texts = [m["text"] for m in messages(mock, request_id)]
    assert re.fullmatch(r"Your Airbnb code is \d{4}", texts[1])


def test_control_sms_delivers_now_and_counts(mock):
    request_id = mock.buy(THREE_FUN)[0]["_id"]
    response = mock.control("POST", "/sms", json={"provider": "pvadeals", "id": request_id, "text": "Code 777"})
    assert response.status_code == 200
    assert response.json() == {"provider": "pvadeals", "id": request_id, "number": mock.detail(request_id)["number"],
                               "status": "COMPLETED", "text": "Code 777", "code": None,
                               "at": "2026-01-28T22:42:26.452Z"}
    by_number = mock.control("POST", "/sms", json={"number": mock.detail(request_id)["number"]})
    assert by_number.status_code == 200 and re.fullmatch(r"Your 3Fun verification code is \d{6}\.", by_number.json()["text"])
    assert mock.detail(request_id)["messageCounter"] == 2


def test_control_sms_refuses_requests_that_take_no_more_sms(mock):
    request_id = mock.buy(THREE_FUN)[0]["_id"]
    mock.advance("20m")
    response = mock.control("POST", "/sms", json={"id": request_id})
    assert response.status_code == 409
    assert response.json()["error"].startswith(f"request {request_id} does not take SMS now (status TIMEOUT")
    assert mock.control("POST", "/sms", json={"id": "nope"}).status_code == 404
    assert mock.control("POST", "/sms", json={}).json() == {"error": "give exactly one of id or number", "status": 400}
