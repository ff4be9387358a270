"""What the dashboard shows, read from the sandbox in one go under its lock: plain dicts for the
templates. Rows reuse the control API's shapes where it has one, so the page and /_mock agree."""
from __future__ import annotations

import json
from dataclasses import dataclass

from mockserver.control import schemas as control_schemas
from mockserver.engine.clock import format_iso
from mockserver.loading import bundled_descriptions
from mockserver.providers.registry import PROVIDERS
from mockserver.providers.shapes import dump
from mockserver.report.summary import build as build_report

# How much the page lists, newest first, so a busy sandbox still renders quickly once a second
# (the control API has everything).
NUMBERS_SHOWN = 200
MESSAGES_SHOWN = 50
WEBHOOK_MESSAGES_SHOWN = 40
JOURNAL_ROWS_SHOWN = 100
# The "Set to" field suggests an instant this far after the virtual now: the clock only moves forward.
SET_SUGGESTION_MS = 3_600_000


@dataclass(frozen=True)
class JournalFilter:
    provider: str | None = None
    method: str | None = None
    status: int | None = None
    path: str | None = None      # a glob, as the control API takes

    @classmethod
    def from_args(cls, args) -> JournalFilter:
        status = args.get("status", "").strip()
        return cls(provider=args.get("provider") or None, method=(args.get("method") or "").upper() or None,
                   status=int(status) if status.isdigit() else None, path=args.get("path") or None)


def take(sandbox, journal_filter: JournalFilter) -> dict:
    """Everything the page shows. Rows are chosen before they are shaped where it matters (the
    webhook log, the journal), so the time under the lock grows with what the page lists."""
    with sandbox.lock:
        sandbox.catch_up()
        parts = [provider.dashboard(sandbox.backends[provider.name], sandbox.clock) for provider in PROVIDERS]
        numbers = sorted((row for part in parts for row in part.numbers), key=lambda row: row[0], reverse=True)
        messages = sorted((m for part in parts for m in part.messages), key=lambda m: m[0], reverse=True)
        view = {
            "scenario": {"name": sandbox.scenario.name, "description": sandbox.scenario.description,
                         "bundled": bundled_descriptions()},
            "clock": {**control_schemas.clock_body(sandbox), "pending": sandbox.engine.timeline.count(),
                      "set_suggestion": format_iso(sandbox.clock.now() + SET_SUGGESTION_MS)},
            "accounts": [account for part in parts for account in part.accounts],
            "numbers": [make() for _, make in numbers[:NUMBERS_SHOWN]],
            "numbers_hidden": max(0, len(numbers) - NUMBERS_SHOWN),
            "messages": [make() for _, make in messages[:MESSAGES_SHOWN]],
            "webhooks": _webhook_messages(sandbox.engine.outbox.attempts()),
            "journal": dump(control_schemas.JournalEntryAnswer, sandbox.journal.entries(
                provider=journal_filter.provider, method=journal_filter.method, path=journal_filter.path,
                key=None, status=journal_filter.status, unmatched=None)[-JOURNAL_ROWS_SHOWN:][::-1], many=True),
            "journal_filter": journal_filter,
            # the lock is re-entrant: one consistent look; shaped as GET /_mock/report answers it
            "report": dump(control_schemas.ReportAnswer, build_report(sandbox)),
        }
    return view


def _webhook_messages(attempts) -> list[dict]:
    """The newest messages, newest first, each with all its attempts in order. Only those are
    shaped: the log may hold 10,000 attempts."""
    shown: dict[str, list] = {}
    for attempt in reversed(attempts):
        found = shown.get(attempt.message.id)
        if found is None:
            if len(shown) == WEBHOOK_MESSAGES_SHOWN:
                continue
            found = shown[attempt.message.id] = []
        found.append(attempt)
    messages = []
    for message_id, newest_first in shown.items():
        bodies = dump(control_schemas.AttemptAnswer, list(reversed(newest_first)), many=True)
        last = bodies[-1]
        messages.append({"id": message_id, "provider": last["provider"], "event": last["event"], "url": last["url"],
                         "attempts": bodies, "last": last,
                         # in the order the receiver got the keys (Jinja's tojson would sort them)
                         "body_text": json.dumps(last["body"], indent=2, ensure_ascii=False)})
    return messages
