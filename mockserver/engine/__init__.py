"""Provider-agnostic machinery: clock, timeline, outbox and the lock over all state."""
from __future__ import annotations

import threading
import time

from mockserver.engine.clock import Clock
from mockserver.engine.tenants import TenantKey
from mockserver.engine.timeline import Timeline
from mockserver.engine.webhooks import Outbox
from mockserver.settings import DEFAULT_LIMITS, Limits

# The runner re-reads the clock at least this often, so it follows clock changes it is not
# told about (freezegun in-process, a tenant offset) without a busy loop.
_RUNNER_MAX_SLEEP_S = 0.25


class Engine:
    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.timeline = Timeline(self.clock)
        self.outbox = Outbox(self.lock, self.timeline, limits=limits)
        self._stop = threading.Event()
        self._runner: threading.Thread | None = None

    def catch_up(self) -> None:
        """Run whatever is due; every request does this first. Never waits on I/O."""
        with self.lock:
            self.timeline.run_due()

    def settle(self, tenant: TenantKey | None = None, timeout_s: float = 120.0) -> bool:
        """Run everything due, webhook retries included, in virtual-time order, and return once
        nothing is due and no delivery is under way. For the control API, which promises that
        due work is done before it answers.

        A delivery under way may fail and schedule a retry at its instant plus its delay; events
        due before the earliest such instant cannot be overtaken by a retry, so they run at once
        and only later ones wait for the deliveries to finish. Given a tenant, only that tenant's
        events and deliveries count, so parallel test workers do not wait on each other."""
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            seen = self.outbox.finished
            with self.lock:
                ran = 0
                while (event := self.timeline.pop_due(tenant, self.outbox.retry_horizon(tenant))) is not None:
                    event.action(event.at_ms)
                    ran += 1
                if not ran and self.outbox.idle(tenant) and not self.timeline.has_due(tenant):
                    return True
            if not ran:
                self.outbox.wait_progress(seen, min(0.5, deadline - time.perf_counter()))
        return False

    def start_runner(self) -> None:
        """Fire events in real time, so an SMS due in 3 s arrives 3 s later unprompted."""
        if self._runner is None:
            self._stop.clear()
            self._runner = threading.Thread(target=self._run, name="timeline-runner", daemon=True)
            self._runner.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.timeline.wakeup.clear()
            with self.lock:
                self.timeline.run_due()
                wait_ms = self.timeline.ms_until_next()
                sleep_s = _RUNNER_MAX_SLEEP_S if wait_ms is None else min(max(wait_ms, 0) / 1000, _RUNNER_MAX_SLEEP_S)
                # Under the lock, so an event scheduled from here on compares with this plan.
                self.timeline.runner_wakes_at = time.monotonic() + sleep_s
            self.timeline.wakeup.wait(sleep_s)

    def close(self) -> None:
        self._stop.set()
        self.timeline.runner_wakes_at = 0.0
        self.timeline.wakeup.set()
        if self._runner is not None:
            self._runner.join(timeout=2)
            self._runner = None
        self.outbox.close()
