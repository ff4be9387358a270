"""Due events ordered by virtual time.

Every event belongs to a tenant, because each tenant may see its own virtual time
(its clock offset). Events run under the engine lock; each is told the virtual
instant it was due at, so work done late (a big clock advance) still happens at the
right moment and in order.

An event that raises is logged and skipped: the others still run, whoever runs them (a request
catching up, the control API settling, or the runner thread, which would otherwise die of it and
leave events to fire only when someone asks).
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

from .clock import Clock
from .tenants import TenantKey

Action = Callable[[int], None]

_log = logging.getLogger(__name__)


@dataclass(order=True)
class Event:
    at_ms: int
    seq: int
    tenant: TenantKey = field(compare=False)
    action: Action = field(compare=False, repr=False)
    label: str = field(compare=False, default="")


class Timeline:
    def __init__(self, clock: Clock):
        self._clock = clock
        self._queues: dict[str, list[Event]] = {}
        self._seq = itertools.count()
        # Set whenever an event is added, so the runner thread re-plans its sleep.
        self.wakeup = threading.Event()

    def schedule(self, at_ms: int, tenant: TenantKey, action: Action, label: str = "") -> Event:
        event = Event(at_ms, next(self._seq), tenant, _logging_failures(action, label), label)
        heapq.heappush(self._queues.setdefault(tenant, []), event)
        self.wakeup.set()
        return event

    def pop_due(self, tenant: TenantKey | None = None, before_ms: int | None = None) -> Event | None:
        """The earliest due event of a tenant, or across tenants, by each tenant's own now; with
        ``before_ms``, only one due strictly before that instant."""
        queues = self._queues.items() if tenant is None else [(tenant, self._queues.get(tenant, []))]
        best: Event | None = None
        for tenant, queue in queues:
            if (queue and queue[0].at_ms <= self._clock.now(tenant)
                    and (before_ms is None or queue[0].at_ms < before_ms) and (best is None or queue[0] < best)):
                best = queue[0]
        if best is None:
            return None
        return heapq.heappop(self._queues[best.tenant])

    def has_due(self, tenant: TenantKey | None = None) -> bool:
        queues = self._queues.items() if tenant is None else [(tenant, self._queues.get(tenant, []))]
        return any(queue and queue[0].at_ms <= self._clock.now(owner) for owner, queue in queues)

    def run_due(self) -> int:
        """Run every due event in order, including those that due events schedule."""
        count = 0
        while (event := self.pop_due()) is not None:
            event.action(event.at_ms)
            count += 1
        return count

    def ms_until_next(self) -> int | None:
        waits = [queue[0].at_ms - self._clock.now(tenant)
                 for tenant, queue in self._queues.items() if queue]
        return min(waits) if waits else None

    def count(self) -> int:
        """Events scheduled, across tenants (without sorting them as pending() does)."""
        return sum(len(queue) for queue in self._queues.values())

    def pending(self, tenant: TenantKey | None = None) -> list[Event]:
        queues = self._queues.values() if tenant is None else [self._queues.get(tenant, [])]
        return sorted(event for queue in queues for event in queue)

    def clear(self, tenant: TenantKey | None = None) -> None:
        if tenant is None:
            self._queues.clear()
        else:
            self._queues.pop(tenant, None)
        self.wakeup.set()


def _logging_failures(action: Action, label: str) -> Action:
    """The action, with an exception it raises logged instead of passed to whoever runs it."""
    def run(at_ms: int) -> None:
        try:
            action(at_ms)
        except Exception:
            _log.exception("timeline event %r due at %d failed; the others run on", label, at_ms)
    return run
