"""The virtual clock: the only place the sandbox reads the time of day.

Virtual time is kept in whole milliseconds since the Unix epoch, so that "3 s after
purchase" and "advance 3 s" land on exactly the same instant and ISO strings with
milliseconds round-trip without drift.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class ClockError(ValueError):
    """A clock change that would break the timeline (e.g. moving backwards)."""


# Times are written as ISO 8601 with a four-digit year: the clock stays before year 10000.
LATEST_MS = 253_402_300_799_999   # 9999-12-31T23:59:59.999Z


class Clock:
    """Real or frozen virtual time, with per-tenant offsets.

    In real mode the clock reads ``time.time()`` at every call, looked up on the module,
    so when a test freezes or ticks time in-process with freezegun, the sandbox follows.
    """

    def __init__(self, start_ms: int | None = None, frozen: bool = False):
        self._guard = threading.Lock()
        self.reset(start_ms, frozen)

    def reset(self, start_ms: int | None = None, frozen: bool = False) -> None:
        with self._guard:
            real = _wall_ms()
            start = real if start_ms is None else start_ms
            self._frozen = frozen
            self._frozen_at = start
            self._offset = start - real
            self._tenant_offsets: dict[str, int] = {}

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self, tenant: str | None = None) -> int:
        base = self._frozen_at if self._frozen else _wall_ms() + self._offset
        if tenant is None:
            return base
        return base + self._tenant_offsets.get(tenant, 0)

    def advance(self, delta_ms: int, tenant: str | None = None) -> int:
        if delta_ms < 0:
            raise ClockError("the clock only moves forward; use reset to go back")
        if self.now(tenant) + delta_ms > LATEST_MS:
            raise ClockError("the clock cannot go past 9999-12-31T23:59:59.999Z")
        with self._guard:
            if tenant is not None:
                self._tenant_offsets[tenant] = self._tenant_offsets.get(tenant, 0) + delta_ms
            elif self._frozen:
                self._frozen_at += delta_ms
            else:
                self._offset += delta_ms
        return self.now(tenant)

    def set(self, instant_ms: int, tenant: str | None = None) -> int:
        current = self.now(tenant)
        if instant_ms < current:
            raise ClockError(
                f"the clock only moves forward: {format_iso(instant_ms)} is before "
                f"{format_iso(current)}; use reset to go back")
        return self.advance(instant_ms - current, tenant)

    def forget_tenant(self, tenant: str) -> None:
        with self._guard:
            self._tenant_offsets.pop(tenant, None)

    def freeze(self, frozen: bool) -> None:
        with self._guard:
            if frozen == self._frozen:
                return
            if frozen:
                self._frozen_at = _wall_ms() + self._offset
            else:
                self._offset = self._frozen_at - _wall_ms()
            self._frozen = frozen


def _wall_ms() -> int:
    return int(time.time() * 1000)


def wall_seconds() -> int:
    """Real wall-clock seconds, for what receivers check against their own clock
    (the Standard Webhooks timestamp header), never for provider behaviour."""
    return int(time.time())


def format_iso(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and Z, as both providers write times."""
    moment = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """An ISO 8601 instant (``Z`` or an offset; naive means UTC) to epoch milliseconds."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
