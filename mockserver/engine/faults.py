"""Fault rules: make chosen requests fail, slow down or come back wrong, as a scenario says.

A rule selects requests (what they match, a window of virtual time, only after the first
``after`` matching ones, at most ``times``, each with a ``probability`` drawn from the scenario's
seed) and says what to answer instead. The answer kinds are data here; the HTTP side
(http/faulting.py) carries them out. Every draw is a pure function of the seed, the rule's index
and how many requests the rule has matched, so the same seed and the same requests give the same
faults on every run. No Flask."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatchcase

from mockserver.engine.chaos import fraction
from mockserver.engine.mutations import Mutation
from mockserver.engine.records import SnapshotError

# The answer kinds, as the journal names them ("reset #2": the third rule, a reset).
STATUS, ANSWER, DROP, CUT, GARBAGE, EMPTY, RESET, TRICKLE, MUTATE, DELAY = (
    "status", "answer", "drop", "cut", "garbage", "empty", "reset", "trickle", "mutate", "delay")
# Kinds that send what the real answer would have been, so the backend call runs (a purchase
# happens); the others answer without it unless the rule says ``happens``.
NEEDS_REAL_ANSWER = frozenset({CUT, RESET, TRICKLE, MUTATE, DELAY})
# Kinds written below HTTP, on the client's own socket (http/rawwire.py).
RAW = frozenset({GARBAGE, EMPTY, RESET, TRICKLE})
# Kinds whose answer a client cannot use as the provider's (broken, cut, not its JSON, changed):
# a purchase sent again after one may be a second purchase.
BROKEN = frozenset({DROP, ANSWER, CUT, GARBAGE, EMPTY, RESET, MUTATE})
# Kinds that end the connection without a whole answer, as a dropped connection does.
CUT_OFF = frozenset({DROP, GARBAGE, EMPTY, RESET})
REAL, VIRTUAL = "real", "virtual"     # the clocks a trickle may follow
HEADERS_ONLY = 0                      # reset: after the headers, before any body byte


@dataclass(frozen=True)
class Canned:
    """Any answer: what a proxy or gateway in front of the provider sends instead of its JSON."""
    status: int
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class FaultRule:
    provider: str | None = None
    method: str | None = None
    path: str | None = None        # a glob on the full path or the path within the provider's base
    key: str | None = None         # a glob on the API key
    times: int | None = None       # None: every matching request
    after: int = 0                 # let this many matching requests through first
    probability: float = 1.0       # the share of (otherwise selected) requests it takes, by the seed
    status: int | None = None      # answer with this status, in the provider's error shape
    drop: bool = False             # or break the connection mid-answer
    canned: Canned | None = None   # or any answer (an HTML 502 page)
    cut: int | None = None         # or the real answer's first N bytes, with Content-Length N
    garbage: int | None = None     # or N seeded random bytes, then close
    empty: bool = False            # or close with no answer at all
    reset: int | None = None       # or the real answer's headers and N body bytes, then an RST
    trickle_ms: int | None = None  # or the real answer's body spread over this long
    trickle_clock: str = REAL      # ... of real time or of the tenant's virtual clock
    mutations: tuple[Mutation, ...] = ()   # or the real answer, changed
    happens: bool | None = None    # garbage/empty: whether the backend call runs (default: no)
    delay_ms: int = 0              # wait this long (real time) before the first byte
    from_ms: int = 0               # active from this long after the scenario started (virtual time)
    until_ms: int | None = None    # ... until this long after it started

    @property
    def kind(self) -> str:
        for kind, given in ((STATUS, self.status is not None), (DROP, self.drop), (ANSWER, self.canned),
                            (CUT, self.cut is not None), (GARBAGE, self.garbage is not None), (EMPTY, self.empty),
                            (RESET, self.reset is not None), (TRICKLE, self.trickle_ms is not None),
                            (MUTATE, self.mutations)):
            if given:
                return kind
        return DELAY

    @property
    def happened(self) -> bool:
        """Whether the backend call runs (the purchase is made) under this fault."""
        kind = self.kind
        if kind in (GARBAGE, EMPTY):
            return bool(self.happens)
        return kind in NEEDS_REAL_ANSWER

    def active(self, elapsed_ms: int) -> bool:
        return elapsed_ms >= self.from_ms and (self.until_ms is None or elapsed_ms < self.until_ms)

    def matches(self, provider: str, method: str, full_path: str, local_path: str, key: str | None) -> bool:
        return ((self.provider is None or self.provider == provider)
                and (self.method is None or self.method.upper() == method.upper())
                and (self.path is None or fnmatchcase(full_path, self.path) or fnmatchcase(local_path, self.path))
                and (self.key is None or (key is not None and fnmatchcase(key, self.key))))


@dataclass(frozen=True)
class Taken:
    """A rule that took a request: the rule, its index in the scenario, and which of its faults this
    is (1 for the first), which seeds what it sends (garbage bytes)."""
    rule: FaultRule
    index: int
    number: int
    seed: int | str

    @property
    def label(self) -> str:
        """How the journal names it: the kind and the rule's index, e.g. ``reset #2``."""
        return f"{self.rule.kind} #{self.index}"

    def garbage(self) -> bytes:
        """The rule's garbage: bytes no HTTP client can read, the same for the same seed and number."""
        size, out, block = self.rule.garbage or 0, bytearray(), 0
        while len(out) < size:
            out += hashlib.sha256(f"{self.seed}:fault{self.index}:{self.number}:garbage:{block}".encode()).digest()
            block += 1
        return bytes(out[:size])


class Faults:
    def __init__(self, rules: list[FaultRule], seed: int | str = 0):
        self.rules = list(rules)
        self.seed = seed
        self._fired = [0] * len(self.rules)
        self._seen = [0] * len(self.rules)       # matching requests, for after and probability

    def export_state(self) -> list[int]:
        """How often each rule has fired, then how many requests each has matched."""
        return self._fired + self._seen

    def restore_state(self, counts: list[int], where: str) -> None:
        """Counts as export_state gives them; a snapshot older than ``after`` and ``probability``
        has the fired counts only (its rules matched as often as they fired)."""
        size = len(self.rules)
        if len(counts) not in (size, 2 * size) or any(count < 0 for count in counts):
            raise SnapshotError(f"{where}: one or two counts per fault rule of the scenario, none below 0")
        self._fired = list(counts[:size])
        self._seen = list(counts[size:]) if len(counts) == 2 * size else list(counts)

    def take(self, provider: str, method: str, full_path: str, local_path: str, key: str | None,
             elapsed_ms: int) -> Taken | None:
        """The first rule that takes this request (counting it), or None. A rule takes a matching
        request active now once it has let ``after`` through, while it has uses left, and where the
        seed's draw for this request falls within its probability."""
        for index, rule in enumerate(self.rules):
            if not (rule.active(elapsed_ms) and rule.matches(provider, method, full_path, local_path, key)):
                continue
            self._seen[index] += 1
            seen = self._seen[index]
            if seen <= rule.after or (rule.times is not None and self._fired[index] >= rule.times):
                continue
            if rule.probability < 1 and fraction(self.seed, f"fault{index}", seen, "fault") >= rule.probability:
                continue
            self._fired[index] += 1
            return Taken(rule, index, self._fired[index], self.seed)
        return None
