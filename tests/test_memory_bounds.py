"""What hostile but accepted input leaves behind in the server's memory once it is answered. The
server runs in this process, so tracemalloc sees what it keeps; measured over real HTTP calls."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from harness import scenario_with

MIB = 1024 ** 2


@pytest.fixture
def traced():
    """Bytes still allocated since the start, after a collection (a function to call)."""
    tracemalloc.start()
    gc.collect()
    start = tracemalloc.get_traced_memory()[0]

    def retained() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - start
    yield retained
    tracemalloc.stop()


def test_resetting_tenants_with_huge_keys_keeps_nothing_of_them(start_server, traced):
    mock = start_server(scenario_with())
    for n in range(40):      # 20 MiB of keys in all
        response = mock.control("POST", "/reset", json={"key": f"API-w{n}-" + "x" * (512 * 1024)})
        assert response.status_code == 200
    # What is left is the server's and the client's buffers of the last request or so, not the keys.
    assert traced() < 5 * MIB
    assert mock.control("POST", "/reset").status_code == 200


def test_refused_purchases_with_long_keys_and_huge_bodies_keep_nothing_of_them(start_server, traced):
    mock = start_server(scenario_with())
    for n in range(80):      # 80 keys of 255 characters, each quoting 90 KB back in a 404
        response = mock.pnx("POST", "/us/numbers", key=f"nsk_live_w{n % 4}",
                            json={"service": "s" * 90_000, "operator": "any", "server": 1},
                            headers={"Idempotency-Key": f"{n:03d}" + "k" * 252})
        assert response.status_code == 404
    assert traced() < 5 * MIB
