"""The running sandbox: one engine, the loaded scenario, and each provider's backend.

Everything the control API can do to the sandbox is a method here, so the CLI, the pytest
plugin and the HTTP control API all drive it the same way. No Flask in this module.
"""
from __future__ import annotations

import os

from .engine import Engine
from .engine.clock import ClockError
from .engine.faults import Faults
from .engine.ids import Codes, ObjectIds, PhoneNumbers
from .providers import provynx, pvadeals
from .scenario.model import Scenario

PROVIDERS = ("pvadeals", "provynx")


class Sandbox:
    def __init__(self, scenario: Scenario, *, real_time: bool = True):
        self.engine = Engine()
        self.lock = self.engine.lock
        self.clock = self.engine.clock
        self.scenario = scenario
        self.reset()
        if real_time:
            self.engine.start_runner()

    def reset(self) -> None:
        """Back to the loaded scenario's initial state: same seed, same clock start."""
        scenario = self.scenario
        with self.lock:
            self.engine.timeline.clear()
            self.clock.reset(scenario.clock_start_ms, scenario.clock_frozen)
            self.engine.outbox.reset(scenario.seed)
            # One phone-number pool for both providers, so no number is ever handed out twice.
            phones, codes = PhoneNumbers(scenario.seed), Codes(scenario.seed)
            self.pvadeals = pvadeals.build(
                scenario.pvadeals, timeline=self.engine.timeline, outbox=self.engine.outbox,
                ids=ObjectIds(scenario.seed), phones=phones, codes=codes)
            self.provynx = provynx.build(
                scenario.provynx, seed=scenario.seed, timeline=self.engine.timeline, outbox=self.engine.outbox,
                phones=phones, codes=codes)
            self.faults = Faults(list(scenario.faults))
            self.started_ms = self.clock.now()

    def load(self, scenario: Scenario) -> None:
        with self.lock:
            self.scenario = scenario
            self.reset()

    def fault_for(self, provider: str, method: str, full_path: str, local_path: str, key: str | None,
                  tenant: str):
        """The scenario's fault for this request, if any (counted as used). Call under the lock."""
        elapsed = self.clock.now(tenant) - self.started_ms
        return self.faults.take(provider, method, full_path, local_path, key, elapsed)

    def cors_origins(self) -> tuple[str, ...]:
        """Origins allowed to call Provynx from a browser: API_CORS_ORIGINS, else the scenario's."""
        configured = os.environ.get("API_CORS_ORIGINS")
        if configured is not None:
            return tuple(origin.strip() for origin in configured.split(",") if origin.strip())
        return self.scenario.provynx.cors_origins

    def catch_up(self) -> None:
        self.engine.catch_up()

    def settle(self) -> bool:
        return self.engine.settle()

    # -- the clock ------------------------------------------------------------------------

    def advance(self, delta_ms: int, tenant: str | None = None) -> None:
        self.clock.advance(delta_ms, tenant)
        self.settle()

    def set_time(self, instant_ms: int, tenant: str | None = None) -> None:
        self.clock.set(instant_ms, tenant)
        self.settle()

    def freeze(self, frozen: bool) -> None:
        self.clock.freeze(frozen)
        self.settle()

    def close(self) -> None:
        self.engine.close()


__all__ = ["Sandbox", "ClockError", "PROVIDERS"]
