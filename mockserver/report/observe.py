"""What the sandbox saw a client do, for the client report (summary.py): per tenant, counts and
each rule's observations (report/rules/), counted over the whole run (not only the journal's last
entries) and forgotten by a reset like everything else.

The observer is the rules' dispatcher: fed once per answered request (``observe``, an Exchange)
and once per webhook attempt by the outbox (``webhook``, ``probe``), it counts, holds the lock and
hands each rule the tenant's observations. Times are the tenant's virtual instants."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record, TenantOf
from mockserver.engine.tenants import TenantKey
from mockserver.report.rule import COUNTS, Finding, Rule, Seen, export_variant, load_evidence, load_variant, place_below
from mockserver.report.rules import RULES, thresholds
from mockserver.settings import DEFAULT_LIMITS, Limits


class Snapshot(NamedTuple):
    """What the report reads of one tenant: its counts and findings, copied."""
    counts: dict[str, int]
    findings: dict[tuple, Finding]


class Observer:
    def __init__(self, limits: Limits = DEFAULT_LIMITS):
        self._guard = threading.Lock()
        self._tenants: dict[TenantKey, Seen] = {}
        self._limits = limits
        self._per_key = {name: start for rule in RULES for name, start in rule.per_key.items()}
        # the rules that look at requests, as bound methods: this runs for every request
        self._on_request = [rule.request for rule in RULES if type(rule).request is not Rule.request]
        self.thresholds = thresholds()

    def configure(self, given: Mapping) -> None:
        """The scenario's thresholds (its report: section), over the rules' defaults."""
        self.thresholds = thresholds(given)

    def forget(self, tenant: TenantKey | None = None) -> None:
        with self._guard:
            if tenant is None:
                self._tenants.clear()
            else:
                self._tenants.pop(tenant, None)

    def snapshot(self, tenant: TenantKey | None = None) -> dict[TenantKey, Snapshot]:
        """A copy of the observations of one tenant (or everyone's) as they are now: requests go on
        being observed while the report reads it."""
        with self._guard:
            tenants = self._tenants if tenant is None else {tenant: self._tenants[tenant]} \
                if tenant in self._tenants else {}
            return {owner: Snapshot(dict(seen.counts),
                                    {where: Finding.copy(found) for where, found in seen.findings.items()})
                    for owner, seen in tenants.items()}

    def _seen(self, tenant: TenantKey) -> Seen:
        seen = self._tenants.get(tenant)
        if seen is None:
            seen = self._tenants[tenant] = Seen(self._limits, {rule.id: rule.fresh() for rule in RULES})
        return seen

    # -- fed by the request recorder, once per answered request of a known tenant ------------------

    def observe(self, exchange: Exchange) -> None:
        tenant = exchange.tenant
        if tenant is None:          # a wrong key belongs to no account: in no report
            return
        status, kind, chosen = exchange.status, exchange.kind, self.thresholds
        with self._guard:
            seen = self._seen(tenant)
            counts = seen.counts
            counts["requests"] += 1
            if status == 429:
                counts["rate_limited"] += 1
            elif status >= 500:
                counts["server_errors"] += 1
            elif status >= 400:
                counts["client_errors"] += 1
            if exchange.dropped:
                counts["dropped"] += 1
            if kind == "purchase":
                counts["purchases"] += 1
            elif kind == "poll" and exchange.target is not None and status < 400 and not exchange.refused:
                counts["polls"] += 1
            elif kind == "release":
                counts["releases"] += 1
            mine = seen.keys.get(exchange.key)
            if mine is None:
                mine = seen.keys[exchange.key] = dict(self._per_key)
            for on_request in self._on_request:
                on_request(seen, mine, exchange, chosen)

    # -- fed by the outbox, once per attempt ------------------------------------------------

    def webhook(self, tenant: TenantKey, message_id: str, at_ms: int, *, ok: bool, first: bool,
                final: bool) -> None:
        """One delivery attempt. ``first``: the message's first automatic attempt; ``final``: its
        last one (no retry follows a failure); both False for a redelivery asked for by hand."""
        with self._guard:
            seen = self._seen(tenant)
            seen.counts["webhook_attempts"] += 1
            if not ok:
                seen.counts["webhook_failures"] += 1
            for rule in RULES:
                rule.webhook(seen, message_id, at_ms, ok=ok, first=first, final=final)

    def probe(self, tenant: TenantKey, message_id: str, at_ms: int, kind: str, verdict: str,
              expect: str | None) -> None:
        """One webhook probe's verdict (``expect``: the one it should have)."""
        with self._guard:
            seen = self._seen(tenant)
            for rule in RULES:
                rule.probe(seen, message_id, at_ms, kind, verdict, expect)

    # -- snapshots: each rule writes and reads its own part -----------------------------------------

    def export_state(self, tenant: TenantKey | None = None) -> list[dict]:
        """Everything observed (of one tenant, or everyone), as JSON values."""
        with self._guard:
            return [_export(owner, seen) for owner, seen in self._tenants.items()
                    if tenant is None or owner == tenant]

    def restore_state(self, records: Iterable[Record], tenant_of: TenantOf,
                      tenant: TenantKey | None = None) -> None:
        restored = {}
        for record in records:
            owner = tenant_of(record, "tenant")
            restored[owner] = self._restore(record)
        with self._guard:
            if tenant is None:
                self._tenants = restored
            else:
                self._tenants.pop(tenant, None)
                if tenant in restored:
                    self._tenants[tenant] = restored[tenant]

    def _restore(self, record: Record) -> Seen:
        seen = Seen(self._limits, {})
        counts = record.record("counts")
        seen.counts = {name: counts.int(name, minimum=0) for name in COUNTS}
        for r in record.records("keys"):
            mine = seen.keys[r.str("key")] = dict(self._per_key)
            for rule in RULES:
                rule.restore_key(mine, r)
        seen.own = {rule.id: rule.restore(record) for rule in RULES}
        for r in record.records("findings"):
            found = seen.finding(r.str("rule"), r.str("key", optional=True), load_variant(r))
            found.count = r.int("count", minimum=0)
            found.evidence.extend(load_evidence(item, place_below(r, f".evidence[{i}]"))
                                  for i, item in enumerate(r.list("evidence")))
            found.names = dict.fromkeys(r.strs("names"))
        return seen


def _export(owner: TenantKey, seen: Seen) -> dict:
    record = {"tenant": owner, "counts": dict(seen.counts),
              "keys": [{"key": key, **{name: value for rule in RULES for name, value in rule.export_key(mine).items()}}
                       for key, mine in seen.keys.items()]}
    for rule in RULES:
        record.update(rule.export(seen.own[rule.id]))
    record["findings"] = [{"rule": rule, "key": key, "variant": export_variant(variant),
                           "count": found.count, "evidence": list(found.evidence), "names": list(found.names)}
                          for (rule, key, variant), found in seen.findings.items()]
    return record
