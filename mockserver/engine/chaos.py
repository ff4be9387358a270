"""Delivery chaos, the scenario's ``webhooks:`` settings: what real providers do to a receiver that
the happy path never shows it. A seeded share of messages delivered twice (the same webhook-id and
body), every message held back for a seeded delay within a window (so a later event may overtake an
earlier one: an ``sms_received`` before its ``number_purchased``), and a signing-secret rotation
(messages signed with the old and the new secret while it lasts).

Every decision is a pure function of the scenario's seed, the message's stream (its provider and
tenant) and its number in that stream, so the same seed and the same requests give the same
duplicates and the same order on every run, and no generator's state needs keeping: the outbox
keeps one plain int per stream (engine/webhooks.py).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Rotation:
    """While virtual time is in [origin + from_ms, origin + until_ms) (origin: the clock's start at
    the last reset), messages are signed with ``old_secret`` and the account's own secret."""
    old_secret: str
    from_ms: int = 0
    until_ms: int = 600_000


@dataclass(frozen=True)
class Chaos:
    duplicates: float = 0.0          # share of messages delivered a second time, 0 to 1
    reorder_window_ms: int = 0       # each message held back between 0 and this long; 0: none
    rotation: Rotation | None = None

    @property
    def active(self) -> bool:
        return bool(self.duplicates or self.reorder_window_ms)


NONE = Chaos()


def fraction(seed: int | str, stream: str, number: int, what: str) -> float:
    """A number in [0, 1), the same for the same arguments on every run and every machine."""
    digest = hashlib.sha256(f"{seed}:{stream}:{number}:{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def duplicated(chaos: Chaos, seed: int | str, stream: str, number: int) -> bool:
    """Whether the stream's ``number``-th message (from 1) is delivered twice."""
    return chaos.duplicates > 0 and fraction(seed, stream, number, "duplicate") < chaos.duplicates


def hold_ms(chaos: Chaos, seed: int | str, stream: str, number: int) -> int:
    """How long the stream's ``number``-th message (from 1) is held back before its first attempt."""
    if not chaos.reorder_window_ms:
        return 0
    return int(fraction(seed, stream, number, "hold") * chaos.reorder_window_ms)


def signing_secrets(chaos: Chaos, secret: str, at_ms: int, origin_ms: int) -> tuple[str, ...]:
    """The secrets a message made at ``at_ms`` is signed with: the old one first during a rotation."""
    rotation = chaos.rotation
    if rotation is not None and origin_ms + rotation.from_ms <= at_ms < origin_ms + rotation.until_ms \
            and rotation.old_secret != secret:
        return (rotation.old_secret, secret)
    return (secret,)
