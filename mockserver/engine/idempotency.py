"""Idempotency keys: one answer per key, replayed on repeats.

A key is reserved when its first request begins and holds the stored answer once that
request ends. A repeat with the same fingerprint replays the answer; one with a different
fingerprint is a client mistake; one that arrives while the first is still running is told
to retry. Answers that should not be replayed (a 5xx) release the key instead. An answer too
large to keep (or one that cannot be sent again) is finished without its body: the key stays
bound to its request, and a repeat runs the request again instead of replaying.

Keys are bounded in number: at most ``per_owner`` of one owner (a tenant) and ``total`` across
owners. Past either, the owner's (or everyone's) oldest finished key is forgotten to make room
(the oldest of all, when every one is still in flight), as an expired one would be; a repeat of a
forgotten key runs as a new request.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum

from mockserver.engine.records import TenantOf
from mockserver.settings import DEFAULT_LIMITS


class Outcome(Enum):
    NEW = "new"              # go ahead; call finish() or release() afterwards
    REPLAY = "replay"        # answer with ``stored``
    IN_FLIGHT = "in_flight"  # the first request with this key has not finished
    MISMATCH = "mismatch"    # the key was used for a different request


@dataclass
class Stored:
    fingerprint: str
    expires_ms: int
    status: int | None = None      # None while in flight
    body: object = None
    owner: Hashable = None
    replayable: bool = True        # False: the answer was not kept; a repeat runs again


@dataclass(frozen=True)
class Begin:
    outcome: Outcome
    stored: Stored | None = None


class IdempotencyStore:
    def __init__(self, ttl_ms: int, *, per_owner: int = DEFAULT_LIMITS.idempotency_keys_per_tenant,
                 total: int = DEFAULT_LIMITS.idempotency_keys):
        self._ttl_ms = ttl_ms
        self.per_owner, self.total = per_owner, total
        # In the order they began, which is the order they expire in (one ttl for all).
        self._entries: OrderedDict[tuple, Stored] = OrderedDict()
        self._owned: dict[Hashable, OrderedDict[tuple, None]] = {}     # owner -> its keys, oldest first

    def begin(self, scope: str, key: str, fingerprint: str, now_ms: int, *, owner: Hashable = None,
              per_owner: int | None = None, total: int | None = None) -> Begin:
        """``owner``: whose share of the keys this one takes (default: its scope); ``per_owner``
        and ``total`` override the store's bounds (the sandbox's limits, read at each request)."""
        self._forget_expired(now_ms)
        entry = self._entries.get((scope, key))
        if entry is None:
            owner = scope if owner is None else owner
            owned = self._owned.setdefault(owner, OrderedDict())
            while len(owned) >= max(1, per_owner or self.per_owner):
                self._remove(self._oldest(owned))
            while len(self._entries) >= max(1, total or self.total):
                self._remove(self._oldest(self._entries))
            self._entries[(scope, key)] = Stored(fingerprint, now_ms + self._ttl_ms, owner=owner)
            self._owned.setdefault(owner, owned)[(scope, key)] = None
            return Begin(Outcome.NEW)
        if entry.fingerprint != fingerprint:
            return Begin(Outcome.MISMATCH, entry)
        if entry.status is None:
            return Begin(Outcome.IN_FLIGHT, entry)
        if not entry.replayable:       # nothing to replay: the repeat runs, holding the key meanwhile
            entry.status, entry.replayable = None, True
            return Begin(Outcome.NEW)
        return Begin(Outcome.REPLAY, entry)

    def finish(self, scope: str, key: str, status: int, body: object, *, keep_body: bool = True) -> None:
        """The key's answer; ``keep_body`` False: only that there was one (see the module's docstring)."""
        entry = self._entries.get((scope, key))
        if entry is not None:
            entry.status, entry.body, entry.replayable = status, body if keep_body else None, keep_body

    def release(self, scope: str, key: str) -> None:
        if (scope, key) in self._entries:
            self._remove((scope, key))

    def forget(self, scope_prefix: str) -> None:
        for key in [k for k in self._entries if k[0].startswith(scope_prefix)]:
            self._remove(key)

    def in_flight(self, owner: Hashable = None) -> list[tuple]:
        """Keys whose first request is still under way: an owner's, or (None) everyone's."""
        keys = self._entries if owner is None else self._owned.get(owner, ())
        return [key for key in keys if self._entries[key].status is None]

    def export_state(self, owner: Hashable = None) -> list[dict]:
        """The keys (an owner's, or everyone's) in the order they began."""
        return [{"scope": scope, "key": key, "fingerprint": e.fingerprint, "expires_ms": e.expires_ms,
                 "status": e.status, "body": e.body, "owner": e.owner, "replayable": e.replayable}
                for (scope, key), e in self._entries.items() if owner is None or e.owner == owner]

    def restore_state(self, records, owner_of: TenantOf, owner: Hashable = None) -> None:
        """Keys as export_state gave them; given an owner, only its keys are replaced (its keys go
        after the others', as if begun last)."""
        restored = OrderedDict()
        for r in records:
            status = r.int("status", optional=True)
            if status is not None and not 100 <= status <= 599:
                raise r.fail("status", "not an HTTP status")
            restored[(r.str("scope"), r.str("key"))] = Stored(
                r.str("fingerprint"), r.int("expires_ms"), status, r.raw("body", None),
                owner_of(r, "owner"), r.bool("replayable"))
        if owner is None:
            self._entries.clear()
            self._owned.clear()
        else:
            for key in [k for k, e in self._entries.items() if e.owner == owner]:
                self._remove(key)
        for key, entry in restored.items():
            if owner is None or entry.owner == owner:
                self._entries[key] = entry
                self._owned.setdefault(entry.owner, OrderedDict())[key] = None

    def __len__(self) -> int:
        return len(self._entries)

    def _oldest(self, keys) -> tuple:
        """The first of ``keys`` whose request has finished, or the first of all."""
        return next((k for k in keys if self._entries[k].status is not None), next(iter(keys)))

    def _remove(self, key: tuple) -> None:
        entry = self._entries.pop(key)
        owned = self._owned.get(entry.owner)
        if owned is not None:
            owned.pop(key, None)
            if not owned:
                del self._owned[entry.owner]

    def _forget_expired(self, now_ms: int) -> None:
        # Entries are kept in the order they began, so the expired ones are at the front.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires_ms > now_ms:
                break
            self._remove(key)
