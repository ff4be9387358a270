"""sms-activate state in a snapshot (mockserver/state/document.py): accounts, their activations
with the SMS they received and the timeline events they still wait for, the next activation id
and the rate-limit counters. An activation's behavior is not written: it is the scenario's for
its service, country, operator and number, found again on restore as at purchase."""
from __future__ import annotations

from functools import partial
from typing import TypeVar

from mockserver.engine.clock import EARLIEST_MS, END_OF_TIME_MS, instant
from mockserver.engine.records import Record, SnapshotError
from mockserver.engine.timeline import Event
from mockserver.providers import restoring
from mockserver.providers.restoring import Restored
from mockserver.providers.smsactivate.backend import STATUSES, Account, Activation, Sms, SmsActivate
from mockserver.providers.tenancy import Tenant

# What an activation's timeline events may do when a snapshot brings them back.
ACTIONS = frozenset({"_sms_due", "_end"})

T = TypeVar("T")


def _given(value: T | None, r: Record, name: str) -> T:
    """A required field's value. Record's readers give None only for an optional field (they raise
    for a missing required one), which their signatures cannot say; this says it to the checker."""
    if value is None:
        raise r.fail(name, "missing")
    return value


def export_state(backend: SmsActivate, tenant: Tenant | None, seq_of) -> dict:
    accounts = [a for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return {
        "next_id": None if tenant is not None else backend.next_id,
        "rate_limits": backend.limiter.export_state(None if tenant is None else frozenset(a.key for a in accounts)),
        "accounts": [{"key": a.key, "balance": str(a.balance), "webhook": a.webhook,
                      "activations": [_activation(x, seq_of) for x in a.activations.values()]} for a in accounts],
    }


def _activation(a: Activation, seq_of) -> dict:
    return {
        "id": str(a.id), "service": a.service.code, "country": a.country.id, "operator": a.operator,
        "number": a.number, "cost": str(a.cost), "created_ms": a.created_ms, "end_ms": a.end_ms, "status": a.status,
        "ready": a.ready, "generation": a.generation, "polls": a.polls, "retry_code": a.retry_code,
        "refunded": a.refunded, "ended_ms": a.ended_ms,
        "messages": [[m.text, m.code, m.at_ms] for m in a.messages],
        "events": {"sms": [s for e in a.sms_events if (s := seq_of(e)) is not None], "end": seq_of(a.end_event)},
    }


def _link_events(activation: Activation, record: Record, events: dict[int, Event]) -> None:
    activation.sms_events = [events[s] for s in record.ints("sms") if s in events]
    activation.end_event = restoring.event_at(events, record.int("end", optional=True))


def refer(obj) -> dict | None:
    return {"activation": str(obj.id)} if isinstance(obj, Activation) else None


count = partial(restoring.count, "activations")


def restore_state(backend: SmsActivate, record: Record, tenant: Tenant | None, tenant_of) -> Restored:
    restored: Restored = Restored("activation", _link_events)
    if tenant is None:
        backend.next_id = record.int("next_id", minimum=0) or backend.next_id
    accounts: dict[str, Account] = {}
    for a in record.records("accounts"):
        key = _given(a.str("key"), a, "key")
        if tenant is not None and key != tenant.account:
            raise a.fail("key", "a snapshot of one tenant holds its account only")
        account = accounts[key] = Account(key, _given(a.decimal("balance"), a, "balance"), a.str("webhook", optional=True),
                                          Tenant(backend.name, key))
        for r in a.records("activations"):
            activation = _activation_from(backend, account, r)
            restored.add(str(activation.id), activation, _given(r.record("events"), r, "events"), r)
            account.activations[activation.id] = activation
            backend.next_id = max(backend.next_id, activation.id + 1)
    if tenant is None:
        backend.accounts = accounts
    else:
        backend.accounts.pop(tenant.account, None)
        backend.accounts.update(accounts)
    backend.limiter.restore_state(record.records("rate_limits"),
                                  None if tenant is None else frozenset({tenant.account}))
    return restored


def _activation_from(backend: SmsActivate, account: Account, r: Record) -> Activation:
    service = backend.services.get(_given(r.str("service"), r, "service"))
    if service is None:
        raise r.fail("service", "no such service in the scenario")
    country = backend.countries.get(_given(r.int("country"), r, "country"))
    if country is None:
        raise r.fail("country", "no such country in the scenario")
    status = _given(r.str("status"), r, "status")
    if status not in STATUSES:
        raise r.fail("status", f"expected one of {', '.join(STATUSES)}")
    raw_id = _given(r.str("id"), r, "id")
    if not raw_id.isdigit() or len(raw_id) > 18:
        raise r.fail("id", "expected an activation id: digits")
    messages = []
    for index, item in enumerate(r.list("messages")):
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and (item[1] is None or isinstance(item[1], str)) and type(item[2]) is int
                and EARLIEST_MS <= item[2] <= END_OF_TIME_MS):
            raise SnapshotError(f"{r.path}.messages[{index}]: expected [text, code or null, at_ms]")
        messages.append(Sms(*item))
    number, operator = _given(r.str("number"), r, "number"), _given(r.str("operator"), r, "operator")
    return Activation(
        id=int(raw_id), account=account, service=service, country=country, operator=operator,
        behavior=backend.scenario.behavior_for(service, country, operator, number), number=number,
        cost=_given(r.decimal("cost"), r, "cost"), created_ms=_given(instant(r, "created_ms"), r, "created_ms"),
        end_ms=_given(instant(r, "end_ms"), r, "end_ms"), status=status, ready=r.bool("ready"),
        generation=_given(r.int("generation", minimum=0), r, "generation"),
        polls=_given(r.int("polls", minimum=0), r, "polls"),
        retry_code=r.str("retry_code", optional=True), refunded=r.bool("refunded"),
        ended_ms=instant(r, "ended_ms", optional=True), messages=messages)
