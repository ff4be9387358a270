"""The webhook probe (engine/probe.py) run against one tenant's receiver: each of its provider's
probe kinds sent once, in order, through the outbox (so logged like every attempt, marked as a
probe), then judged by the receiver's answers. The control API (POST /_mock/webhooks/probe), the
CLI (mockserver probe-webhooks) and the pytest plugin's handle (SmsMock.probe_webhooks) show it.
No Flask here."""
from __future__ import annotations

import time

from mockserver.engine.probe import ACCEPTED, DEFENDED, INCONCLUSIVE
from mockserver.engine.webhooks import Message
from mockserver.providers.registry import by_name

SETTING = "MOCKSERVER_WEBHOOK_PROBE_TIMEOUT_S"


class ProbesBusy(RuntimeError):
    """As many probes as Limits.webhook_probes are under way; the message says so."""


def run(sandbox, tenant, key: str) -> dict:
    """Probe the tenant's receiver; NoWebhookUrl (providers/contract.py) if it has no webhook URL,
    ProbesBusy if too many probes are under way. Returns once every probe is answered (or timed
    out, by the provider's webhook policy), or after Limits.webhook_probe_timeout_s in all."""
    if not sandbox.probes.acquire(blocking=False):
        raise ProbesBusy(f"{sandbox.limits.webhook_probes} webhook probes are under way already "
                         "(MOCKSERVER_WEBHOOK_PROBES); try again once one has answered")
    try:
        return _probe(sandbox, tenant, key)
    finally:
        sandbox.probes.release()


def _probe(sandbox, tenant, key: str) -> dict:
    provider = by_name(tenant.provider)
    outbox = sandbox.engine.outbox
    deadline_s = sandbox.limits.webhook_probe_timeout_s
    with sandbox.lock:
        sandbox.catch_up()
        now_ms = sandbox.clock.now(tenant)
        specs = provider.probes(sandbox.backends[provider.name], tenant, now_ms)
        policy = provider.webhook_policy(sandbox.scenario.section(provider.name))
        resets = sandbox.resets
        sent = []
        for spec in specs:
            message = Message(id=outbox.new_message_id(f"{provider.name}/probe"), tenant=tenant,
                              provider=provider.name, event=spec.event, url=spec.url, body=spec.body,
                              created_ms=now_ms, policy=policy, secrets=spec.secrets, probe=spec.kind,
                              expect=spec.expect, forge=spec.forge)
            sent.append((spec, message.id, outbox.send_probe(message)))
    started = time.perf_counter()
    attempts = _answers(sandbox, [(message_id, number) for _, message_id, number in sent], resets,
                        started + deadline_s)
    waited_ms = (time.perf_counter() - started) * 1000
    results = []
    for (spec, message_id, _), attempt in zip(sent, attempts, strict=True):
        if attempt is not None:
            status, error, verdict, duration_ms = attempt.status, attempt.error, attempt.verdict, attempt.duration_ms
        elif sandbox.resets != resets:            # the tenant was reset while it went out
            status, error, verdict, duration_ms = None, "reset before it was answered", INCONCLUSIVE, 0.0
        else:
            status, verdict, duration_ms = None, INCONCLUSIVE, waited_ms
            error = f"no answer within the probe's {deadline_s} s ({SETTING})"
        results.append({"kind": spec.kind, "what": spec.what, "expect": spec.expect, "verdict": verdict,
                        "as_expected": verdict == spec.expect, "id": message_id, "url": spec.url,
                        "at": now_ms, "status": status, "error": error, "duration_ms": duration_ms})
    counts = {verdict: sum(r["verdict"] == verdict for r in results) for verdict in (DEFENDED, ACCEPTED, INCONCLUSIVE)}
    return {"key": key, "provider": provider.name, "as_expected": all(r["as_expected"] for r in results),
            "timeout_s": deadline_s, **counts, "results": results}


def _answers(sandbox, sent: list[tuple[str, int]], resets: int, deadline: float) -> list:
    """Each probe's logged attempt, waiting until all are logged, a reset voids them, or the
    deadline (time.perf_counter()); None for each not logged by then."""
    outbox = sandbox.engine.outbox
    while True:
        seen = outbox.finished
        with sandbox.lock:
            attempts = [outbox.attempt(message_id, number) for message_id, number in sent]
            if all(a is not None for a in attempts) or sandbox.resets != resets:
                return attempts
        left = deadline - time.perf_counter()
        if left <= 0:
            return attempts
        outbox.wait_progress(seen, min(left, 0.5))
