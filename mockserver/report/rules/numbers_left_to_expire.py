"""numbers-left-to-expire: numbers that ran out with no code, never flagged or cancelled, and
the money kept on them, as each provider says (Provider.expired) when the report is made."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from mockserver.report.rule import Rule, Thresholds, finding, plural


class NumbersLeftToExpire(Rule):
    id = "numbers-left-to-expire"
    advice = ("Flag or cancel a number as soon as you give up on its code; a number left to run out "
              "ties up stock and, where no refund is made, your money.")

    def report(self, provider: Any, backend: Any, tenant: Any, observed: dict, thresholds: Thresholds,
               most: int) -> list[dict]:
        by_key: dict[str, list] = {}
        for ended in provider.expired(backend, tenant):
            by_key.setdefault(ended.key, []).append(ended)
        results = []
        for key, ended in by_key.items():
            ended.sort(key=lambda e: (e.ended_ms, e.id))
            kept = sum((e.kept for e in ended), Decimal(0))
            summary = f"{plural(len(ended), 'number')} ran out with no code, never flagged or cancelled"
            if kept:
                summary += f"; money kept for no code (not refunded): {kept.normalize():f}"
            results.append(finding(self, "warning", provider.name, key, summary, len(ended),
                                   [("number", e.ended_ms, e.id) for e in ended[:most]], thresholds))
        return results
