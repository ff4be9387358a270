"""Webhook probes against receivers that hang cannot stall the control API: at most
MOCKSERVER_WEBHOOK_PROBES run at once (more get 429 at once), so health checks and the index answer
whatever probes are under way; and a probe waits at most MOCKSERVER_WEBHOOK_PROBE_TIMEOUT_S in all,
which its answer says, judging what is still unanswered inconclusive."""
from __future__ import annotations

import threading

import requests
import yaml

from harness import LIVE, SECRET, RunningServer, scenario_with
from mockserver.settings import Limits

PROBERS = 8           # as many as the test server's threads


def provynx_at(url: str) -> dict:
    return scenario_with(**{"provynx.accounts": [{"name": "acme", "keys": [LIVE], "balance": 10,
                                                  "webhook": {"url": url, "secret": SECRET}}],
                            "provynx.webhooks": {"retries": 0, "delay": "1s", "timeout": "20s"}})


def test_health_and_the_index_answer_while_probes_hang_on_their_receiver(start_server, receiver):
    mock = start_server(provynx_at(receiver.url))
    receiver.hold()
    order: list[str] = []         # what was answered, in the order it was
    statuses: list[int] = []

    def probe() -> None:
        answer = requests.post(f"{mock.url}/_mock/webhooks/probe", json={"key": LIVE}, timeout=120)
        statuses.append(answer.status_code)
        order.append(f"probe {answer.status_code}")

    probers = [threading.Thread(target=probe) for _ in range(PROBERS)]
    try:
        for prober in probers:
            prober.start()
        receiver.wait_for(1)                   # the probes are under way: the receiver holds them
        assert mock.control("GET", "/health").status_code == 200
        order.append("health")
        assert requests.get(f"{mock.url}/", timeout=120).status_code == 200
        order.append("index")
        answered = order.index("index") + 1
        assert "probe 200" not in order[:answered]     # answered while the probes still hang
    finally:
        receiver.release()
        for prober in probers:
            prober.join(timeout=120)
    assert sorted(statuses) == [200, 200] + [429] * (PROBERS - 2)


def test_a_probe_waits_at_most_its_setting_and_says_so(start_server, receiver):
    mock = start_server(provynx_at(receiver.url), limits=Limits(webhook_probe_timeout_s=1))
    receiver.hold()
    try:
        answer = mock.control("POST", "/webhooks/probe", json={"key": LIVE})
    finally:
        receiver.release()
    assert answer.status_code == 200, answer.text
    probed = answer.json()
    assert probed["timeout_s"] == 1
    unanswered = [r for r in probed["results"] if r["status"] is None]
    assert unanswered and probed["inconclusive"] == len(unanswered)
    assert {r["error"] for r in unanswered} == {
        "no answer within the probe's 1 s (MOCKSERVER_WEBHOOK_PROBE_TIMEOUT_S)"}
    again = mock.control("POST", "/webhooks/probe", json={"key": LIVE})
    assert again.status_code == 200          # the probe's slot was given back


def test_on_granian_health_and_the_index_answer_even_with_every_thread_probing(receiver, tmp_path):
    scenario = tmp_path / "probed.yaml"
    scenario.write_text(yaml.safe_dump(provynx_at(receiver.url)))
    server = RunningServer("--scenario", str(scenario), "--threads", "2", "--quiet")
    receiver.hold()
    order: list[str] = []

    def probe() -> None:
        answer = requests.post(f"{server.url}/_mock/webhooks/probe", json={"key": LIVE}, timeout=120)
        order.append(f"probe {answer.status_code}")

    probers = [threading.Thread(target=probe) for _ in range(2)]       # the two threads, both held
    try:
        for prober in probers:
            prober.start()
        receiver.wait_for(1)                   # both probes under way: the first held, the second queued
        assert requests.get(f"{server.url}/_mock/health", timeout=120).status_code == 200
        assert requests.get(f"{server.url}/", timeout=120).status_code == 200
        assert order == []
    finally:
        receiver.release()
        for prober in probers:
            prober.join(timeout=120)
        server.stop()
    assert order == ["probe 200", "probe 200"]
