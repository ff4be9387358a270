"""The snapshot property: any sequence of API calls, clock moves and SMS pushes on one server,
snapshotted and restored into a fresh server, leaves both answering a further sequence identically:
bodies, statuses and webhook deliveries, and their states after it equal."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import AIRBNB, KEY, LIVE, THREE_FUN, MockServer, scenario_with
from mockserver.testing import WebhookReceiver

PVA_SERVICES = (AIRBNB, THREE_FUN, "697139f4fe5460ddc2f2720b", "nope")
PNX_SERVICES = ("whatsapp", "paypal", "telegram")

OPERATION = st.one_of(
    st.tuples(st.just("pva_buy"), st.sampled_from(PVA_SERVICES)),
    st.tuples(st.just("pva_rent"), st.sampled_from((AIRBNB, "ALL_SERVICES")), st.sampled_from((3, 28))),
    st.tuples(st.sampled_from(("pva_poll", "pva_flag", "pva_reuse", "pva_renew")), st.integers(0, 20)),
    st.tuples(st.just("pva_list"), st.sampled_from(("createdAt", "endTime"))),
    st.tuples(st.just("pnx_buy"), st.sampled_from(("us", "global")), st.sampled_from(PNX_SERVICES),
              st.sampled_from((None, "k1", "k2"))),
    st.tuples(st.sampled_from(("pnx_poll", "pnx_cancel")), st.integers(0, 20)),
    st.tuples(st.just("balance")),
    st.tuples(st.just("advance"), st.sampled_from(("1s", "3s", "10s", "2m", "20m", "4d"))),
    st.tuples(st.just("sms"), st.integers(0, 40)),
)


@pytest.fixture(scope="module")
def world():
    receiver = WebhookReceiver()
    scenario = scenario_with(**{
        # Delivery chaos too: duplicates, messages held back, two signatures for the first minutes.
        "webhooks": {"message_ids": "reproducible", "duplicates": 0.3, "reorder_window": "4s",
                     "rotation": {"old_secret": "whsec_b2xkLXNlY3JldC1rZXktZm9yLXRlc3Rz", "until": "10m"}},
        "pvadeals.accounts": [{"key": KEY, "credits": 60, "webhook": receiver.url + "/pva?secret=s"}],
        "pvadeals.webhooks": {"retries": 2, "delay": "5s", "timeout": "2s"},
        "provynx.webhooks": {"retries": 2, "delay": "5s", "timeout": "2s"},
    })
    scenario["provynx"]["accounts"][0]["webhook"]["url"] = receiver.url + "/pnx"
    one, two = MockServer(scenario, real_time=False), MockServer(scenario, real_time=False)
    yield receiver, one, two
    for closing in (one, two, receiver):
        closing.close()


def run(server: MockServer, operations, ids: dict[str, list[str]]) -> list[tuple]:
    """Each operation's (status, body); ids bought are added to ``ids`` (by provider)."""
    answers = []
    for operation in operations:
        kind, *args = operation
        if kind == "pva_buy":
            response = server.pva("POST", "/purchase", json={"services": [{"serviceId": args[0]}]})
            if response.status_code == 200:
                ids["pva"] += [r["_id"] for r in response.json()["data"]["requests"]]
        elif kind == "pva_rent":
            response = server.pva("POST", "/purchase-ltr", json={"serviceId": args[0], "duration": args[1]})
            if response.status_code == 200:
                ids["pva"].append(response.json()["data"]["_id"])
        elif kind in ("pva_poll", "pva_flag", "pva_reuse", "pva_renew"):
            target = _pick(ids["pva"], args[0])
            path = {"pva_poll": "/request/{}", "pva_flag": "/flag/{}", "pva_reuse": "/reuse/{}",
                    "pva_renew": "/renew-ltr/{}"}[kind].format(target)
            response = server.pva("GET" if kind == "pva_poll" else "POST", path)
        elif kind == "pva_list":
            response = server.pva("GET", "/requests", params={"orderField": args[0], "first": 5})
        elif kind == "pnx_buy":
            region, service, idempotency = args
            body = {"service": service, **({"country": "gb"} if region == "global" else {})}
            headers = {"Idempotency-Key": idempotency} if idempotency else {}
            response = server.pnx("POST", f"/{region}/numbers", json=body, headers=headers)
            if response.status_code == 201 and response.headers.get("Idempotent-Replayed") is None:
                ids["pnx"].append((region, response.json()["id"]))
        elif kind in ("pnx_poll", "pnx_cancel"):
            region, target = _pick(ids["pnx"], args[0]) or ("us", "num_none")
            response = server.pnx("GET" if kind == "pnx_poll" else "DELETE",
                                  f"/{region}/numbers/{target}" + ("/code" if kind == "pnx_poll" else ""))
        elif kind == "balance":
            response = server.pva("GET", "/balance")
            answers.append((kind, response.status_code, response.json()))
            response = server.pnx("GET", "/balance", key=LIVE)
        elif kind == "advance":
            response = server.control("POST", "/clock", json={"advance": args[0]})
        else:
            everyone = [i for i in ids["pva"]] + [i for _, i in ids["pnx"]]
            response = server.control("POST", "/sms", json={"id": _pick(everyone, args[0]) or "none"})
        answers.append((kind, response.status_code, response.json()))
    server.control("POST", "/clock", json={"advance": 0})      # every delivery made before the results are read
    return answers


def _pick(items: list, index: int):
    return items[index % len(items)] if items else None


def deliveries(receiver: WebhookReceiver) -> dict[str, list[tuple]]:
    """What the receiver got at each URL, in order, without what depends on the wall clock (the
    signature's timestamp). Attempts to one URL go out in order; to two, in no order between them."""
    by_url: dict[str, list[tuple]] = {}
    for d in receiver.deliveries:
        by_url.setdefault(d["path"], []).append((d["body"], d["headers"].get("webhook-id")))
    return by_url


def comparable(snapshot: dict) -> dict:
    """A snapshot without real-time measures (durations), wall-clock signatures and the Host each
    request named (the two servers' ports differ), its webhook attempts in message order
    (attempts to two URLs finish in no set order between them)."""
    for entry in snapshot["journal"]["entries"]:
        entry["duration_ms"] = entry["host"] = None
    webhooks = snapshot["webhooks"]
    for attempt in webhooks["log"]:
        attempt["duration_ms"] = None
        for header in ("webhook-timestamp", "webhook-signature"):
            attempt["headers"].pop(header, None)
    webhooks["log"].sort(key=lambda attempt: (attempt["message"], attempt["number"]))
    webhooks["messages"].sort(key=lambda message: message["id"])
    return snapshot


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(before=st.lists(OPERATION, min_size=8, max_size=30), failures=st.integers(0, 3),
       after=st.lists(OPERATION, min_size=8, max_size=30))
def test_a_restored_snapshot_answers_as_the_server_it_came_from(world, before, failures, after):
    receiver, one, two = world
    for server in (one, two):
        assert server.control("POST", "/reset", json={}).status_code == 200
    two.advance("7m")        # the fresh server differs from the first in time, and in nothing else
    receiver.clear()
    receiver.fail_next(failures)              # some deliveries wait for a retry when the snapshot is taken
    ids = {"pva": [], "pnx": []}
    run(one, before, ids)
    snapshot = one.control("GET", "/snapshot").json()
    restored = two.control("PUT", "/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert comparable(two.control("GET", "/snapshot").json()) == comparable(snapshot)

    results = []
    for server in (one, two):
        receiver.clear()
        answers = run(server, after, {key: list(value) for key, value in ids.items()})
        results.append((answers, deliveries(receiver), comparable(server.control("GET", "/snapshot").json())))
    assert results[1][0] == results[0][0]
    assert results[1][1] == results[0][1]
    assert results[1][2] == results[0][2]
