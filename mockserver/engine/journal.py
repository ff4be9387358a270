"""The request journal: what clients asked and what they got, in a bounded ring buffer."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from fnmatch import fnmatchcase

from mockserver.engine.clock import instant
from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record, TenantOf
from mockserver.engine.tenants import TenantKey

BODY_SUMMARY_CHARS = 200


@dataclass(slots=True)      # not frozen: an entry gets its number when it is filed, and again when restored
class Entry:
    seq: int
    at_ms: int             # the tenant's virtual time
    tenant: TenantKey | None     # None when the key belongs to no account
    provider: str | None   # None for paths outside every API
    method: str
    path: str
    query: str
    key: str | None
    status: int
    duration_ms: float
    body: str              # the first characters of the request body
    matched: bool          # False when no route answered the path
    ignored: tuple[str, ...] = ()      # fields of the body the API ignored (it does not know them)
    host: str | None = None            # the Host header as sent: the name the client asked for


class Journal:
    def __init__(self, size: int = 1000):
        self._entries: deque[Entry] = deque(maxlen=size)
        self._next_seq = 1
        self._guard = threading.Lock()

    @property
    def recorded(self) -> int:
        """Entries recorded so far, forgotten ones included."""
        return self._next_seq - 1

    @property
    def size(self) -> int:
        return self._entries.maxlen

    def record(self, exchange: Exchange) -> None:
        """One answered request (its text bounded by the recorder, Sandbox.record)."""
        entry = Entry(0, exchange.at_ms, exchange.tenant, exchange.provider, exchange.method, exchange.path,
                      exchange.query, exchange.key, exchange.status, round(exchange.duration_ms, 2),
                      summarize(exchange.body) if exchange.body else "", exchange.matched, exchange.ignored,
                      exchange.host)
        with self._guard:
            entry.seq, self._next_seq = self._next_seq, self._next_seq + 1
            self._entries.append(entry)

    def entries(self, *, provider: str | None = None, method: str | None = None, path: str | None = None,
                key: str | None = None, status: int | None = None, unmatched: bool | None = None,
                tenant: TenantKey | None = None) -> list[Entry]:
        with self._guard:
            entries = list(self._entries)
        return [e for e in entries
                if (provider is None or e.provider == provider)
                and (method is None or e.method == method.upper())
                and (path is None or fnmatchcase(e.path, path))
                and (key is None or e.key == key)
                and (status is None or e.status == status)
                and (unmatched is None or e.matched != unmatched)
                and (tenant is None or e.tenant == tenant)]

    def export_state(self, tenant: TenantKey | None = None) -> dict:
        with self._guard:
            entries = [e for e in self._entries if tenant is None or e.tenant == tenant]
            next_seq = self._next_seq
        return {"next_seq": next_seq, "entries": [
            {"seq": e.seq, "at_ms": e.at_ms, "tenant": e.tenant, "provider": e.provider, "method": e.method,
             "path": e.path, "query": e.query, "key": e.key, "status": e.status, "duration_ms": e.duration_ms,
             "body": e.body, "matched": e.matched, "ignored": list(e.ignored), "host": e.host} for e in entries]}

    def restore_state(self, record: Record, tenant_of: TenantOf,
                      tenant: TenantKey | None = None) -> None:
        """Entries as export_state gave them; given a tenant, its own replace those it has, in
        the order of their numbers among the others'."""
        restored = [Entry(r.int("seq", minimum=1), instant(r, "at_ms"),
                          None if r.raw("tenant") is None else tenant_of(r, "tenant"),
                          r.str("provider", optional=True), r.str("method"), r.str("path"), r.str("query"),
                          r.str("key", optional=True), r.int("status"), r.float("duration_ms"), r.str("body"),
                          r.bool("matched"), tuple(r.strs("ignored")), r.str("host", optional=True))
                    for r in record.records("entries")]
        next_seq = record.int("next_seq", minimum=1)
        with self._guard:
            if tenant is None:
                self._entries.clear()
                self._entries.extend(restored[-self.size:])
                self._next_seq = max(next_seq, *(e.seq + 1 for e in restored)) if restored else next_seq
                return
            kept = [e for e in self._entries if e.tenant != tenant]
            # A tenant's entries keep their order among themselves; numbers go on from this journal's.
            for entry in restored:
                entry.seq, self._next_seq = self._next_seq, self._next_seq + 1
            self._entries.clear()
            self._entries.extend((kept + [e for e in restored if e.tenant == tenant])[-self.size:])

    def forget(self, tenant: TenantKey | None = None) -> None:
        with self._guard:
            kept = [e for e in self._entries if tenant is not None and e.tenant != tenant]
            self._entries.clear()
            self._entries.extend(kept)


def summarize(body: bytes) -> str:
    text = body[:BODY_SUMMARY_CHARS * 4].decode("utf-8", "replace")
    return text if len(text) <= BODY_SUMMARY_CHARS else text[:BODY_SUMMARY_CHARS] + "…"
