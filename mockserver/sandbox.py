"""The running sandbox: one engine, the loaded scenario, and a backend per registered provider.

Everything the control API can do to the sandbox is a method here, so the CLI, the pytest
plugin and the HTTP control API all drive it the same way. No Flask in this module.
"""
from __future__ import annotations

import threading
from dataclasses import replace

from mockserver.engine import Engine
from mockserver.engine.clock import ClockError, format_iso
from mockserver.engine.exchange import Exchange
from mockserver.engine.faults import Faults
from mockserver.engine.ids import Codes, PhoneNumbers
from mockserver.engine.journal import Journal
from mockserver.providers.contract import Backend, BuildContext
from mockserver.providers.registry import PROVIDERS
from mockserver.providers.tenancy import Tenant
from mockserver.report.observe import Observer
from mockserver.scenario.model import Scenario
from mockserver.settings import DEFAULT_LIMITS, Limits


class UnknownKey(LookupError):
    """A control call named an API key that belongs to no account."""


class Sandbox:
    def __init__(self, scenario: Scenario, *, real_time: bool = True, limits: Limits = DEFAULT_LIMITS):
        self.limits = limits
        self.engine = Engine(limits)
        self.lock = self.engine.lock
        self.clock = self.engine.clock
        self.journal = Journal(limits.journal_size)
        self.observer = Observer(limits)          # what the client report is made of (report/)
        self.engine.outbox.observer = self.observer
        self.scenario = scenario
        self.backends: dict[str, Backend] = {}
        self.resets = 0         # resets so far, of a tenant or of everything (a request that outlives one notices)
        self.changes = 0        # control calls that changed state (the control API counts them)
        # What the server has to tell its operator about itself, by topic (a state file that can
        # no longer be written): /_mock/health lists it.
        self.notices: dict[str, str] = {}
        # Webhook probes under way at once (control/probing.py): each holds a server thread.
        self.probes = threading.BoundedSemaphore(limits.webhook_probes)
        self.hold_frozen = False  # mockserver run --frozen: scenarios loaded later start frozen too
        self.reset()
        if real_time:
            self.engine.start_runner()

    def reset(self, key: str | None = None) -> None:
        """Back to the loaded scenario's initial state: same seed, same clock start. Given an
        API key, only that key's tenant: its account, numbers, clock, webhook log and journal."""
        if key is not None:
            self._reset_tenant(key)
            return
        scenario = self.scenario
        with self.lock:
            self.journal.forget()
            self.observer.forget()
            self.observer.configure(scenario.report)
            self.engine.timeline.clear()
            self.clock.reset(scenario.clock_start_ms, scenario.clock_frozen)
            self.engine.outbox.reset(scenario.seed, scenario.webhook_message_ids, scenario.webhook_chaos,
                                     origin_ms=self.clock.now())
            # One phone-number pool for every provider, so no number is ever handed out twice.
            self.phones, self.codes = PhoneNumbers(scenario.seed), Codes(scenario.seed)
            context = BuildContext(seed=scenario.seed, timeline=self.engine.timeline, outbox=self.engine.outbox,
                                   phones=self.phones, codes=self.codes,
                                   max_tenants=self.limits.max_tenants,
                                   renewals_kept=self.limits.rental_renewals_kept)
            self.backends = {p.name: p.build(scenario.section(p.name), context) for p in PROVIDERS}
            self.faults = Faults(list(scenario.faults))
            self.started_ms = self.clock.now()
            self.resets += 1

    def _reset_tenant(self, key: str) -> None:
        with self.lock:
            tenant = self.tenant_for_key(key)
            if tenant is None:
                raise UnknownKey(key)
            self.clock.forget_tenant(tenant)
            self.engine.timeline.clear(tenant)
            self.engine.outbox.forget(tenant)
            self.journal.forget(tenant)
            self.observer.forget(tenant)
            self.backends[tenant.provider].reset_tenant(tenant)
            self.resets += 1

    def record(self, exchange: Exchange) -> None:
        """A request outside the control API, once answered (the pipeline calls this in a
        ``finally``): its text bounded, its journal entry, and what the client report makes of it."""
        longest = self.limits.max_journal_text
        exchange.method = exchange.method[:16]
        exchange.path, exchange.query = exchange.path[:longest], exchange.query[:longest]
        exchange.key = exchange.key[:longest] if exchange.key else None
        exchange.host = exchange.host[:longest] if exchange.host else None
        self.journal.record(exchange)
        self.observer.observe(exchange)

    def version(self) -> tuple:
        """Changes whenever the state may have: requests answered, events run, webhook attempts
        finished, resets and control calls. What a state file compares to know it is current."""
        return (self.journal.recorded, self.engine.timeline.ran, self.engine.outbox.finished, self.resets,
                self.changes)

    def tenant_for_key(self, key: str, *, provision: bool = True) -> Tenant | None:
        """The tenant an API key acts in (provisioning it from the tenant patterns if allowed)."""
        with self.lock:
            for provider in PROVIDERS:
                tenant = self.backends[provider.name].tenant_for_key(key, provision=provision)
                if tenant is not None:
                    return tenant
            return None

    def backend_of(self, tenant: Tenant):
        return self.backends[tenant.provider]

    def load(self, scenario: Scenario) -> None:
        """Switch to ``scenario`` from its initial state; a server started frozen (``hold_frozen``,
        `mockserver run --frozen`) starts every scenario it loads frozen too."""
        if self.hold_frozen:
            scenario = replace(scenario, clock_frozen=True)
        with self.lock:
            self.scenario = scenario
            self.reset()

    def fault_for(self, provider: str, method: str, full_path: str, local_path: str, key: str | None,
                  tenant: Tenant):
        """The scenario's fault for this request, if any (counted as used). Call under the lock."""
        if not self.faults.rules:
            return None
        elapsed = self.clock.now(tenant) - self.started_ms
        return self.faults.take(provider, method, full_path, local_path, key, elapsed)

    def catch_up(self) -> None:
        self.engine.catch_up()

    def settle(self, tenant: Tenant | None = None) -> bool:
        return self.engine.settle(tenant)

    # -- the clock ------------------------------------------------------------------------

    def move_clock(self, *, freeze: bool | None = None, set_ms: int | None = None, advance_ms: int | None = None,
                   tenant: Tenant | None = None) -> str | None:
        """Freeze or unfreeze, then set, then advance (so "freeze and advance" moves a clock that
        then stays put), all or nothing: a move the clock refuses changes nothing, the freeze
        included. Then everything that fell due runs, at most Limits.max_events_per_move events
        under the lock: past that the move stops at the instant it reached, and the message
        returned says so (None for a whole move)."""
        with self.lock:
            self.clock.check_move(set_ms=set_ms, advance_ms=advance_ms or 0, tenant=tenant)
            before = self.clock.now(tenant)
            if freeze is not None:
                self.clock.freeze(freeze)
            if set_ms is not None:
                self.clock.set(set_ms, tenant)
            if advance_ms is not None:
                self.clock.advance(advance_ms, tenant)
            cut = self._run_moved(tenant, before)
        self.settle(tenant)
        return cut

    def _run_moved(self, tenant: Tenant | None, before_ms: int) -> str | None:
        """Run what a move made due, within the bound (under the lock); past it, the clock is put
        back to just before the events left, and not before where the move started."""
        timeline, outbox, budget = self.engine.timeline, self.engine.outbox, self.limits.max_events_per_move
        last = None
        for _ in range(budget):
            last = timeline.pop_due(tenant, outbox.retry_horizon(tenant))
            if last is None:
                return None
            last.action(last.at_ms)
        left = timeline.due_heads(tenant)
        if last is None or not left:
            return None

        def shared(event) -> int:          # an event's instant on the clock being moved
            return event.at_ms - (0 if tenant is not None else self.clock.offset(event.tenant))

        self.clock.put_back(max(before_ms, shared(last), min(shared(head) for head in left) - 1), tenant)
        return (f"the move stopped at {format_iso(self.clock.now(tenant))} after {budget} events "
                "(MOCKSERVER_MAX_EVENTS_PER_MOVE, the most one move runs); move the clock again to go on")

    def close(self) -> None:
        self.engine.close()


__all__ = ["Sandbox", "ClockError", "UnknownKey"]
