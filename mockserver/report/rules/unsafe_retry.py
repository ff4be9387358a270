"""unsafe-retry: a purchase that failed (a 5xx, a dropped connection, or an answer a scenario fault
broke: cut, garbage, empty, reset, another page, changed fields) sent again, same path and body,
without its idempotency header, with a new one, or, where the API has none, at once."""
from __future__ import annotations

from typing import Any

from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record
from mockserver.report.rule import Finding, Rule, Seen, Thresholds, body_hash, load_evidence, plural, seen_as, shaped

NO_KEY, NEW_KEY, NOT_IDEMPOTENT = "no-key", "new-key", "not-idempotent"
_FAILED = (str, int, bool, (str, type(None)), list)   # path, body hash, retry header?, its value, evidence
_FAILED_TEXT = "a purchase that failed (5xx, a broken connection or a broken answer) was sent again"
_SUMMARIES = {
    NO_KEY: _FAILED_TEXT + " without an {header}: a possible double purchase",
    NEW_KEY: _FAILED_TEXT + " with a new {header}: a possible double purchase",
    NOT_IDEMPOTENT: _FAILED_TEXT + " at once, without looking it up first (this API has no idempotency): a possible "
                                   "double purchase"}


class UnsafeRetry(Rule):
    id = "unsafe-retry"
    advice = ("Send one idempotency key per purchase and the same key on every retry of it; where the API has "
              "none, look the purchase up (the account's list) before buying again.")
    # The key's last purchase that failed, until the client repeats it or moves on: (path, body
    # hash, whether the route takes a retry header, its value, evidence). Another body is another
    # purchase, not a retry.
    per_key = {"failed_purchase": None}

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        previous = mine["failed_purchase"]
        if exchange.kind != "purchase":
            if previous is not None and not previous[2]:
                mine["failed_purchase"] = None       # the client did something else first (looked it up)
            return
        evidence, header, value = seen_as(exchange), exchange.retry_header, exchange.retry_value
        path, hashed = exchange.path, body_hash(exchange.body)
        if previous is not None and previous[:2] == (path, hashed):
            variant = (NOT_IDEMPOTENT if header is None else NO_KEY if value is None
                       else NEW_KEY if value != previous[3] else None)
            if variant is not None:
                found = seen.note(self.id, exchange.key, variant, previous[4])
                if header is not None:
                    found.names[header] = None      # the summary names the header
                found.evidence.append(evidence)
        failed = exchange.status >= 500 or exchange.dropped or exchange.broken
        mine["failed_purchase"] = (path, hashed, header is not None, value, evidence) if failed else None

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        summary = _SUMMARIES[variant].format(header=next(iter(found.names), "idempotency key"))
        return "error", f"{plural(found.count, 'time')}: {summary}"

    def restore_key(self, mine: dict[str, Any], record: Record) -> None:
        failed = shaped(record, "failed_purchase", _FAILED)
        if failed is not None:
            failed = (*failed[:4], load_evidence(list(failed[4]), lambda: f"{record.path}.failed_purchase[4]"))
        mine["failed_purchase"] = failed
