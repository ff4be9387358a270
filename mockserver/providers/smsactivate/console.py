"""What mockserver's own tools show of the sms-activate protocol: its part of GET /_mock/state,
its dashboard rows and its lines in the start-up banner. Not the provider's wire."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from urllib.parse import urlencode

from mockserver.engine.clock import format_iso
from mockserver.engine.ids import Codes
from mockserver.providers.contract import Bought, DashboardView, Ended
from mockserver.providers.shapes import dump
from mockserver.providers.sms import code_shape, sms_text
from mockserver.providers.smsactivate import defaults, schemas
from mockserver.providers.smsactivate.backend import CANCELLED, EXPIRED, WAIT_CODE
from mockserver.providers.tenancy import Tenant


def state(backend, tenant: Tenant | None) -> dict:
    accounts = [{"key": a.key, "balance": a.balance, "webhook": a.webhook, "activations": list(a.activations.values())}
                for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return dump(schemas.SmsActivateState, {"accounts": accounts})


def dashboard(backend, clock, name: str, title: str, prefix: str) -> DashboardView:
    accounts = [{"provider": name, "provider_title": title, "name": a.key, "keys": [a.key],
                 "balance": f"{a.balance:.2f}", "webhook": a.webhook, "numbers": len(a.activations)}
                for a in backend.accounts.values()]
    numbers: list[tuple[tuple, Callable[[], dict]]] = []
    messages: list[tuple[tuple, Callable[[], dict]]] = []
    for account in backend.accounts.values():
        for activation in account.activations.values():
            numbers.append(((activation.created_ms, str(activation.id)),
                            partial(_row, backend, clock, name, title, prefix, account, activation)))
            messages += [((m.at_ms, str(activation.id)), partial(_message, name, title, activation, m))
                         for m in activation.messages]
    return DashboardView(accounts, numbers, messages)


def _message(name: str, title: str, activation, message) -> dict:
    return {"provider": name, "provider_title": title, "id": str(activation.id), "number": "+" + activation.number,
            "service": activation.service.name, "text": message.text, "code": message.code,
            "at": format_iso(message.at_ms)}


def _row(backend, clock, name: str, title: str, prefix: str, account, activation) -> dict:
    now = clock.now(activation.tenant)
    actions = []
    if activation.status == WAIT_CODE:
        query = urlencode({"api_key": account.key, "action": "setStatus", "id": activation.id, "status": 8})
        actions.append(("cancel", f"{prefix}{defaults.PATH}?{query}", "GET"))
    return {
        "provider": name, "provider_title": title, "id": str(activation.id), "number": "+" + activation.number,
        "service": activation.service.name, "status": activation.status, "created": format_iso(activation.created_ms),
        "ends": format_iso(activation.end_ms), "key": account.key, "price": f"{activation.cost:.2f}",
        "sandbox": False, "detail": f"{activation.country.eng} · {activation.operator}", "note": "",
        "messages": len(activation.messages), "takes_sms": backend.takes_sms(activation, now), "actions": actions,
        # A code from a stream seeded by the id, so drawing it for the send form changes nothing.
        "sms_text": sms_text(activation, Codes(str(activation.id)).new(*code_shape(activation))),
    }


def banner(section, url: str) -> list[str]:
    lines = [f"  sms-activate  base URL {url}{defaults.PATH}  (dialect {section.dialect}; "
             f"/<dialect>{defaults.PATH}: {', '.join(section.dialects)})"]
    for account in section.accounts:
        lines.append(f"             api_key {account.key}  (balance {account.balance:.2f})")
    return lines


def example_key(section) -> str | None:
    return section.accounts[0].key if section.accounts else None


def expired(backend, tenant: Tenant | None) -> list[Ended]:
    return [Ended(str(a.id), account.key, a.ended_ms or a.end_ms, Decimal(0) if a.refunded else a.cost)
            for account in backend.accounts.values() if tenant is None or account.tenant == tenant
            for a in account.activations.values() if a.status == EXPIRED]


def bought(backend, tenant: Tenant | None) -> list[Bought]:
    """Every activation held, with the moment of its cancel (setStatus 8, cancelActivation)."""
    return [Bought(str(a.id), account.key, f"{a.service.code}, country {a.country.id}", a.created_ms,
                   a.ended_ms if a.status == CANCELLED else None)
            for account in backend.accounts.values() if tenant is None or account.tenant == tenant
            for a in account.activations.values()]
