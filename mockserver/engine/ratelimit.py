"""Rate-limit rules on the virtual clock: rolling windows and token buckets.

A request passes only if every rule that applies to it has room; only a request that
passes is counted, so a client hammering a 429 does not lengthen its own penalty.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from mockserver.engine.clock import instant


@dataclass(frozen=True)
class Rule:
    limit: int
    window_ms: int
    scope: str = "key"            # "key" or "ip"
    algorithm: str = "rolling"    # "rolling" or "token_bucket"
    paths: tuple[str, ...] = ()   # empty: every path

    def applies_to(self, path: str) -> bool:
        return not self.paths or path in self.paths


@dataclass(frozen=True)
class Rejection:
    rule: Rule
    retry_after_s: int


class _Usage:
    """What a counter has seen over the whole run, for the client report: the most requests it
    held in one window (with when and on which path that peak came), and the requests it refused."""
    __slots__ = ("peak", "peak_ms", "peak_path", "refused")

    def __init__(self) -> None:
        self.peak = 0
        self.peak_ms = 0
        self.peak_path = ""
        self.refused = 0


@dataclass(frozen=True)
class Usage:
    rule: Rule
    subject: str
    peak: int                # most requests in one window (a bucket: most tokens taken at once)
    peak_ms: int
    peak_path: str
    refused: int             # requests it answered 429


class _RollingWindow(_Usage):
    __slots__ = ("hits",)

    def __init__(self) -> None:
        super().__init__()
        self.hits: deque[int] = deque()

    def wait_ms(self, rule: Rule, now_ms: int) -> int:
        while self.hits and self.hits[0] <= now_ms - rule.window_ms:
            self.hits.popleft()
        if len(self.hits) < rule.limit:
            return 0
        return self.hits[0] + rule.window_ms - now_ms

    def take(self, rule: Rule, now_ms: int) -> int:
        self.hits.append(now_ms)
        return len(self.hits)


class _TokenBucket(_Usage):
    __slots__ = ("tokens", "stamp")

    def __init__(self, rule: Rule, now_ms: int) -> None:
        super().__init__()
        self.tokens = float(rule.limit)
        self.stamp = now_ms

    def wait_ms(self, rule: Rule, now_ms: int) -> int:
        per_ms = rule.limit / rule.window_ms
        self.tokens = min(float(rule.limit), self.tokens + (now_ms - self.stamp) * per_ms)
        self.stamp = max(self.stamp, now_ms)
        if self.tokens >= 1.0:
            return 0
        return math.ceil((1.0 - self.tokens) / per_ms)

    def take(self, rule: Rule, now_ms: int) -> int:
        self.tokens -= 1.0
        return math.ceil(rule.limit - self.tokens - 1e-9)


class RateLimiter:
    def __init__(self, rules: list[Rule]):
        self.rules = list(rules)
        self._counters: dict[tuple[int, str], _RollingWindow | _TokenBucket] = {}

    def check(self, subjects: dict[str, str], path: str, now_ms: int) -> Rejection | None:
        """Count the request against every applicable rule, or reject it counting nothing.

        ``subjects`` maps a scope to who is asking in it: ``{"key": ..., "ip": ...}``.
        """
        applicable = []
        worst: Rejection | None = None
        for index, rule in enumerate(self.rules):
            subject = subjects.get(rule.scope)
            if subject is None or not rule.applies_to(path):
                continue
            counter = self._counter(index, rule, subject, now_ms)
            wait = counter.wait_ms(rule, now_ms)
            if wait > 0:
                counter.refused += 1
                seconds = max(1, math.ceil(wait / 1000))
                if worst is None or seconds > worst.retry_after_s:
                    worst = Rejection(rule, seconds)
            applicable.append((rule, counter))
        if worst is not None:
            return worst
        for rule, counter in applicable:
            used = counter.take(rule, now_ms)
            if used > counter.peak:
                counter.peak, counter.peak_ms, counter.peak_path = used, now_ms, path
        return None

    def usage(self) -> list[Usage]:
        """Each counter's peak and refusals so far (the client report's rate headroom)."""
        return [Usage(self.rules[index], subject, c.peak, c.peak_ms, c.peak_path, c.refused)
                for (index, subject), c in self._counters.items()]

    def _counter(self, index: int, rule: Rule, subject: str, now_ms: int):
        counter = self._counters.get((index, subject))
        if counter is None:
            counter = _TokenBucket(rule, now_ms) if rule.algorithm == "token_bucket" else _RollingWindow()
            self._counters[(index, subject)] = counter
        return counter

    def export_state(self, subjects: frozenset[str] | None = None) -> list[dict]:
        """Every counter (or those of some subjects: a tenant's keys), with its rule's index."""
        exported = []
        for (index, subject), counter in self._counters.items():
            if subjects is not None and subject not in subjects:
                continue
            state = {"rule": index, "subject": subject, "peak": counter.peak, "peak_ms": counter.peak_ms,
                     "peak_path": counter.peak_path, "refused": counter.refused}
            if isinstance(counter, _TokenBucket):
                state.update(tokens=counter.tokens, stamp=counter.stamp)
            else:
                state["hits"] = list(counter.hits)
            exported.append(state)
        return exported

    def restore_state(self, records, subjects: frozenset[str] | None = None) -> None:
        """Counters as export_state gave them, for these rules; given subjects, only theirs are
        replaced."""
        restored: dict[tuple[int, str], _RollingWindow | _TokenBucket] = {}
        for record in records:
            index = record.int("rule", minimum=0)
            if index >= len(self.rules):
                raise record.fail("rule", "no such rate-limit rule in the scenario")
            rule = self.rules[index]
            counter: _RollingWindow | _TokenBucket
            if rule.algorithm == "token_bucket":
                counter = bucket = _TokenBucket(rule, record.int("stamp"))
                bucket.tokens = record.float("tokens")
            else:
                counter = window = _RollingWindow()
                window.hits.extend(record.ints("hits"))
            counter.peak, counter.peak_ms = record.int("peak", minimum=0), instant(record, "peak_ms")
            counter.peak_path, counter.refused = record.str("peak_path"), record.int("refused", minimum=0)
            restored[(index, record.str("subject"))] = counter
        if subjects is None:
            self._counters = restored
            return
        for subject in subjects:
            self.forget(subject)
        self._counters.update({k: c for k, c in restored.items() if k[1] in subjects})

    def forget(self, subject: str) -> None:
        for counter_key in [k for k in self._counters if k[1] == subject]:
            del self._counters[counter_key]
