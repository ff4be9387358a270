"""webhook-trouble: the receiver failed a message's first automatic attempt (a warning) or all
of them (an error). A redelivery asked for by hand counts, but makes no finding."""
from __future__ import annotations

from typing import Any

from mockserver.report.rule import Finding, Rule, Seen, Thresholds, plural

RETRIED, NEVER_ACCEPTED = "retried", "never-accepted"


class WebhookTrouble(Rule):
    id = "webhook-trouble"
    advice = ("Answer webhooks with a 2xx quickly (queue the work), and log every failure your receiver "
              "has; the provider gives up after its retries.")
    per_account = True

    def webhook(self, seen: Seen, message_id: str, at_ms: int, *, ok: bool, first: bool, final: bool) -> None:
        variant = None if ok else NEVER_ACCEPTED if final else RETRIED if first else None
        if variant is not None:
            seen.note(self.id, None, variant, ("webhook", at_ms, message_id))

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        messages = plural(found.count, "webhook message")
        if variant == NEVER_ACCEPTED:
            return "error", f"{messages} never accepted by the receiver, its retries used up"
        return "warning", f"{messages} needed retries: the receiver failed the first attempt"
