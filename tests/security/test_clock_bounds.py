"""The clock at the ends of time: it cannot be started or moved where an answer could not be
written (every time an answer shows has a four-digit year), and near the end every route still
answers, a purchase included, debiting exactly once."""
from __future__ import annotations

import pytest
from freezegun import freeze_time

from harness import AIRBNB, BASE_SCENARIO, scenario_with
from mockserver.engine.clock import END_OF_TIME_MS, LATEST_MS, Clock, format_iso
from mockserver.loading import ScenarioError, load_text

LATEST = "9998-12-30T23:59:59.999Z"


def test_the_latest_instant_leaves_a_year_for_what_answers_show():
    assert format_iso(LATEST_MS) == LATEST
    assert format_iso(END_OF_TIME_MS) == "9999-12-31T23:59:59.999Z"
    assert format_iso(-62_135_596_800_000) == "0001-01-01T00:00:00.000Z"


PAST_THE_END = f"the clock cannot go past {LATEST}: answers show times up to a year later, and times have " \
               "four-digit years"
OUT_OF_RANGE = f"set: the clock keeps between 0001-01-01T00:00:00.000Z and {LATEST}"


@pytest.mark.parametrize("body, status, message", [
    ({"freeze": True, "set": "9999-12-31T23:59:00Z"}, 400, OUT_OF_RANGE),
    ({"set": "9999-01-01T00:00:00Z"}, 400, OUT_OF_RANGE),
    ({"advance": "3650000d"}, 409, PAST_THE_END),
    ({"advance": "3000000d", "freeze": False}, 409, PAST_THE_END)])        # and the clock stays frozen
def test_the_clock_refuses_to_go_where_answers_could_not_be_written(mock, body, status, message):
    response = mock.control("POST", "/clock", json=body)
    assert (response.status_code, response.json()["error"]) == (status, message)
    assert mock.control("GET", "/clock").json() == {"now": "2026-01-28T22:42:26.452Z", "frozen": True}


def test_at_the_latest_instant_every_route_answers_and_a_purchase_debits_once(mock):
    assert mock.control("POST", "/clock", json={"set": LATEST}).json()["now"] == LATEST
    [bought] = mock.buy(AIRBNB)
    assert (bought["createdAt"], bought["endTime"]) == (LATEST, "9998-12-31T00:19:59.999Z")
    assert mock.credits() == 99.8
    number = mock.pnx_buy("us")
    assert number["expires_at"] == "9998-12-31T00:19:59.999Z" and mock.wallet() == 10 - 0.85
    for answer in (mock.pva("GET", "/requests"), mock.pva("GET", f"/request/{bought['_id']}"),
                   mock.pnx("GET", f"/us/numbers/{number['id']}"), mock.control("GET", "/state"),
                   mock.control("GET", "/requests"), mock.control("GET", "/webhooks"),
                   mock.control("GET", "/dashboard/live"), mock.control("GET", "/")):
        assert answer.status_code == 200, answer.text
    assert mock.control("POST", "/clock", json={"advance": "1ms"}).status_code == 409


def test_a_clock_running_in_real_time_stands_still_at_the_latest_instant():
    with freeze_time("2026-01-01") as wall:
        clock = Clock(LATEST_MS - 5)
        wall.tick(60)
        assert clock.now() == LATEST_MS
        assert clock.now("tenant") == LATEST_MS


@pytest.mark.parametrize("start, accepted", [("9999-06-01T00:00:00Z", False), (LATEST, True),
                                             ("0001-01-01T00:00:00Z", True), ("0000-12-31T23:00:00-02:00", False)])
def test_a_scenario_starts_its_clock_only_where_answers_can_be_written(start, accepted):
    text = f"name: x\nclock: {{start: '{start}'}}\n"
    if accepted:
        assert load_text(text).clock_start_ms is not None
    else:
        with pytest.raises(ScenarioError) as refused:
            load_text(text, source="x.yaml")
        assert refused.value.problems in (
            [f"x.yaml:2: clock.start: the clock keeps between 0001-01-01T00:00:00.000Z and {LATEST}"],
            ["x.yaml:2: clock.start: not an instant: use 'now' or ISO 8601 like 2026-01-28T22:42:26Z"])


def test_year_one_is_written_with_four_digits(start_server):
    mock = start_server(scenario_with(**{"clock": {"start": "0001-01-01T00:00:00Z", "frozen": True}}))
    assert mock.control("GET", "/clock").json()["now"] == "0001-01-01T00:00:00.000Z"
    [bought] = mock.buy(AIRBNB)
    assert (bought["createdAt"], bought["endTime"]) == ("0001-01-01T00:00:00.000Z", "0001-01-01T00:20:00.000Z")
    assert BASE_SCENARIO["clock"]["start"] != "0001-01-01T00:00:00Z"
