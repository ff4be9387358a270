"""What GET /_mock/state lists as pending is what will still act: a state change that makes an
event moot (a cancel, a flag, an SMS, a reuse, an end) takes it off the timeline."""
from __future__ import annotations

from harness import AIRBNB, TEST, THREE_FUN


def pending(mock) -> list[tuple[str, str]]:
    return [(event["at"], event["what"]) for event in mock.control("GET", "/state").json()["pending"]]


def test_a_canceled_provynx_number_has_no_sms_or_expiry_pending(mock):
    canceled, kept = mock.pnx_buy(), mock.pnx_buy()
    assert mock.pnx("DELETE", f"/us/numbers/{canceled['id']}").status_code == 200
    assert pending(mock) == [
        ("2026-01-28T22:42:29.452Z", f"provynx {kept['id']} sms 1"),
        ("2026-01-28T23:02:26.452Z", f"provynx {kept['id']} expires"),
    ]
    mock.advance("3s")     # the number with its code does not expire any more: nothing is left
    assert mock.pnx("GET", f"/us/numbers/{kept['id']}/code").json()["status"] == "received"
    assert pending(mock) == []
    mock.advance("20m")
    assert mock.pnx("GET", f"/us/numbers/{canceled['id']}").json()["status"] == "canceled"


def test_a_provynx_sandbox_number_with_its_code_has_nothing_pending(mock):
    number = mock.pnx_buy(key=TEST)
    assert pending(mock) == [("2026-01-28T23:02:26.452Z", f"provynx {number['id']} expires")]
    for _ in range(5):
        polled = mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=TEST).json()
        if polled["status"] == "received":
            break
    assert polled["status"] == "received"
    assert pending(mock) == []


def test_provynx_sms_due_after_the_expiry_are_not_listed(start_server):
    from harness import scenario_with
    mock = start_server(scenario_with(**{"provynx.lifetime": "1m", "provynx.behaviors": [
        {"match": {"service": "whatsapp"}, "sms": [{"after": "10s"}, {"after": "2m"}]}]}))
    number = mock.pnx_buy()
    assert pending(mock) == [("2026-01-28T22:42:36.452Z", f"provynx {number['id']} sms 1"),
                             ("2026-01-28T22:43:26.452Z", f"provynx {number['id']} expires")]


def test_pvadeals_flag_sms_and_reuse_leave_only_events_that_act(mock):
    airbnb, three_fun = mock.buy(AIRBNB, THREE_FUN)
    assert mock.pva("POST", f"/flag/{three_fun['_id']}").status_code == 200
    assert pending(mock) == [("2026-01-28T22:42:29.452Z", f"pvadeals {airbnb['_id']} sms 1"),
                             ("2026-01-28T23:02:26.452Z", f"pvadeals {airbnb['_id']} end time")]
    mock.advance("3s")     # COMPLETED: no time-out any more, a reuse window that closes
    assert mock.detail(airbnb["_id"])["status"] == "COMPLETED"
    assert pending(mock) == [("2026-01-28T23:02:29.452Z", f"pvadeals {airbnb['_id']} reuse window closes")]
    mock.advance("1m")
    assert mock.pva("POST", f"/reuse/{airbnb['_id']}").status_code == 200
    # the reused request's SMS and end time, once each; the window's close still acts (it ends allowReuse)
    assert pending(mock) == [("2026-01-28T22:43:32.452Z", f"pvadeals {airbnb['_id']} sms 1"),
                             ("2026-01-28T23:02:29.452Z", f"pvadeals {airbnb['_id']} reuse window closes"),
                             ("2026-01-28T23:03:29.452Z", f"pvadeals {airbnb['_id']} end time")]
    mock.advance("3s")     # the second SMS opens a new window; the first one's close goes
    assert pending(mock) == [("2026-01-28T23:03:32.452Z", f"pvadeals {airbnb['_id']} reuse window closes")]


def test_a_pvadeals_request_that_times_out_leaves_nothing(start_server):
    from harness import scenario_with
    mock = start_server(scenario_with(**{"pvadeals.behaviors": [
        {"match": {"service": "Airbnb"}, "sms": [{"after": "25m"}]}]}))
    [airbnb] = mock.buy(AIRBNB)
    # the SMS would come after the end time: it never would, and is not listed
    assert pending(mock) == [("2026-01-28T23:02:26.452Z", f"pvadeals {airbnb['_id']} end time")]
    mock.advance("20m")
    assert mock.detail(airbnb["_id"])["status"] == "TIMEOUT" and pending(mock) == []


def test_a_reused_rental_lists_its_end_once(mock):
    rental = mock.pva("POST", "/purchase-ltr", json={"serviceId": AIRBNB, "duration": 3}).json()["data"]
    mock.advance("3s")
    assert mock.pva("POST", f"/reuse/{rental['_id']}").status_code == 200
    assert pending(mock) == [("2026-01-28T22:42:32.452Z", f"pvadeals {rental['_id']} sms 1"),
                             ("2026-01-31T22:42:26.452Z", f"pvadeals {rental['_id']} end time"),
                             ("2026-01-31T22:42:26.452Z", f"pvadeals {rental['_id']} reuse window closes")]
    assert mock.pva("POST", f"/renew-ltr/{rental['_id']}").status_code == 200      # auto-renew on
    mock.advance("3d")     # renewed for 3 more days: one end (or renewal) pending, the window's close gone
    assert mock.detail(rental["_id"])["status"] == "COMPLETED"
    assert pending(mock) == [("2026-02-03T22:42:26.452Z", f"pvadeals {rental['_id']} rental ends or renews")]
