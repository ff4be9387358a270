"""PVADeals state in a snapshot (mockserver/state/document.py): accounts, their requests with the
SMS they received and the timeline events they still wait for, the ObjectId stream and the rate
limit counters. A request's behavior is not written: it is the scenario's for its service and
number, found again on restore as at purchase."""
from __future__ import annotations

from functools import partial

from mockserver.engine.clock import EARLIEST_MS, END_OF_TIME_MS, instant
from mockserver.engine.records import Record, SnapshotError
from mockserver.engine.timeline import Event
from mockserver.providers import restoring
from mockserver.providers.pvadeals import defaults
from mockserver.providers.pvadeals.backend import (
    COMPLETED,
    FLAGGED,
    LTR,
    RESERVED,
    STR,
    TIMEOUT,
    Account,
    PvaDeals,
    ReceivedSms,
    Renewal,
    ServiceRequest,
)
from mockserver.providers.restoring import Restored
from mockserver.providers.tenancy import Tenant

# What a request's timeline events may do when a snapshot brings them back: nothing else is called.
ACTIONS = frozenset({"_sms_due", "_expire", "_close_reuse"})
_STATUSES = (RESERVED, COMPLETED, TIMEOUT, FLAGGED)


def export_state(backend: PvaDeals, tenant: Tenant | None, seq_of) -> dict:
    """``seq_of(event)``: the number a pending event has in the snapshot (None: it will not run)."""
    accounts = [a for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return {
        "object_ids": None if tenant is not None else backend.object_ids.export_state(),
        "rate_limits": backend.limiter.export_state(None if tenant is None else frozenset(a.key for a in accounts)),
        "accounts": [{"key": a.key, "credits": str(a.credits), "webhook": a.webhook,
                      "requests": [_request(r, seq_of) for r in a.requests.values()]} for a in accounts],
    }


def _request(r: ServiceRequest, seq_of) -> dict:
    return {
        "id": r.id, "service": r.service.id, "number": r.number, "amount": str(r.amount), "end_ms": r.end_ms,
        "created_ms": r.created_ms, "updated_ms": r.updated_ms, "status": r.status, "allow_flag": r.allow_flag,
        "allow_reuse": r.allow_reuse, "reuse_counter": r.reuse_counter, "message_counter": r.message_counter,
        "generation": r.generation, "reuse_until_ms": r.reuse_until_ms, "polls": r.polls,
        "messages": [[m.text, m.code, m.at_ms] for m in r.messages], "kind": r.kind,
        "duration_days": r.duration_days, "auto_renew": r.auto_renew,
        "renewals": [[n.at_ms, str(n.amount), n.end_ms] for n in r.renewals],
        "renewal_refused_ms": r.renewal_refused_ms, "renewals_dropped": r.renewals_dropped,
        "events": {"sms": [s for e in r.sms_events if (s := seq_of(e)) is not None],
                   "end": seq_of(r.end_event), "reuse_close": seq_of(r.reuse_close)},
    }


def _link_events(request: ServiceRequest, record: Record, events: dict[int, Event]) -> None:
    request.sms_events = [events[s] for s in record.ints("sms") if s in events]
    request.end_event = events.get(record.int("end", optional=True))
    request.reuse_close = events.get(record.int("reuse_close", optional=True))


count = partial(restoring.count, "requests")
refer = partial(restoring.refer, "request", ServiceRequest)


def restore_state(backend: PvaDeals, record: Record, tenant: Tenant | None, tenant_of) -> Restored:
    restored = Restored("request", _link_events)
    if tenant is None:
        backend.object_ids.restore_state(record.record("object_ids"))
    accounts = {}
    for a in record.records("accounts"):
        key = a.str("key")
        if tenant is not None and key != tenant.account:
            raise a.fail("key", "a snapshot of one tenant holds its account only")
        account = accounts[key] = Account(key, a.decimal("credits"), a.str("webhook", optional=True),
                                          Tenant(backend.name, key))
        for r in a.records("requests"):
            request = _request_from(backend, account, r)
            restored.add(request.id, request, r.record("events"), r)
            account.requests[request.id] = request
            for order_field, index in account.indexes.items():
                index.add(request.sort_key(order_field))
    if tenant is None:
        backend.accounts = accounts
    else:
        backend.accounts.pop(tenant.account, None)
        backend.accounts.update(accounts)
    backend.limiter.restore_state(record.records("rate_limits"),
                                  None if tenant is None else frozenset({tenant.account}))
    return restored


def _request_from(backend: PvaDeals, account: Account, r: Record) -> ServiceRequest:
    service_id = r.str("service")
    service = backend.all_services if service_id == defaults.ALL_SERVICES else backend.services.get(service_id)
    if service is None:
        raise r.fail("service", "no such service in the scenario")
    number, status, kind = r.str("number"), r.str("status"), r.str("kind")
    if status not in _STATUSES:
        raise r.fail("status", f"expected one of {', '.join(_STATUSES)}")
    if kind not in (STR, LTR):
        raise r.fail("kind", f"expected {STR} or {LTR}")
    days = r.int("duration_days", optional=True)
    rentals = backend.scenario.rentals
    if (days is not None or kind == LTR) and days not in (*defaults.LTR_DURATIONS, rentals.all_services_days):
        raise r.fail("duration_days", "not a rental's days")
    messages = []
    for index, item in enumerate(r.list("messages")):
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                and (item[1] is None or isinstance(item[1], str)) and type(item[2]) is int
                and EARLIEST_MS <= item[2] <= END_OF_TIME_MS):
            raise SnapshotError(f"{r.path}.messages[{index}]: expected [text, code or null, at_ms]")
        messages.append(ReceivedSms(*item))
    renewals = []
    for index, item in enumerate(r.list("renewals")):
        at = f"{r.path}.renewals[{index}]"
        if not (isinstance(item, list) and len(item) == 3):
            raise SnapshotError(f"{at}: expected [at_ms, amount, end_ms]")
        entry = Record({"at_ms": item[0], "amount": item[1], "end_ms": item[2]}, at)
        renewals.append(Renewal(instant(entry, "at_ms"), entry.decimal("amount"), instant(entry, "end_ms")))
    return ServiceRequest(
        id=r.str("id"), account=account, service=service, behavior=backend.scenario.behavior_for(service, number),
        number=number, amount=r.decimal("amount"), end_ms=instant(r, "end_ms"), created_ms=instant(r, "created_ms"),
        updated_ms=instant(r, "updated_ms"), status=status, allow_flag=r.bool("allow_flag"),
        allow_reuse=r.bool("allow_reuse"), reuse_counter=r.int("reuse_counter", minimum=0),
        message_counter=r.int("message_counter", minimum=0), generation=r.int("generation", minimum=0),
        reuse_until_ms=instant(r, "reuse_until_ms", optional=True), polls=r.int("polls", minimum=0), messages=messages,
        kind=kind, duration_days=days, auto_renew=r.bool("auto_renew"),
        renewals=renewals, renewal_refused_ms=instant(r, "renewal_refused_ms", optional=True),
        renewals_dropped=r.int("renewals_dropped", minimum=0, optional=True) or 0)
