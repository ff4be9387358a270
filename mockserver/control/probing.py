"""The webhook probe (engine/probe.py) run against one tenant's receiver: each of its provider's
probe kinds sent once, in order, through the outbox (so logged like every attempt, marked as a
probe), then judged by the receiver's answers. The control API (POST /_mock/webhooks/probe), the
CLI (mockserver probe-webhooks) and the pytest plugin's handle (SmsMock.probe_webhooks) show it.
No Flask here."""
from __future__ import annotations

from mockserver.engine.probe import ACCEPTED, DEFENDED, INCONCLUSIVE
from mockserver.engine.webhooks import Message
from mockserver.providers.registry import by_name


def run(sandbox, tenant, key: str) -> dict:
    """Probe the tenant's receiver; NoWebhookUrl (providers/contract.py) if it has no webhook URL.
    Returns once every probe is answered (or timed out, by the provider's webhook policy)."""
    provider = by_name(tenant.provider)
    outbox = sandbox.engine.outbox
    with sandbox.lock:
        sandbox.catch_up()
        now_ms = sandbox.clock.now(tenant)
        specs = provider.probes(sandbox.backends[provider.name], tenant, now_ms)
        policy = provider.webhook_policy(sandbox.scenario.section(provider.name))
        sent = []
        for spec in specs:
            message = Message(id=outbox.new_message_id(f"{provider.name}/probe"), tenant=tenant,
                              provider=provider.name, event=spec.event, url=spec.url, body=spec.body,
                              created_ms=now_ms, policy=policy, secrets=spec.secrets, probe=spec.kind,
                              expect=spec.expect, forge=spec.forge)
            sent.append((spec, message.id, outbox.send_probe(message)))
    sandbox.settle(tenant)
    results = []
    with sandbox.lock:
        for spec, message_id, number in sent:
            attempt = outbox.attempt(message_id, number)
            if attempt is None:            # the tenant was reset while it went out
                status, error, verdict, duration_ms = None, "reset before it was answered", INCONCLUSIVE, 0.0
            else:
                status, error, verdict = attempt.status, attempt.error, attempt.verdict
                duration_ms = attempt.duration_ms
            results.append({"kind": spec.kind, "what": spec.what, "expect": spec.expect, "verdict": verdict,
                            "as_expected": verdict == spec.expect, "id": message_id, "url": spec.url,
                            "at": now_ms, "status": status, "error": error, "duration_ms": duration_ms})
    counts = {verdict: sum(r["verdict"] == verdict for r in results) for verdict in (DEFENDED, ACCEPTED, INCONCLUSIVE)}
    return {"key": key, "provider": provider.name, "as_expected": all(r["as_expected"] for r in results),
            **counts, "results": results}
