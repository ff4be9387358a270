"""The virtual clock: the only place the sandbox reads the time of day.

Virtual time is kept in whole milliseconds since the Unix epoch, so that "3 s after
purchase" and "advance 3 s" land on exactly the same instant and ISO strings with
milliseconds round-trip without drift.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Literal, overload

from mockserver.engine.records import Record, TenantOf
from mockserver.engine.tenants import TenantKey


class ClockError(ValueError):
    """A clock change that would break the timeline (e.g. moving backwards)."""


DAY_MS = 86_400_000
# Times are written as ISO 8601 with a four-digit year, so every time an answer shows lies in
# years 1 to 9999. Answers show times up to ANSWER_HORIZON_MS after now (an end time, an expiry:
# the scenario durations added to now are at most that long), so the clock stops that long
# before the end of year 9999: it can be neither started nor moved past LATEST_MS, and a clock
# running in real time stands still there.
EARLIEST_MS = -62_135_596_800_000                 # 0001-01-01T00:00:00.000Z
END_OF_TIME_MS = 253_402_300_799_999              # 9999-12-31T23:59:59.999Z
ANSWER_HORIZON_MS = 366 * DAY_MS
LATEST_MS = END_OF_TIME_MS - ANSWER_HORIZON_MS    # 9998-12-30T23:59:59.999Z


@overload
def instant(record: Record, name: str, *, optional: Literal[False] = False) -> int: ...
@overload
def instant(record: Record, name: str, *, optional: bool) -> int | None: ...

def instant(record: Record, name: str, *, optional: bool = False) -> int | None:
    """A snapshot's virtual instant: one the clock can show (answers write it as ISO text)."""
    value = record.int(name, optional=optional)
    if value is not None and not EARLIEST_MS <= value <= END_OF_TIME_MS:
        raise record.fail(name, "outside the years the clock can show")
    return value


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
            self._tenant_offsets: dict[TenantKey, int] = {}

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self, tenant: TenantKey | None = None) -> int:
        base = self._frozen_at if self._frozen else _wall_ms() + self._offset
        if tenant is not None:
            base += self._tenant_offsets.get(tenant, 0)
        return base if base <= LATEST_MS else LATEST_MS

    def check_move(self, *, set_ms: int | None = None, advance_ms: int = 0, tenant: TenantKey | None = None) -> None:
        """Raise ClockError if setting and then advancing the clock would be refused."""
        now = self.now(tenant)
        if set_ms is not None and set_ms < now:
            raise ClockError(f"the clock only moves forward: {format_iso(set_ms)} is before {format_iso(now)}; "
                             "use reset to go back")
        if advance_ms < 0:
            raise ClockError("the clock only moves forward; use reset to go back")
        if (now if set_ms is None else set_ms) + advance_ms > LATEST_MS:
            raise ClockError(f"the clock cannot go past {format_iso(LATEST_MS)}: answers show times up to "
                             "a year later, and times have four-digit years")

    def advance(self, delta_ms: int, tenant: TenantKey | None = None) -> int:
        self.check_move(advance_ms=delta_ms, tenant=tenant)
        with self._guard:
            if tenant is not None:
                self._tenant_offsets[tenant] = self._tenant_offsets.get(tenant, 0) + delta_ms
            elif self._frozen:
                self._frozen_at += delta_ms
            else:
                self._offset += delta_ms
        return self.now(tenant)

    def set(self, instant_ms: int, tenant: TenantKey | None = None) -> int:
        self.check_move(set_ms=instant_ms, tenant=tenant)
        return self.advance(instant_ms - self.now(tenant), tenant)

    def offset(self, tenant: TenantKey) -> int:
        """How far a tenant's clock is ahead of the shared one."""
        return self._tenant_offsets.get(tenant, 0)

    def put_back(self, instant_ms: int, tenant: TenantKey | None = None) -> None:
        """Now (the tenant's, or the shared clock's) at an earlier instant: only for a move cut
        short, under the state lock it was made under, so nothing has seen where it went."""
        with self._guard:
            if tenant is not None:
                base = self._frozen_at if self._frozen else _wall_ms() + self._offset
                self._tenant_offsets[tenant] = instant_ms - base
            elif self._frozen:
                self._frozen_at = instant_ms
            else:
                self._offset = instant_ms - _wall_ms()

    def export_state(self, tenant: TenantKey | None = None) -> dict:
        """Now, whether frozen, and the tenants' offsets; given a tenant, its own now only."""
        if tenant is not None:
            return {"now_ms": self.now(tenant)}
        with self._guard:
            offsets = [{"tenant": owner, "offset_ms": offset} for owner, offset in self._tenant_offsets.items()]
        return {"now_ms": self.now(), "frozen": self._frozen, "tenants": offsets}

    def restore_state(self, record: Record, tenant_of: TenantOf,
                      tenant: TenantKey | None = None) -> None:
        """Back to a state export_state gave: now resumes at its instant, frozen or running from
        there (the time a stopped server was down did not pass). Given a tenant, its clock is put
        at its instant by an offset from the shared clock (an earlier one included)."""
        now_ms = instant(record, "now_ms")
        if now_ms > LATEST_MS:
            raise record.fail("now_ms", "outside the years the clock can show")
        if tenant is not None:
            offset = now_ms - self.now()
            with self._guard:
                if offset:
                    self._tenant_offsets[tenant] = offset
                else:
                    self._tenant_offsets.pop(tenant, None)
            return
        frozen = record.bool("frozen")
        offsets = {}
        for r in record.records("tenants"):
            offset = r.int("offset_ms")
            if not EARLIEST_MS <= now_ms + offset <= LATEST_MS:
                raise r.fail("offset_ms", "puts the tenant's clock outside the years it can show")
            offsets[tenant_of(r, "tenant")] = offset
        with self._guard:
            self._frozen, self._frozen_at, self._offset = frozen, now_ms, now_ms - _wall_ms()
            self._tenant_offsets = offsets

    def forget_tenant(self, tenant: TenantKey) -> None:
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


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


_NAIVE_EPOCH = datetime(1970, 1, 1)


def format_iso(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and Z, as both providers write times. isoformat (in C)
    always writes a four-digit year, which strftime does not (year 1 as "1"), and costs a third
    less than formatting each part: answers write several times each."""
    return (_NAIVE_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str) -> int:
    """An ISO 8601 instant (``Z`` or an offset; naive means UTC) to epoch milliseconds."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000
