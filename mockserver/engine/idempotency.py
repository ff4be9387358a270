"""Idempotency keys: one answer per key, replayed on repeats.

A key is reserved when its first request begins and holds the stored answer once that
request ends. A repeat with the same fingerprint replays the answer; one with a different
fingerprint is a client mistake; one that arrives while the first is still running is told
to retry. Answers that should not be replayed (a 5xx) release the key instead.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum


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


@dataclass(frozen=True)
class Begin:
    outcome: Outcome
    stored: Stored | None = None


class IdempotencyStore:
    def __init__(self, ttl_ms: int):
        self._ttl_ms = ttl_ms
        self._entries: OrderedDict[tuple, Stored] = OrderedDict()

    def begin(self, scope: str, key: str, fingerprint: str, now_ms: int) -> Begin:
        self._forget_expired(now_ms)
        entry = self._entries.get((scope, key))
        if entry is None:
            self._entries[(scope, key)] = Stored(fingerprint, now_ms + self._ttl_ms)
            return Begin(Outcome.NEW)
        if entry.fingerprint != fingerprint:
            return Begin(Outcome.MISMATCH, entry)
        if entry.status is None:
            return Begin(Outcome.IN_FLIGHT, entry)
        return Begin(Outcome.REPLAY, entry)

    def finish(self, scope: str, key: str, status: int, body: object) -> None:
        entry = self._entries.get((scope, key))
        if entry is not None:
            entry.status, entry.body = status, body

    def release(self, scope: str, key: str) -> None:
        self._entries.pop((scope, key), None)

    def forget(self, scope_prefix: str) -> None:
        for key in [k for k in self._entries if k[0].startswith(scope_prefix)]:
            del self._entries[key]

    def in_flight(self) -> list[tuple]:
        return [key for key, entry in self._entries.items() if entry.status is None]

    def _forget_expired(self, now_ms: int) -> None:
        # Entries are kept in the order they began, so the expired ones are at the front.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires_ms > now_ms:
                break
            del self._entries[key]
