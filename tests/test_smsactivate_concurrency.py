"""16 clients at once on one sms-activate account, while the clock moves: purchases, cancels and
expiries leave the money exact, every activation id and number unique, and no answer a 500."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests

from harness import START

THREADS, OPERATIONS = 16, 120
KEY = "SA-crowd"
TG, OT = Decimal("2.65"), Decimal("0.52")       # fixtures/smsactivate/prices.yaml, Russia


def test_16_threads_buy_cancel_and_expire(start_server):
    mock = start_server({
        "name": "smsactivate-crowd", "seed": 3, "clock": {"start": START, "frozen": True},
        "smsactivate": {
            "accounts": [{"key": KEY, "balance": 10000}],
            "rate_limits": [{"limit": 1000000, "window": "1s"}],
            "early_cancel": "0s", "lifetime": "2m", "lifetimes": {},
            "behaviors": [{"match": {"service": "ot"}, "sms": []}, {"match": {}, "sms": [{"after": "0s"}]}]}})
    url = f"{mock.url}/stubs/handler_api.php"
    done = threading.Event()

    def call(session, **params) -> tuple[int, str]:
        response = session.get(url, params={"api_key": KEY, **params}, timeout=60)
        return response.status_code, response.text

    def worker(index: int) -> list[tuple]:
        session, seen = requests.Session(), []
        for step in range(OPERATIONS):
            kind = ("buy-tg", "buy-ot", "cancel", "buy-ot-expires")[step % 4]
            if kind.startswith("buy"):
                status, text = call(session, action="getNumber", service=kind[4:6], country=0)
                token, activation, phone = text.split(":")
                seen.append((kind, status, token, activation, phone))
            else:
                target = seen[-1][3]                     # the ot just bought: cancelled, or expired first
                status, text = call(session, action="setStatus", id=target, status=8)
                seen.append((kind, status, text, target, None))
        return seen

    def clock() -> None:
        while not done.wait(0.01):
            mock.advance("20s")

    mover = threading.Thread(target=clock)
    mover.start()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = [entry for batch in pool.map(worker, range(THREADS)) for entry in batch]
    finally:
        done.set()
        mover.join()
    mock.advance("1h")                                   # whatever still waits expires

    bought = [entry for entry in results if entry[0].startswith("buy")]
    assert Counter((status, token) for _, status, token, *_ in bought) == {(200, "ACCESS_NUMBER"): len(bought)}
    assert len({entry[3] for entry in bought}) == len(bought)              # no duplicate ids
    assert len({entry[4] for entry in bought}) == len(bought)              # no duplicate numbers
    cancels = Counter(text for kind, _, text, *_ in results if kind == "cancel")
    # A cancel finds the activation waiting (ACCESS_CANCEL) or already expired by the clock (BAD_STATUS).
    assert set(cancels) <= {"ACCESS_CANCEL", "BAD_STATUS"} and cancels["ACCESS_CANCEL"] > 0
    assert sum(cancels.values()) == THREADS * OPERATIONS // 4
    # Only the Telegram numbers are paid for: cancelled and expired ones came back, to the cent.
    tg_bought = sum(1 for entry in bought if entry[0] == "buy-tg")
    status, text = call(requests.Session(), action="getBalance")
    assert (status, text) == (200, f"ACCESS_BALANCE:{Decimal(10000) - tg_bought * TG:.2f}")
    state = mock.control("GET", "/state").json()["smsactivate"]["accounts"][0]["activations"]
    assert Counter(a["status"] for a in state if a["service"] == "ot") == {
        "CANCELLED": cancels["ACCESS_CANCEL"], "EXPIRED": len(bought) - tg_bought - cancels["ACCESS_CANCEL"]}
    assert mock.control("GET", "/requests", params={"count": "true", "status": 500}).json()["count"] == 0
