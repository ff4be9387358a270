"""Many clients at once on one server: exact money, unique ids and numbers, no 500s."""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests

from harness import AIRBNB, THREE_FUN, scenario_with

THREADS, OPERATIONS = 16, 200


def test_16_threads_x_200_purchases_flags_and_reuses(start_server):
    mock = start_server(scenario_with(**{
        "pvadeals.accounts": [{"key": "API-crowd", "credits": 10000}],
        "pvadeals.rate_limits": [{"limit": 1000000, "window": "1s"}],
        "pvadeals.behaviors": [{"match": {"service": "3Fun"}, "sms": "never"},
                               {"match": {}, "sms": [{"after": "0s"}], "reuse": {"price": 0.05}}]}))
    headers = {"Authorization": "Bearer API-crowd"}

    def worker(index: int) -> list[tuple]:
        session, seen = requests.Session(), []
        for step in range(OPERATIONS):
            kind = ("buy-airbnb", "buy-3fun", "flag", "reuse")[step % 4]
            if kind.startswith("buy"):
                service = AIRBNB if kind == "buy-airbnb" else THREE_FUN
                response = session.post(f"{mock.url}/v3/api/purchase", headers=headers,
                                        json={"services": [{"serviceId": service}]})
                request = response.json()["data"]["requests"][0]
                seen.append(("bought", response.status_code, request["_id"], request["number"], request["amount"]))
            else:
                # flag the 3Fun just bought; reuse the Airbnb bought before it (its code came at once)
                target = seen[-1 if kind == "flag" else -3][2]
                response = session.post(f"{mock.url}/v3/api/{kind}/{target}", headers=headers)
                seen.append((kind, response.status_code, target, None, None))
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = [entry for batch in pool.map(worker, range(THREADS)) for entry in batch]

    statuses = Counter((kind, status) for kind, status, *_ in results)
    assert statuses == {("bought", 200): THREADS * OPERATIONS // 2, ("flag", 200): THREADS * OPERATIONS // 4,
                        ("reuse", 200): THREADS * OPERATIONS // 4}
    bought = [entry for entry in results if entry[0] == "bought"]
    assert len({entry[2] for entry in bought}) == len(bought)            # no duplicate ids
    assert len({entry[3] for entry in bought}) == len(bought)            # no duplicate numbers
    # 800 Airbnb at 0.20 and 800 reuses at 0.05 spent; the 800 flagged 3Fun numbers refunded.
    quarter = THREADS * OPERATIONS // 4
    expected = Decimal(10000) - quarter * Decimal("0.2") - quarter * Decimal("0.05")
    assert Decimal(str(mock.credits("API-crowd"))) == expected
    journal = mock.control("GET", "/requests", params={"count": "true", "provider": "pvadeals"}).json()
    assert journal["count"] == min(1000, THREADS * OPERATIONS)           # the default journal keeps 1,000
    assert mock.control("GET", "/requests", params={"count": "true", "status": 500}).json()["count"] == 0
    assert all(e["status"] == 200 for e in mock.control("GET", "/requests").json()["requests"])


def test_a_reset_while_a_purchase_reads_its_input_is_seen_by_the_purchase(start_server):
    """A purchase whose input is read outside the lock (here: held by a delay fault) while the
    sandbox is reset runs against the state that is there when it resumes, not against the
    accounts the reset threw away (which would answer 201 for a number that exists nowhere)."""
    mock = start_server(scenario_with(faults=[
        {"match": {"provider": "provynx", "method": "POST", "path": "/*/numbers"}, "delay": "1s"}]))
    answers = []
    buyer = threading.Thread(target=lambda: answers.append(mock.pnx(
        "POST", "/us/numbers", json={"service": "whatsapp"}, headers={"Idempotency-Key": "straddle"})))
    buyer.start()
    deadline = time.monotonic() + 10
    while not mock.control("GET", "/state").json()["provynx"]["idempotency_in_flight"]:
        assert time.monotonic() < deadline, "the purchase never started"
    assert mock.control("POST", "/reset").status_code == 200
    buyer.join(10)
    [answer] = answers
    assert answer.status_code == 201, answer.text
    number = answer.json()
    assert mock.pnx("GET", f"/us/numbers/{number['id']}").status_code == 200
    assert mock.wallet() == round(10 - number["price"], 2)
    # The key was taken before the reset: the answer is not kept for a replay, which buys anew.
    again = mock.pnx("POST", "/us/numbers", json={"service": "whatsapp"}, headers={"Idempotency-Key": "straddle"})
    assert again.status_code == 201 and again.json()["id"] != number["id"]
