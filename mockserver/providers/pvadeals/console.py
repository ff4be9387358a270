"""What mockserver's own tools show of PVADeals: its part of GET /_mock/state, its rows on the
dashboard and its lines in the start-up banner. Not the provider's wire."""
from __future__ import annotations

from decimal import Decimal
from functools import partial

from mockserver.engine.clock import DAY_MS, format_iso
from mockserver.engine.ids import Codes
from mockserver.providers.contract import Bought, DashboardView, Ended
from mockserver.providers.pvadeals import schemas
from mockserver.providers.pvadeals.backend import FLAGGED, LTR, STR, TIMEOUT
from mockserver.providers.shapes import dump
from mockserver.providers.sms import code_shape, sms_text
from mockserver.providers.tenancy import Tenant


def state(backend, tenant: Tenant | None) -> dict:
    accounts = [{"key": a.key, "credits": a.credits, "webhook": a.webhook, "requests": list(a.requests.values())}
                for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return dump(schemas.PvaDealsState, {"accounts": accounts})


def dashboard(backend, clock, name: str, title: str, prefix: str) -> DashboardView:
    accounts = [{"provider": name, "provider_title": title, "name": a.key, "keys": [a.key], "balance": f"{a.credits:.2f} credits",
                 "webhook": a.webhook, "numbers": len(a.requests)} for a in backend.accounts.values()]
    numbers, messages = [], []
    for account in backend.accounts.values():
        for request in account.requests.values():
            numbers.append(((request.created_ms, request.id),
                            partial(_row, backend, clock, name, title, prefix, account, request)))
            messages += [((m.at_ms, request.id), partial(_message, name, title, request, m)) for m in request.messages]
    return DashboardView(accounts, numbers, messages)


def _message(name: str, title: str, request, message) -> dict:
    return {"provider": name, "provider_title": title, "id": request.id, "number": request.number,
            "service": request.service.name, "text": message.text, "code": message.code,
            "at": format_iso(message.at_ms)}


def _row(backend, clock, name: str, title: str, prefix: str, account, request) -> dict:
    now = clock.now(request.tenant)
    actions = []
    if request.allow_flag:
        actions.append(("flag", f"{prefix}/flag/{request.id}", "POST"))
    if request.kind == LTR and request.status not in (TIMEOUT, FLAGGED):
        # A rental's auto-renew is a toggle: the button says what a click does.
        actions.append(("stop auto-renew" if request.auto_renew else "auto-renew",
                        f"{prefix}/renew-ltr/{request.id}", "POST"))
    return {
        "provider": name, "provider_title": title, "id": request.id, "number": request.number,
        "service": request.service.name, "status": request.status, "created": format_iso(request.created_ms),
        "ends": format_iso(request.end_ms), "key": account.key, "price": f"{request.amount:.2f} credits",
        "sandbox": False,
        "detail": "", "note": _rental(request, now) if request.kind == LTR else "",
        "messages": len(request.messages), "takes_sms": backend.takes_sms(request, now), "actions": actions,
        # The code comes from a stream seeded by the id, not the sandbox's own, so that drawing it
        # for the send form changes nothing the sandbox would produce.
        "sms_text": sms_text(request, Codes(request.id).new(*code_shape(request))),
    }


def _rental(request, now_ms: int) -> str:
    """A rental's line: its kind and period, the days it has left, auto-renew, renewals so far."""
    left = max(0, -(-(request.end_ms - now_ms) // DAY_MS))          # whole days, rounded up
    parts = [f"LTR {request.duration_days} days", f"{left} day{'s' if left != 1 else ''} left",
             f"auto-renew {'on' if request.auto_renew else 'off'}"]
    if request.renewals:
        parts.append(f"renewed {len(request.renewals) + request.renewals_dropped}×")
    return " · ".join(parts)


def banner(section, url: str) -> list[str]:
    lines = [f"  PVADeals   base URL {url}"]
    for account in section.accounts:
        lines.append(f"             key {account.key}  (credits {account.credits:.2f})")
    return lines


def example_key(section) -> str | None:
    return section.accounts[0].key if section.accounts else None


def expired(backend, tenant: Tenant | None) -> list[Ended]:
    """Short-term requests that reached TIMEOUT with no SMS (rentals end by design)."""
    return [Ended(r.id, a.key, r.updated_ms, Decimal(0) if r.behavior.timeout.refund else r.amount)
            for a in backend.accounts.values() if tenant is None or a.tenant == tenant
            for r in a.requests.values() if r.kind == STR and r.status == TIMEOUT and not r.messages]


def bought(backend, tenant: Tenant | None) -> list[Bought]:
    """Short-term requests held, with the moment of their flag (a flagged request changes no more)."""
    return [Bought(r.id, a.key, f"{r.service.name} ({r.service.id})", r.created_ms,
                   r.updated_ms if r.status == FLAGGED else None)
            for a in backend.accounts.values() if tenant is None or a.tenant == tenant
            for r in a.requests.values() if r.kind == STR]
