"""lenient-request: body fields or query parameters the API ignored (a warning, by name), and a
trailing slash the API answered as without it (info): what the sandbox, like the API, let through."""
from __future__ import annotations

from typing import Any

from mockserver.engine.exchange import Exchange
from mockserver.report.rule import Finding, Rule, Seen, Thresholds, plural, seen_as

IGNORED_FIELDS, TRAILING_SLASH = "ignored-fields", "trailing-slash"


class LenientRequest(Rule):
    id = "lenient-request"
    advice = ("Send exactly the fields and paths the API documents: the sandbox (like the real API) "
              "ignored what it did not know, so a misspelt field silently had no effect.")

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        ignored = exchange.ignored + exchange.ignored_query
        if ignored:
            names = seen.note(self.id, exchange.key, IGNORED_FIELDS, seen_as(exchange)).names
            for name in ignored:
                if len(names) < seen.limits.report_evidence_per_rule:
                    names[name] = None
        if exchange.route is not None and exchange.path[-1:] == "/":
            seen.note(self.id, exchange.key, TRAILING_SLASH, seen_as(exchange))

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        if variant == IGNORED_FIELDS:
            return "warning", (f"{plural(found.count, 'request')} had body fields or query parameters the API "
                               f"ignored: {', '.join(found.names)}")
        return "info", (f"{plural(found.count, 'request')} to a path with a trailing slash, which this API "
                        "answers as without it")
