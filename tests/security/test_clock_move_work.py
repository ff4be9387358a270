"""What one move of the clock may make the sandbox do under its lock: a rental's renewal history
is bounded (MOCKSERVER_RENTAL_RENEWALS_KEPT, the newest kept and the rest counted), and a move runs
at most MOCKSERVER_MAX_EVENTS_PER_MOVE events, stopping where it got to and saying so. Ten
auto-renewing three-day rentals moved a thousand years are over a million renewals."""
from __future__ import annotations

from harness import AIRBNB, KEY, START, scenario_with
from mockserver.engine.clock import parse_iso
from mockserver.settings import Limits

BUDGET, KEPT = 500, 5
THOUSAND_YEARS = f"{1000 * 365}d"


def renting(start_server, count: int = 10):
    mock = start_server(scenario_with(**{"pvadeals.accounts": [{"key": KEY, "credits": 1_000_000_000}]}),
                        real_time=False, limits=Limits(max_events_per_move=BUDGET, rental_renewals_kept=KEPT))
    rentals = []
    for _ in range(count):
        rental = mock.pva("POST", "/purchase-ltr", json={"serviceId": AIRBNB, "duration": 3}).json()["data"]
        assert mock.pva("POST", f"/renew-ltr/{rental['_id']}").json()["data"]["autoRenewEnable"] is True
        rentals.append(rental["_id"])
    return mock, rentals


def test_a_thousand_year_move_stops_after_its_events_and_says_where(start_server):
    mock, rentals = renting(start_server)
    moved = mock.control("POST", "/clock", json={"advance": THOUSAND_YEARS})
    assert moved.status_code == 200, moved.text
    answer = moved.json()
    now = parse_iso(answer["now"])
    # 500 renewals of ten rentals, one every three days each: 50 rounds, 150 days on
    assert now == parse_iso(START) + 150 * 86_400_000 - 1
    assert answer["cut"] == (f"the move stopped at {answer['now']} after {BUDGET} events (MOCKSERVER_MAX_EVENTS_PER_"
                             "MOVE, the most one move runs); move the clock again to go on")
    assert mock.control("GET", "/clock").json()["now"] == answer["now"]
    again = mock.control("POST", "/clock", json={"advance": THOUSAND_YEARS}).json()
    assert parse_iso(again["now"]) > now and "cut" in again
    state = mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["requests"]
    assert {r["_id"]: len(r["renewals"]) for r in state} == dict.fromkeys(rentals, KEPT)
    newest = [r for r in state if r["_id"] == rentals[0]][0]["renewals"][-1]
    assert parse_iso(newest["at"]) == parse_iso(again["now"]) + 1 - 3 * 86_400_000
    assert mock.pva("GET", "/balance").status_code == 200


def test_a_move_within_the_bound_is_whole_and_says_nothing_more(start_server):
    mock, rentals = renting(start_server, count=1)
    answer = mock.control("POST", "/clock", json={"advance": "30d"}).json()
    assert answer == {"now": "2026-02-27T22:42:26.452Z", "frozen": True}
    state = mock.control("GET", "/state").json()["pvadeals"]["accounts"][0]["requests"]
    assert len(state[0]["renewals"]) == KEPT
    assert "auto-renew on · renewed 10×" in mock.control("GET", "/").text       # the count goes on past the list
