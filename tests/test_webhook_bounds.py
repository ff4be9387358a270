"""Bounds on webhook delivery: what is read of a receiver's answer. Real servers on 127.0.0.1."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness import THREE_FUN, scenario_with


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
