"""Fault rules: make chosen requests fail or slow down, N times, as a scenario says."""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from mockserver.engine.records import SnapshotError


@dataclass(frozen=True)
class FaultRule:
    provider: str | None = None
    method: str | None = None
    path: str | None = None        # a glob on the full path or the path within the provider's base
    key: str | None = None         # a glob on the API key
    times: int | None = None       # None: every matching request
    status: int | None = None      # answer with this status, in the provider's error shape
    drop: bool = False             # or break the connection mid-answer
    delay_ms: int = 0              # wait this long (real time) before answering
    from_ms: int = 0               # active from this long after the scenario started (virtual time)
    until_ms: int | None = None    # ... until this long after it started

    def active(self, elapsed_ms: int) -> bool:
        return elapsed_ms >= self.from_ms and (self.until_ms is None or elapsed_ms < self.until_ms)

    def matches(self, provider: str, method: str, full_path: str, local_path: str, key: str | None) -> bool:
        return ((self.provider is None or self.provider == provider)
                and (self.method is None or self.method.upper() == method.upper())
                and (self.path is None or fnmatchcase(full_path, self.path) or fnmatchcase(local_path, self.path))
                and (self.key is None or (key is not None and fnmatchcase(key, self.key))))


class Faults:
    def __init__(self, rules: list[FaultRule]):
        self.rules = list(rules)
        self._fired = [0] * len(self.rules)

    def export_state(self) -> list[int]:
        """How often each rule has fired."""
        return list(self._fired)

    def restore_state(self, fired: list[int], where: str) -> None:
        if len(fired) != len(self.rules) or any(count < 0 for count in fired):
            raise SnapshotError(f"{where}: one count per fault rule of the scenario, none below 0")
        self._fired = list(fired)

    def take(self, provider: str, method: str, full_path: str, local_path: str, key: str | None,
             elapsed_ms: int) -> FaultRule | None:
        """The first matching rule, active now and with uses left, counting this use."""
        for index, rule in enumerate(self.rules):
            if rule.times is not None and self._fired[index] >= rule.times:
                continue
            if rule.active(elapsed_ms) and rule.matches(provider, method, full_path, local_path, key):
                self._fired[index] += 1
                return rule
        return None
