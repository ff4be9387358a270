"""The client report's number-cycling rule against a real server: an sms-activate client that
cancels activations (setStatus 8, HeroSMS's cancelActivation) and buys the same service and
country again at once is cycling numbers. The clock is frozen and moved by the control API, past
the 2-minute window in which a cancel is refused."""
from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from smsactivate_clients import Client

from harness import START, MockServer

KEY = "SA-test-cycler"
SCENARIO = {
    "name": "smsactivate-cycling",
    "seed": 7,
    "clock": {"start": START, "frozen": True},
    "smsactivate": {"accounts": [{"key": KEY, "balance": 100}],
                    "behaviors": [{"match": {}, "sms": []}]},      # no SMS: every activation can be cancelled
}
SUMMARY = ("{n} cycles of cancelling a number and buying one again for the same service and country "
           "({offers}): {enough} or more within {window}")


@pytest.fixture(scope="module")
def server():
    served = MockServer(SCENARIO)
    yield served
    served.close()


def load(server, scenario: dict) -> None:
    response = server.control("PUT", "/scenario", data=yaml.safe_dump(scenario),
                              headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200, response.text


@pytest.fixture
def sa(server):
    load(server, SCENARIO)
    assert server.control("POST", "/reset").status_code == 200
    return server


def instant(at: str) -> int:
    """An evidence time (ISO 8601, UTC) in milliseconds."""
    return round(datetime.fromisoformat(at).timestamp() * 1000)


def cycling(server) -> list[dict]:
    return [f for f in server.control("GET", "/report").json()["findings"] if f["rule"] == "number-cycling"]


def cycle(sa, api: Client, activation: int, service: str = "ot", country: int | None = None, *,
          hero: bool = False) -> int:
    """Wait out the early-cancel window, cancel the activation, buy the service again at once."""
    sa.advance("2m")
    if hero:
        api.cancel(activation)
    else:
        assert api.set_status(activation, 8) == "ACCESS_CANCEL"
    return api.number(service, country)[0]


def test_three_cycles_within_ten_minutes_are_cycling(sa):
    api = Client(sa.url, KEY)
    bought = [api.number("ot")[0]]
    for _ in range(3):
        bought.append(cycle(sa, api, bought[-1]))
    [finding] = cycling(sa)
    assert finding["summary"] == SUMMARY.format(n=3, offers="ot, country 0", enough=3, window="10m")
    assert (finding["key"], finding["provider"], finding["severity"], finding["count"]) == (
        KEY, "smsactivate", "warning", 3)
    start = instant(finding["evidence"][0]["at"])
    # each cycle: the number cancelled, then the one bought in its place, at the same instant
    assert [(e["id"], instant(e["at"]) - start) for e in finding["evidence"]] == [
        (str(bought[0]), 0), (str(bought[1]), 0), (str(bought[1]), 120_000), (str(bought[2]), 120_000),
        (str(bought[2]), 240_000), (str(bought[3]), 240_000)]
    assert "do not buy the same service and country again at once" in finding["advice"]


def test_herosms_cancel_activation_cycles_too(sa):
    api = Client(sa.url + "/herosms", KEY, hero=True)
    activation = api.number("tg", 187)[0]
    for _ in range(3):
        activation = cycle(sa, api, activation, "tg", 187, hero=True)
    [finding] = cycling(sa)
    assert finding["summary"] == SUMMARY.format(n=3, offers="tg, country 187", enough=3, window="10m")


def test_two_cycles_are_not_yet_cycling(sa):
    api = Client(sa.url, KEY)
    activation = api.number("ot")[0]
    for _ in range(2):
        activation = cycle(sa, api, activation)
    assert cycling(sa) == []
    cycle(sa, api, activation)                    # the third makes it
    assert [f["count"] for f in cycling(sa)] == [3]


def test_cancels_spread_wider_than_the_window_are_not_cycling(sa):
    api = Client(sa.url, KEY)
    activation = api.number("ot")[0]
    for _ in range(3):
        activation = cycle(sa, api, activation)
        sa.advance("4m")                          # cancels 6 minutes apart: at most two within 10 minutes
    assert cycling(sa) == []


def test_buying_another_service_or_country_or_much_later_is_no_cycle(sa):
    api = Client(sa.url, KEY)
    activation = api.number("ot")[0]
    activation = cycle(sa, api, activation, "wa")                 # another service
    activation = cycle(sa, api, activation, "wa", 187)            # another country
    sa.advance("2m")
    assert api.set_status(activation, 8) == "ACCESS_CANCEL"
    sa.advance("10m1s")
    api.number("wa", 187)                                         # later than the window after the cancel
    assert cycling(sa) == []


def test_thresholds_are_scenario_data(sa):
    load(sa, {**SCENARIO, "report": {"cycles": 2, "cycle_window": "1h"}})
    api = Client(sa.url, KEY)
    activation = api.number("ot")[0]
    cycle(sa, api, activation)                    # cancels at 2m ...
    sa.advance("30m")                             # (the number bought in its place expires meanwhile)
    cycle(sa, api, api.number("ot")[0])           # ... and at 34m: within the hour
    [finding] = cycling(sa)
    assert finding["summary"] == SUMMARY.format(n=2, offers="ot, country 0", enough=2, window="1h")
