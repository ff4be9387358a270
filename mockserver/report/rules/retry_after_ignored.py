"""retry-after-ignored: a request before the Retry-After of the key's last 429 had passed
(virtual time), if the refusing rate-limit rule counts it: others the provider admits too."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record, check_int
from mockserver.report.rule import Finding, Rule, Seen, Thresholds, load_limit, plural, seen_as


class RetryAfterIgnored(Rule):
    id = "retry-after-ignored"
    advice = ("After a 429, wait at least Retry-After seconds before the next request with this key, "
              "and back off further if it repeats.")
    per_key = {"retry_until": None}      # (the rate-limit rule that refused, when its Retry-After ends in virtual ms)

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        at_ms, retry = exchange.at_ms, mine["retry_until"]
        if retry is not None:
            limit, until_ms = retry
            if at_ms >= until_ms:
                mine["retry_until"] = retry = None
            elif not limit.paths or any(exchange.path.endswith(path) for path in limit.paths):
                seen.note(self.id, exchange.key, "", seen_as(exchange))
        rejection = exchange.rejection
        if exchange.status == 429 and rejection is not None:
            until_ms = at_ms + rejection.retry_after_s * 1000
            if retry is None or until_ms >= retry[1]:
                mine["retry_until"] = (rejection.rule, until_ms)

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        return "error", (f"{plural(found.count, 'request')} sent before the Retry-After of a 429 "
                         "had passed (the real API may refuse longer, or block the key)")

    def export_key(self, mine: dict[str, Any]) -> dict[str, Any]:
        retry = mine["retry_until"]
        return {"retry_until": None if retry is None else [asdict(retry[0]), retry[1]]}

    def restore_key(self, mine: dict[str, Any], record: Record) -> None:
        retry = record.raw("retry_until", None)
        if retry is not None:
            if not (isinstance(retry, list) and len(retry) == 2):
                raise record.fail("retry_until", "expected [rule, until_ms]")
            retry = (load_limit(retry[0], f"{record.path}.retry_until[0]"),
                     check_int(retry[1], f"{record.path}.retry_until[1]"))
        mine["retry_until"] = retry
