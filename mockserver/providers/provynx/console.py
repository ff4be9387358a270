"""What mockserver's own tools show of Provynx: its part of GET /_mock/state, its rows on the
dashboard and its lines in the start-up banner. Not the provider's wire."""
from __future__ import annotations

from decimal import Decimal
from functools import partial

from mockserver.engine.clock import format_iso
from mockserver.engine.ids import Codes
from mockserver.providers.contract import DashboardView, Ended
from mockserver.providers.provynx import schemas
from mockserver.providers.provynx.backend import EXPIRED, US, is_sandbox_key
from mockserver.providers.shapes import dump
from mockserver.providers.sms import code_shape, sms_text
from mockserver.providers.tenancy import Tenant


def state(backend, tenant: Tenant | None) -> dict:
    accounts = [{"name": a.name, "keys": sorted(a.keys), "balance": a.balance, "webhook": a,
                 "numbers": list(a.numbers.values())}
                for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return dump(schemas.ProvynxState, {"idempotency_in_flight": backend.idempotency.in_flight(tenant),
                                       "accounts": accounts})


def dashboard(backend, clock, name: str, title: str, prefix: str) -> DashboardView:
    accounts = [{"provider": name, "provider_title": title, "name": a.name, "keys": sorted(a.keys), "balance": f"${a.balance:.2f}",
                 "webhook": a.webhook_url, "numbers": len(a.numbers)} for a in backend.accounts.values()]
    numbers, messages = [], []
    for account in backend.accounts.values():
        for number in account.numbers.values():
            numbers.append(((number.created_ms, number.id),
                            partial(_row, backend, clock, name, title, prefix, account, number)))
            if number.sms:      # Provynx keeps only a number's last SMS
                messages.append(((number.sms_at_ms, number.id), partial(_message, name, title, number)))
    return DashboardView(accounts, numbers, messages)


def _message(name: str, title: str, number) -> dict:
    return {"provider": name, "provider_title": title, "id": number.id, "number": number.number,
            "service": number.service.name, "text": number.sms, "code": number.code, "at": format_iso(number.sms_at_ms)}


def _row(backend, clock, name: str, title: str, prefix: str, account, number) -> dict:
    # A number answers only to a key of its own mode (sandbox or live).
    key = next((k for k in sorted(account.keys) if is_sandbox_key(k) == number.sandbox), None)
    cancel = ("cancel", f"{prefix}/{number.region}/numbers/{number.id}", "DELETE")
    return {
        "provider": name, "provider_title": title, "id": number.id, "number": number.number,
        "service": number.service.name, "status": number.status, "created": format_iso(number.created_ms),
        "ends": format_iso(number.expires_ms), "key": key,
        # A sandbox (test) key's number debits nothing, whatever the catalog's price.
        "price": "not charged" if number.sandbox else f"${number.price:.2f}", "sandbox": number.sandbox,
        "detail": f"{number.region} · {number.country} · {number.operator} · server {number.server}"
                  + (" · sandbox" if number.sandbox else ""), "note": "",
        "messages": 1 if number.sms else 0, "takes_sms": backend.takes_sms(number, clock.now(number.tenant)),
        "actions": [cancel] if backend.cancellable(number) else [],
        # The code comes from a stream seeded by the id, not the sandbox's own: drawing it for the
        # send form changes nothing the sandbox would produce.
        "sms_text": sms_text(number, Codes(number.id).new(*code_shape(number))),
    }


def banner(section, base_url: str) -> list[str]:
    lines = [f"  Provynx    base URL {base_url}   (OpenAPI: {base_url}/openapi.json)"]
    for account in section.accounts:
        kinds = ", ".join(f"{key} ({'sandbox' if is_sandbox_key(key) else 'live'})" for key in account.keys)
        lines.append(f"             keys {kinds}; live wallet {account.balance:.2f}")
        if account.webhook.secret:
            lines.append(f"             webhook secret {account.webhook.secret}")
    return lines


def expired(backend, tenant: Tenant | None) -> list[Ended]:
    """Numbers that expired pending while a cancel was open to the client (US numbers whose
    behavior allows it: global numbers cannot be given back)."""
    return [Ended(n.id, key_of(a, sandbox=n.sandbox), n.expires_ms,
                  Decimal(0) if n.sandbox or n.behavior.timeout.refund else n.price)
            for a in backend.accounts.values() if tenant is None or a.tenant == tenant
            for n in a.numbers.values()
            if n.status == EXPIRED and n.region == US and n.behavior.cancel.allowed]


def key_of(account, *, sandbox: bool = False) -> str:
    """The account's first live key (or test key, for a test-mode number), to name it by."""
    keys = sorted(account.keys)
    return next((k for k in keys if is_sandbox_key(k) == sandbox), keys[0])
