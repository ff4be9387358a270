"""What the dashboard shows, read from the sandbox in one go under its lock: plain dicts for the
templates. Rows reuse the control API's shapes where it has one, so the page and /_mock agree."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..control import schemas as control_schemas
from ..engine.clock import format_iso
from ..providers.provynx import backend as provynx_backend
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
    with sandbox.lock:
        sandbox.catch_up()
        now = sandbox.clock.now()
        numbers = _pvadeals_rows(sandbox) + _provynx_rows(sandbox)
        numbers.sort(key=lambda row: (row["created_ms"], row["id"]), reverse=True)
        view = {
            "scenario": {"name": sandbox.scenario.name, "description": sandbox.scenario.description,
                         "bundled": bundled_descriptions()},
            "clock": {**control_schemas.clock_body(sandbox), "pending": len(sandbox.engine.timeline.pending())},
            "accounts": _accounts(sandbox),
            "numbers": numbers[:NUMBERS_SHOWN],
            "numbers_hidden": max(0, len(numbers) - NUMBERS_SHOWN),
            "messages": sorted((m for row in numbers for m in row["messages"]), key=lambda m: m["sort"],
                               reverse=True)[:MESSAGES_SHOWN],
            "webhooks": _webhook_messages(sandbox.engine.outbox.attempts()),
            "journal": [control_schemas.journal_body(e) for e in sandbox.journal.entries(
                provider=journal_filter.provider, method=journal_filter.method, path=journal_filter.path,
                key=None, status=journal_filter.status, unmatched=None)[-JOURNAL_ROWS_SHOWN:][::-1]],
            "journal_filter": journal_filter,
            "now_ms": now,
        }
    return view


def _accounts(sandbox) -> list[dict]:
    rows = [{"provider": "pvadeals", "name": a.key, "keys": [a.key], "balance": f"{a.credits:.2f} credits",
             "webhook": a.webhook, "numbers": len(a.requests)} for a in sandbox.pvadeals.accounts.values()]
    rows += [{"provider": "provynx", "name": a.name, "keys": sorted(a.keys), "balance": f"${a.balance:.2f}",
              "webhook": a.webhook_url, "numbers": len(a.numbers)} for a in sandbox.provynx.accounts.values()]
    return rows


def _pvadeals_rows(sandbox) -> list[dict]:
    backend = sandbox.pvadeals
    rows = []
    for account in backend.accounts.values():
        for request in account.requests.values():
            now = sandbox.clock.now(request.tenant)
            rows.append(_row(
                provider="pvadeals", id=request.id, number=request.number, service=request.service.name,
                status=request.status, created_ms=request.created_ms, ends_ms=request.end_ms, key=account.key,
                price=f"{request.amount:.2f}",
                messages=[(m.text, m.code, m.at_ms) for m in request.messages],
                takes_sms=backend.takes_sms(request, now),
                action=("flag", f"/v3/api/flag/{request.id}", "POST") if request.allow_flag else None,
                sms_template=request.service.sms, code_length=request.behavior.code_length or request.service.code_length))
    return rows


def _provynx_rows(sandbox) -> list[dict]:
    backend = sandbox.provynx
    rows = []
    for account in backend.accounts.values():
        for number in account.numbers.values():
            now = sandbox.clock.now(number.tenant)
            # A number answers only to a key of its own mode (sandbox or live).
            key = next((k for k in sorted(account.keys) if provynx_backend.is_sandbox_key(k) == number.sandbox), None)
            cancel = ("cancel", f"/api/v1/sms/{number.region}/numbers/{number.id}", "DELETE")
            rows.append(_row(
                provider="provynx", id=number.id, number=number.number, service=number.service.name,
                status=number.status, created_ms=number.created_ms, ends_ms=number.expires_ms, key=key,
                price=f"{number.price:.2f}",
                messages=[(number.sms, number.code, None)] if number.sms else [],
                takes_sms=backend.takes_sms(number, now),
                action=cancel if provynx_backend.Provynx.cancellable(number) else None,
                sms_template=number.service.sms, code_length=number.service.code_length,
                detail=f"{number.region} · {number.country} · {number.operator} · server {number.server}"
                       + (" · sandbox" if number.sandbox else "")))
    return rows


def _row(*, provider, id, number, service, status, created_ms, ends_ms, key, price, messages, takes_sms, action,
         sms_template, code_length, detail="") -> dict:
    return {
        "provider": provider, "id": id, "number": number, "service": service, "status": status,
        "created": format_iso(created_ms), "created_ms": created_ms, "ends": format_iso(ends_ms), "key": key,
        "price": price, "detail": detail, "takes_sms": takes_sms, "action": action,
        "sms_text": _sample_sms(sms_template, service, number, id, code_length),
        "messages": [{"provider": provider, "id": id, "number": number, "service": service, "text": text,
                      "code": code, "at": format_iso(at_ms) if at_ms is not None else None,
                      "sort": (at_ms if at_ms is not None else created_ms, id)}
                     for text, code, at_ms in messages],
    }


def _sample_sms(template: str, service: str, number: str, request_id: str, length: int) -> str:
    """The service's own SMS wording with a code, to prefill the send form. The code comes from
    the id, not from the sandbox's seeded streams, so opening the page changes nothing."""
    digits = str(int(hashlib.sha256(request_id.encode()).hexdigest(), 16))[-length:].rjust(length, "0")
    return template.format(service=service, code=digits, number=number)


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
                         "attempts": bodies, "last": last, "ok": last["ok"],
                         # in the order the receiver got the keys (Jinja's tojson would sort them)
                         "body_text": json.dumps(last["body"], indent=2, ensure_ascii=False)})
    return messages
