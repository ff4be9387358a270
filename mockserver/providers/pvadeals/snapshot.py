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


_PLAIN = restoring.plain_fields(ServiceRequest)     # id, number, amount, status, counters, instants...
# Fields newer than the first snapshots, with the value one that lacks them means.
_NEWER = {"renewals_dropped": 0}


def _request(r: ServiceRequest, seq_of) -> dict:
    return {
        **restoring.export_plain(r, _PLAIN), "service": r.service.id,
        "messages": [[m.text, m.code, m.at_ms] for m in r.messages],
        "renewals": [[n.at_ms, str(n.amount), n.end_ms] for n in r.renewals],
        "events": {"sms": [s for e in r.sms_events if (s := seq_of(e)) is not None],
                   "end": seq_of(r.end_event), "reuse_close": seq_of(r.reuse_close)},
    }


def _link_events(request: ServiceRequest, record: Record, events: dict[int, Event]) -> None:
    request.sms_events = [events[s] for s in record.ints("sms") if s in events]
    request.end_event = restoring.event_at(events, record.int("end", optional=True))
    request.reuse_close = restoring.event_at(events, record.int("reuse_close", optional=True))


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
    plain = restoring.read_plain(r, _PLAIN, _NEWER)
    if plain["status"] not in _STATUSES:
        raise r.fail("status", f"expected one of {', '.join(_STATUSES)}")
    if plain["kind"] not in (STR, LTR):
        raise r.fail("kind", f"expected {STR} or {LTR}")
    days = plain["duration_days"]
    rentals = backend.scenario.rentals
    if (days is not None or plain["kind"] == LTR) and days not in (*defaults.LTR_DURATIONS, rentals.all_services_days):
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
    return ServiceRequest(**plain, account=account, service=service, messages=messages, renewals=renewals,
                          behavior=backend.scenario.behavior_for(service, plain["number"]))
