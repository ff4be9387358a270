"""Provynx state in a snapshot (mockserver/state/document.py): accounts with their keys, webhook
settings and numbers, the stock left in each catalog, the number-id stream, the rate-limit
counters and the Idempotency-Keys. A number's service and behavior are not written: they are the
scenario's, found again on restore from its server, country and service id as at purchase."""
from __future__ import annotations

from functools import partial

from mockserver.engine.records import Record, SnapshotError
from mockserver.engine.timeline import Event
from mockserver.providers import restoring
from mockserver.providers.provynx.backend import (
    CANCELED,
    EXPIRED,
    GLOBAL,
    PENDING,
    RECEIVED,
    US,
    Account,
    Number,
    Provynx,
)
from mockserver.providers.provynx.defaults import MAX_ACTIVE_KEYS
from mockserver.providers.provynx.errors import UnknownCountry, UnknownServer
from mockserver.providers.restoring import Restored
from mockserver.providers.tenancy import Tenant

# What a number's timeline events may do when a snapshot brings them back: nothing else is called.
ACTIONS = frozenset({"_sms_due", "_expire"})
_STATUSES = (PENDING, RECEIVED, CANCELED, EXPIRED)


def export_state(backend: Provynx, tenant: Tenant | None, seq_of) -> dict:
    """``seq_of(event)``: the number a pending event has in the snapshot (None: it will not run)."""
    accounts = [a for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    whole = tenant is None
    return {
        "number_ids": backend.number_ids.export_state() if whole else None,
        # Stock is shared by every account: a tenant's snapshot leaves it as it is.
        "stock": [[server, country, service, left] for (server, country, service), left in backend.stock.items()]
        if whole else None,
        "rate_limits": backend.limiter.export_state(None if whole else frozenset(k for a in accounts for k in a.keys)),
        "idempotency": backend.idempotency.export_state(None if whole else tenant),
        "accounts": [{"name": a.name, "balance": str(a.balance), "keys": sorted(a.keys), "webhook_url": a.webhook_url,
                      "webhook_secret": a.webhook_secret, "numbers": [_number(n, seq_of) for n in a.numbers.values()]}
                     for a in accounts],
    }


_PLAIN = restoring.plain_fields(Number)     # id, region, country, number, price, status, instants...


def _number(n: Number, seq_of) -> dict:
    return {**restoring.export_plain(n, _PLAIN), "service": n.service.id,
            "events": {"sms": [s for e in n.sms_events if (s := seq_of(e)) is not None], "expiry": seq_of(n.expiry)}}


def _link_events(number: Number, record: Record, events: dict[int, Event]) -> None:
    number.sms_events = [events[s] for s in record.ints("sms") if s in events]
    number.expiry = restoring.event_at(events, record.int("expiry", optional=True))


count = partial(restoring.count, "numbers")
refer = partial(restoring.refer, "number", Number)


def restore_state(backend: Provynx, record: Record, tenant: Tenant | None, tenant_of) -> Restored:
    restored = Restored("number", _link_events)
    whole = tenant is None
    if whole:
        backend.number_ids.restore_state(record.raw("number_ids"), f"{record.path}.number_ids")
        stock = {}
        for index, item in enumerate(record.list("stock")):
            at = f"{record.path}.stock[{index}]"
            if not (isinstance(item, list) and len(item) == 4 and type(item[0]) is int and type(item[1]) is str
                    and type(item[2]) is str and type(item[3]) is int and item[3] >= 0):
                raise SnapshotError(f"{at}: expected [server, country, service, count left]")
            service_key = (item[0], item[1], item[2])
            if service_key not in backend.stock:
                raise SnapshotError(f"{at}: the scenario's catalogs have no such service")
            stock[service_key] = item[3]
    accounts: list[Account] = []
    for a in record.records("accounts"):
        name = a.str("name")
        if tenant is not None and name != tenant.account:
            raise a.fail("name", "a snapshot of one tenant holds its account only")
        keys = frozenset(a.strs("keys"))
        if not 1 <= len(keys) <= MAX_ACTIVE_KEYS:
            raise a.fail("keys", f"an account has from 1 to {MAX_ACTIVE_KEYS} active keys")
        others = {key for other in accounts for key in other.keys}
        if not whole:
            others |= {key for key, holder in backend.accounts_by_key.items() if holder.name != name}
        if keys & others:
            raise a.fail("keys", "a key of another account")
        account = Account(name, a.decimal("balance"), keys, a.str("webhook_url", optional=True),
                          a.str("webhook_secret"), Tenant(backend.name, name))
        for r in a.records("numbers"):
            number = _number_from(backend, account, r)
            restored.add(number.id, number, r.record("events"), r)
            account.numbers[number.id] = number
        accounts.append(account)
    subjects = None if whole else frozenset(key for account in accounts for key in account.keys)
    if tenant is None:
        backend.accounts, backend.accounts_by_key = {}, {}
        backend.stock.update(stock)
    else:
        old = backend.accounts.pop(tenant.account, None)
        for key in () if old is None else old.keys:
            backend.accounts_by_key.pop(key, None)
            backend.limiter.forget(key)
    for account in accounts:
        backend.accounts[account.name] = account
        backend.accounts_by_key.update({key: account for key in account.keys})
    backend.limiter.restore_state(record.records("rate_limits"), subjects)
    # An Idempotency-Key's owner is its tenant (or, given none, its scope: text).
    backend.idempotency.restore_state(
        record.records("idempotency"),
        lambda r, name: r.str(name) if isinstance(r.raw(name), str) else tenant_of(r, name), tenant)
    return restored


def _number_from(backend: Provynx, account: Account, r: Record) -> Number:
    plain = restoring.read_plain(r, _PLAIN)
    if plain["region"] not in (US, GLOBAL):
        raise r.fail("region", f"expected {US} or {GLOBAL}")
    try:
        server = backend.server(plain["server"])
        country = backend.country(plain["server"], plain["region"], plain["country"])
    except (UnknownServer, UnknownCountry):
        raise r.fail("server", "no such server and country in the scenario's catalogs") from None
    service = country.service(r.str("service"))
    if service is None:
        raise r.fail("service", "no such service in that catalog")
    if plain["status"] not in _STATUSES:
        raise r.fail("status", f"expected one of {', '.join(_STATUSES)}")
    if (plain["sms"] is None) != (plain["sms_at_ms"] is None):
        raise r.fail("sms_at_ms", "a number's SMS and when it came go together")
    return Number(**plain, account=account, service=service, behavior=backend.scenario.behavior_for(
        server, country, plain["operator"], service, plain["number"]))
