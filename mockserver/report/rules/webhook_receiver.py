"""webhook-receiver: each kind of webhook probe whose latest verdict was not the one expected, so
probing a fixed receiver again clears what the fix fixed."""
from __future__ import annotations

from typing import Any

from mockserver.engine.records import Record
from mockserver.report.rule import Evidence, Finding, Rule, Seen, Thresholds, load_evidence, place_below, plural

ACCEPTS_FORGED, REFUSES_GENUINE, INCONCLUSIVE = "accepts-forged", "refuses-genuine", "inconclusive"


class WebhookReceiver(Rule):
    id = "webhook-receiver"
    # Said in full here: the report is read where the project's docs are not (a wheel holds none).
    advice = ("Verify every delivery before acting on it and answer 4xx to what fails: Standard Webhooks "
              "(HMAC-SHA256 over id.timestamp.body, checked against each v1, signature in constant time, "
              "a timestamp within 5 minutes, all three headers required), or for an unsigned provider a "
              "secret in the URL's query compared in constant time. Probe the receiver again "
              "(POST /_mock/webhooks/probe) to see each check pass.")
    per_account = True

    def fresh(self) -> dict[str, tuple]:
        return {}              # probe kind -> its latest (variant or None, evidence)

    def probe(self, seen: Seen, message_id: str, at_ms: int, kind: str, verdict: str,
              expect: str | None) -> None:
        variant = (None if verdict == expect else REFUSES_GENUINE if expect == "accepted" else
                   ACCEPTS_FORGED if verdict == "accepted" else INCONCLUSIVE)
        probes = seen.own[self.id]
        probes[kind] = (variant, ("webhook", at_ms, message_id))
        for name in (ACCEPTS_FORGED, REFUSES_GENUINE, INCONCLUSIVE):
            seen.findings.pop((self.id, None, name), None)
        for name, (found_variant, evidence) in probes.items():
            if found_variant is not None:
                seen.note(self.id, None, found_variant, evidence).names[name] = None

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        kinds = ", ".join(found.names)
        if variant == ACCEPTS_FORGED:
            return "error", f"the webhook receiver accepted (2xx) {plural(found.count, 'probe')} it should have refused: {kinds}"
        if variant == REFUSES_GENUINE:
            return "error", (f"the webhook receiver did not accept {plural(found.count, 'genuine probe')} "
                             f"(real deliveries would be lost): {kinds}")
        return "warning", (f"the webhook receiver answered {plural(found.count, 'forged probe')} with neither a 4xx "
                           f"nor a 2xx (a 5xx, a redirect or no answer; a provider retries those): {kinds}")

    def export(self, own: dict[str, tuple]) -> dict[str, Any]:
        return {"probes": {kind: list(latest) for kind, latest in own.items()}}

    def restore(self, record: Record) -> dict[str, tuple[str | None, Evidence]]:
        probes = {}
        for kind, latest in record.mapping("probes").items():
            if not (isinstance(latest, list) and len(latest) == 2 and (latest[0] is None or isinstance(latest[0], str))):
                raise record.fail("probes", "expected [variant or null, evidence] per probe kind")
            probes[kind] = (latest[0], load_evidence(latest[1], place_below(record, f".probes.{kind}[1]")))
        return probes
