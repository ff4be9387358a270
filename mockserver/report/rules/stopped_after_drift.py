"""stopped-after-drift: numbers whose poll came back changed (a scenario fault's ``mutate``: a
field removed, renamed, null, of another type) and that the key has not polled since. A client
whose parser chokes on schema drift often drops the number silently rather than failing loudly;
one that polls on is fine, and its number leaves the finding."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record
from mockserver.report.rule import Finding, Rule, Seen, Thresholds, load_evidence, plural, seen_as

_STOPPED = "stopped"


class StoppedAfterDrift(Rule):
    id = "stopped-after-drift"
    advice = ("Treat an answer your parser cannot read as a failure you report and retry, not as the end of the "
              "number: check the fields you need and fail loudly when one is missing or of another type.")
    # The key's numbers whose last poll drifted, not polled since, oldest first: [id, the poll as
    # evidence]. At most Limits.report_numbers_per_tenant; past it the oldest is forgotten.
    per_key = {"drift_pending": ()}

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        if exchange.kind != "poll" or exchange.target is None:
            return
        pending = mine["drift_pending"]
        kept = tuple(item for item in pending if item[0] != exchange.target)      # polled again: went on
        if exchange.mutated and not exchange.done:
            kept = (*kept, (exchange.target, seen_as(exchange)))[-seen.limits.report_numbers_per_tenant:]
        if kept != pending:
            mine["drift_pending"] = kept
            self._show(seen, exchange.key, kept)

    def _show(self, seen: Seen, key: str | None, pending: tuple) -> None:
        """The finding mirrors the numbers pending: one count and one item of evidence each."""
        if not pending:
            seen.findings.pop((self.id, key, _STOPPED), None)
            return
        found = seen.finding(self.id, key, _STOPPED)
        found.count = len(pending)
        found.evidence.clear()
        found.evidence.extend(evidence for _, evidence in pending)

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        return "warning", (f"{plural(found.count, 'number')} not polled again after a poll's answer came back "
                           "changed (a field removed, renamed, null or of another type): given up silently?")

    def export_key(self, mine: dict[str, Any]) -> dict[str, Any]:
        # Left out when empty, so a snapshot made before this rule reads back as it was.
        return {"drift_pending": mine["drift_pending"]} if mine["drift_pending"] else {}

    def restore_key(self, mine: dict[str, Any], record: Record) -> None:
        items = record.raw("drift_pending", [])
        if not isinstance(items, list) or not all(
                isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) for item in items):
            raise record.fail("drift_pending", "not an observation of the shape this version keeps")
        mine["drift_pending"] = tuple((item[0], load_evidence(item[1], _where(record, index)))
                                      for index, item in enumerate(items))


def _where(record: Record, index: int) -> Callable[[], str]:
    return lambda: f"{record.path}.drift_pending[{index}][1]"
