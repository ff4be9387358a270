"""What the dashboard shows, read from the sandbox in one go under its lock: plain dicts for the
templates. Rows reuse the control API's shapes where it has one, so the page and /_mock agree."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..control import schemas as control_schemas
from ..engine.clock import format_iso
from ..engine.ids import Codes
from ..providers.provynx import backend as provynx_backend
from ..providers.sms import code_shape, sms_text
from ..scenario import bundled_descriptions

# How much the page lists, newest first, so a busy sandbox still renders quickly once a second
# (the control API has everything).
NUMBERS_SHOWN = 200
MESSAGES_SHOWN = 50
WEBHOOK_MESSAGES_SHOWN = 40
JOURNAL_ROWS_SHOWN = 100


@dataclass(frozen=True)
class JournalFilter:
    provider: str | None = None
    method: str | None = None
    status: int | None = None
    path: str | None = None      # a glob, as the control API takes

    @classmethod
    def from_args(cls, args) -> "JournalFilter":
        status = args.get("status", "").strip()
        return cls(provider=args.get("provider") or None, method=(args.get("method") or "").upper() or None,
                   status=int(status) if status.isdigit() else None, path=args.get("path") or None)


def take(sandbox, journal_filter: JournalFilter) -> dict:
    """Everything the page shows. Rows are chosen before they are shaped, so the time under the
    lock grows with what the page lists, not with all the sandbox holds."""
    with sandbox.lock:
        sandbox.catch_up()
        owned = [("pvadeals", r, a) for a in sandbox.pvadeals.accounts.values() for r in a.requests.values()]
        owned += [("provynx", n, a) for a in sandbox.provynx.accounts.values() for n in a.numbers.values()]
        owned.sort(key=lambda item: (item[1].created_ms, item[1].id), reverse=True)
        view = {
            "scenario": {"name": sandbox.scenario.name, "description": sandbox.scenario.description,
                         "bundled": bundled_descriptions()},
            "clock": {**control_schemas.clock_body(sandbox), "pending": sandbox.engine.timeline.count()},
            "accounts": _accounts(sandbox),
            "numbers": [_row(sandbox, *item) for item in owned[:NUMBERS_SHOWN]],
            "numbers_hidden": max(0, len(owned) - NUMBERS_SHOWN),
            "messages": _messages(owned),
            "webhooks": _webhook_messages(sandbox.engine.outbox.attempts()),
            "journal": [control_schemas.journal_body(e) for e in sandbox.journal.entries(
                provider=journal_filter.provider, method=journal_filter.method, path=journal_filter.path,
                key=None, status=journal_filter.status, unmatched=None)[-JOURNAL_ROWS_SHOWN:][::-1]],
            "journal_filter": journal_filter,
        }
    return view


def _accounts(sandbox) -> list[dict]:
    rows = [{"provider": "pvadeals", "name": a.key, "keys": [a.key], "balance": f"{a.credits:.2f} credits",
             "webhook": a.webhook, "numbers": len(a.requests)} for a in sandbox.pvadeals.accounts.values()]
    rows += [{"provider": "provynx", "name": a.name, "keys": sorted(a.keys), "balance": f"${a.balance:.2f}",
              "webhook": a.webhook_url, "numbers": len(a.numbers)} for a in sandbox.provynx.accounts.values()]
    return rows


def _row(sandbox, provider: str, item, account) -> dict:
    """A PVADeals request or a Provynx number as one table row, with the actions it allows."""
    now = sandbox.clock.now(item.tenant)
    row = {"provider": provider, "id": item.id, "number": item.number, "service": item.service.name,
           "status": item.status, "created": format_iso(item.created_ms)}
    if provider == "pvadeals":
        backend = sandbox.pvadeals
        row.update(ends=format_iso(item.end_ms), key=account.key, price=f"{item.amount:.2f}", detail="",
                   messages=len(item.messages), takes_sms=backend.takes_sms(item, now),
                   action=("flag", f"/v3/api/flag/{item.id}", "POST") if item.allow_flag else None)
    else:
        backend = sandbox.provynx
        # A number answers only to a key of its own mode (sandbox or live).
        key = next((k for k in sorted(account.keys) if provynx_backend.is_sandbox_key(k) == item.sandbox), None)
        cancel = ("cancel", f"/api/v1/sms/{item.region}/numbers/{item.id}", "DELETE")
        row.update(ends=format_iso(item.expires_ms), key=key, price=f"{item.price:.2f}",
                   detail=f"{item.region} · {item.country} · {item.operator} · server {item.server}"
                          + (" · sandbox" if item.sandbox else ""),
                   messages=1 if item.sms else 0, takes_sms=backend.takes_sms(item, now),
                   action=cancel if backend.cancellable(item) else None)
    # The code comes from a stream seeded by the id, not the sandbox's own, so that drawing it
    # for the send form changes nothing the sandbox would produce.
    row["sms_text"] = sms_text(item, Codes(item.id).new(*code_shape(item)))
    return row


def _messages(owned) -> list[dict]:
    """The newest SMS across every number. Provynx keeps only a number's last SMS, without its time."""
    found = [((m.at_ms, item.id), provider, item, m.text, m.code, m.at_ms)
             for provider, item, _ in owned if provider == "pvadeals" for m in item.messages]
    found += [((item.created_ms, item.id), provider, item, item.sms, item.code, None)
              for provider, item, _ in owned if provider == "provynx" and item.sms]
    found.sort(key=lambda entry: entry[0], reverse=True)
    return [{"provider": provider, "id": item.id, "number": item.number, "service": item.service.name,
             "text": text, "code": code, "at": format_iso(at_ms) if at_ms is not None else None}
            for _, provider, item, text, code, at_ms in found[:MESSAGES_SHOWN]]


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
        bodies = [control_schemas.attempt_body(a) for a in reversed(newest_first)]
        last = bodies[-1]
        messages.append({"id": message_id, "provider": last["provider"], "event": last["event"], "url": last["url"],
                         "attempts": bodies, "last": last,
                         # in the order the receiver got the keys (Jinja's tojson would sort them)
                         "body_text": json.dumps(last["body"], indent=2, ensure_ascii=False)})
    return messages
