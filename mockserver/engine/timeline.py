"""Due events ordered by virtual time.

Every event belongs to a tenant, because each tenant may see its own virtual time
(its clock offset). Events run under the engine lock; each is told the virtual
instant it was due at, so work done late (a big clock advance) still happens at the
right moment and in order.

A state change that makes an event moot (a number cancelled before its SMS, a request reused
before its end time) cancels it, so that what is pending is what will still act.

An event that raises is logged and skipped: the others still run, whoever runs them (a request
catching up, the control API settling, or the runner thread, which would otherwise die of it and
leave events to fire only when someone asks).
"""
from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mockserver.engine.clock import Clock
from mockserver.engine.redaction import redacting_logger
from mockserver.engine.tenants import TenantKey

Action = Callable[[int], None]

_log = redacting_logger(__name__)


@dataclass(order=True)
class Event:
    at_ms: int
    seq: int
    tenant: TenantKey = field(compare=False)
    action: Action = field(compare=False, repr=False)
    label: str = field(compare=False, default="")
    queued: bool = field(compare=False, default=True, repr=False)       # in its queue, not yet run
    cancelled: bool = field(compare=False, default=False, repr=False)


# A tenant's queue is rebuilt without its cancelled events once they are this many, and half of it.
_COMPACT_AT = 64


class Timeline:
    """Each tenant's events in a heap. A cancelled event stays in its heap, marked, until it
    reaches the top or the heap is compacted, so a cancel costs no scan of the queue."""

    def __init__(self, clock: Clock):
        self._clock = clock
        self._queues: dict[TenantKey, list[Event]] = {}
        self._cancelled: dict[TenantKey, int] = {}      # tenant -> cancelled events still in its heap
        self._next_seq = 0                        # orders events due at the same instant; a snapshot keeps it
        self.ran = 0                              # events taken to run so far (a state file sees a change)
        # Set when an event is added that falls due before the runner thread means to wake
        # (runner_wakes_at, on time.monotonic()), so that it re-plans its sleep. Setting it for
        # every event woke the runner once per purchase: a thread switch per request.
        self.wakeup = threading.Event()
        self.runner_wakes_at = 0.0              # 0: no runner asleep

    def schedule(self, at_ms: int, tenant: TenantKey, action: Action, label: str = "") -> Event:
        event = Event(at_ms, self._next_seq, tenant, _Logged(action, label), label)
        self._next_seq += 1
        heapq.heappush(self._queues.setdefault(tenant, []), event)
        if self.runner_wakes_at and not self._clock.frozen and \
                time.monotonic() + (at_ms - self._clock.now(tenant)) / 1000 < self.runner_wakes_at:
            self.wakeup.set()
        return event

    def _head(self, tenant: TenantKey, queue: list[Event]) -> Event | None:
        """A queue's earliest event that is not cancelled, dropping the cancelled ones before it."""
        while queue and queue[0].cancelled:
            heapq.heappop(queue).queued = False
            self._uncount(tenant)
        return queue[0] if queue else None

    def _uncount(self, tenant: TenantKey) -> None:
        left = self._cancelled[tenant] - 1
        if left:
            self._cancelled[tenant] = left
        else:
            del self._cancelled[tenant]

    def pop_due(self, tenant: TenantKey | None = None, before_ms: int | None = None) -> Event | None:
        """The earliest due event of a tenant, or across tenants, by each tenant's own now; with
        ``before_ms``, only one due strictly before that instant."""
        queues = list(self._queues.items()) if tenant is None else [(tenant, self._queues.get(tenant, []))]
        best: Event | None = None
        for owner, queue in queues:
            head = self._head(owner, queue)
            if (head is not None and head.at_ms <= self._clock.now(owner)
                    and (before_ms is None or head.at_ms < before_ms) and (best is None or head < best)):
                best = head
        if best is None:
            return None
        event = heapq.heappop(self._queues[best.tenant])
        event.queued = False
        self.ran += 1
        return event

    def has_due(self, tenant: TenantKey | None = None) -> bool:
        queues = list(self._queues.items()) if tenant is None else [(tenant, self._queues.get(tenant, []))]
        return any((head := self._head(owner, queue)) is not None and head.at_ms <= self._clock.now(owner)
                   for owner, queue in queues)

    def run_due(self) -> int:
        """Run every due event in order, including those that due events schedule."""
        count = 0
        while (event := self.pop_due()) is not None:
            event.action(event.at_ms)
            count += 1
        return count

    def due_heads(self, tenant: TenantKey | None = None) -> list[Event]:
        """Each queue's earliest event, of those already due (of one tenant, or of each)."""
        queues = list(self._queues.items()) if tenant is None else [(tenant, self._queues.get(tenant, []))]
        return [head for owner, queue in queues
                if (head := self._head(owner, queue)) is not None and head.at_ms <= self._clock.now(owner)]

    def ms_until_next(self) -> int | None:
        waits = [head.at_ms - self._clock.now(tenant) for tenant, queue in list(self._queues.items())
                 if (head := self._head(tenant, queue)) is not None]
        return min(waits) if waits else None

    def count(self) -> int:
        """Events that will still run, across tenants (without sorting them as pending() does)."""
        return sum(len(queue) for queue in self._queues.values()) - sum(self._cancelled.values())

    def pending(self, tenant: TenantKey | None = None) -> list[Event]:
        """The events that will still run, in order: none of those cancelled."""
        queues = self._queues.values() if tenant is None else [self._queues.get(tenant, [])]
        return sorted(event for queue in queues for event in queue if not event.cancelled)

    def cancel(self, events: Iterable[Event | None]) -> None:
        """Void events before they run: those a state change has made moot, so that what
        pending() lists is what will still act. None, and events that already ran or were
        cancelled, are ignored."""
        for event in events:
            if event is None or event.cancelled or not event.queued:
                continue
            event.cancelled = True
            tenant = event.tenant
            cancelled = self._cancelled[tenant] = self._cancelled.get(tenant, 0) + 1
            queue = self._queues[tenant]
            if cancelled >= _COMPACT_AT and 2 * cancelled >= len(queue):
                for dropped in queue:
                    if dropped.cancelled:
                        dropped.queued = False
                queue[:] = [kept for kept in queue if not kept.cancelled]
                heapq.heapify(queue)
                del self._cancelled[tenant]

    # -- snapshots ---------------------------------------------------------------------------

    def export_state(self, tenant: TenantKey | None = None) -> tuple[int, list[Event]]:
        """The counter that orders events, and the events that will still run (of one tenant, or
        everyone's) in the order they would: each event's ``action.action`` is what it does."""
        return self._next_seq, self.pending(tenant)

    def restore_state(self, events: list[tuple[int, int, TenantKey, Action, str]], next_seq: int | None,
                      tenant: TenantKey | None = None) -> dict[int, Event]:
        """Replace the events (of one tenant, or everyone's) with (seq, at_ms, tenant, action,
        label) ones; the new events by the seq given. With ``next_seq`` (a whole restore) the
        events keep their order numbers; without, they get new ones in the order given."""
        self.clear(tenant)
        restored = {}
        for seq, at_ms, owner, action, label in sorted(events, key=lambda e: e[0]):
            if next_seq is None:
                number, self._next_seq = self._next_seq, self._next_seq + 1
            else:
                number = seq
            event = restored[seq] = Event(at_ms, number, owner, _Logged(action, label), label)
            heapq.heappush(self._queues.setdefault(owner, []), event)
        if next_seq is not None:
            self._next_seq = max([next_seq, *(event.seq + 1 for event in restored.values())])
        self.wakeup.set()
        return restored

    def clear(self, tenant: TenantKey | None = None) -> None:
        dropped = list(self._queues.values()) if tenant is None else [self._queues.get(tenant, [])]
        for queue in dropped:
            for event in queue:
                event.queued = False
        if tenant is None:
            self._queues.clear()
            self._cancelled.clear()
        else:
            self._queues.pop(tenant, None)
            self._cancelled.pop(tenant, None)
        self.wakeup.set()


class _Logged:
    """An event's action, with an exception it raises logged instead of passed to whoever runs it.
    The action itself stays readable (``action``), for a snapshot to describe."""
    __slots__ = ("action", "label")

    def __init__(self, action: Action, label: str):
        self.action, self.label = action, label

    def __call__(self, at_ms: int) -> None:
        try:
            self.action(at_ms)
        except Exception:
            _log.exception("timeline event %r due at %d failed; the others run on", self.label, at_ms)
