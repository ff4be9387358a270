"""Bounds on webhook delivery: what is read of a receiver's answer, and fair shares of the delivery
workers between tenants. Real servers on 127.0.0.1."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness import THREE_FUN, scenario_with

from mockserver.settings import Limits
from mockserver.testing import WebhookReceiver

GIB = 1024 ** 3


def point(mock, key: str, url: str) -> None:
    """The account of ``key`` (a tenant: API-w* in the harness scenario) sends its webhooks to ``url``."""
    response = mock.control("POST", "/webhook", json={"key": key, "url": url})
    assert response.status_code == 200, response.text


def settle(mock, key: str) -> None:
    """Run what is due for one tenant and wait for its deliveries under way, not anyone else's."""
    response = mock.control("POST", "/clock", json={"advance": "0s", "key": key})
    assert response.status_code == 200, response.text


def outcomes(mock, key: str) -> list[tuple]:
    return [(a["attempt"], a["status"], a["error"]) for a in mock.webhooks(key=key)]


def peak_rss_bytes() -> int:
    """This process's peak resident memory (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


# -- the answer ------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from /proc")
def test_a_1_gib_answer_is_cut_at_the_answer_limit_and_its_status_decides(start_server, receiver):
    receiver.answer_size(GIB)
    mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}))
    point(mock, "API-w-big", receiver.url)
    peak_before = peak_rss_bytes()
    mock.buy(THREE_FUN, key="API-w-big")
    settle(mock, "API-w-big")
    assert outcomes(mock, "API-w-big") == [(1, 200, None)]
    [sent] = receiver.wait_answered(1)
    # The receiver got out what the sockets' buffers hold before the server closed the
    # connection on it; the server read 64 KiB of that.
    assert sent < 64 * 1024 ** 2
    assert peak_rss_bytes() - peak_before < 256 * 1024 ** 2


# -- fair shares -------------------------------------------------------------------------------


def test_ten_tenants_with_hanging_receivers_leave_workers_for_an_eleventh(start_server):
    limits = Limits(webhook_workers=24, webhook_workers_per_tenant=2)
    hanging, healthy = WebhookReceiver(), WebhookReceiver()
    hanging.hold()
    try:
        # A 30 s timeout: behind the hanging attempts, the healthy delivery would wait that long.
        mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}), limits=limits)
        tenants = [f"API-w-hanging-{n}" for n in range(10)]
        for key in tenants:
            for lane in range(3):        # three URLs each: 30 lanes, more than the 24 workers
                point(mock, key, f"{hanging.url}/{key}/{lane}")
                mock.buy(THREE_FUN, key=key)
        assert len(hanging.wait_for(20)) == 20
        point(mock, "API-w-healthy", healthy.url)
        mock.buy(THREE_FUN, key="API-w-healthy")
        assert len(healthy.wait_for(1, timeout_s=20)) == 1
        settle(mock, "API-w-healthy")
        assert outcomes(mock, "API-w-healthy") == [(1, 204, None)]
        # Meanwhile each hanging tenant has two attempts under way (its share) and one waiting.
        assert all(mock.webhooks(key=key) == [] for key in tenants)
        assert len(hanging.deliveries) == 20
        assert sorted({d["path"].split("/")[1] for d in hanging.deliveries}) == sorted(tenants)
    finally:
        hanging.close()
        healthy.close()


def test_a_freed_worker_serves_the_tenants_with_work_waiting_in_turn(start_server, receiver):
    limits = Limits(webhook_workers=1, webhook_workers_per_tenant=1)
    gate = WebhookReceiver()
    gate.hold()
    try:
        mock = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 0, "timeout": "30s"}}), limits=limits)
        point(mock, "API-w-gate", gate.url)
        mock.buy(THREE_FUN, key="API-w-gate")
        gate.wait_for(1)                       # the only worker is held: what follows queues up
        for key in ("API-w-a", "API-w-b"):
            for lane in range(3):
                point(mock, key, f"{receiver.url}/{key}/{lane}")
                mock.buy(THREE_FUN, key=key)
        gate.release()
        paths = [d["path"] for d in receiver.wait_for(6)]
        assert paths == ["/API-w-a/0", "/API-w-b/0", "/API-w-a/1", "/API-w-b/1", "/API-w-a/2", "/API-w-b/2"]
    finally:
        gate.close()
