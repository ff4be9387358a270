"""What a rule of the client report is (``Rule``: one module each in report/rules/, listed in
report/rules/__init__.py) and what the rules share: a tenant's observations (``Seen``), a
finding's count and sample of evidence (``Finding``), and items of evidence as kept, shown and
restored. A rule only adds to what it is handed; the observer (observe.py) holds the lock, and
the report (summary.py) asks each rule what its findings say. No Flask, no providers here."""
from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, overload

from mockserver.engine.clock import EARLIEST_MS, END_OF_TIME_MS
from mockserver.engine.exchange import Exchange
from mockserver.engine.ratelimit import Rule as Limit
from mockserver.engine.records import Record, SnapshotError
from mockserver.settings import Limits

# An item of evidence: ("request", at_ms, method, path, status or None), ("webhook", at_ms,
# message id) or ("number", at_ms, number id).
Evidence = tuple
Thresholds = dict[str, Any]      # threshold name -> value, every rule's, the scenario's over the defaults

COUNTS = ("requests", "rate_limited", "client_errors", "server_errors", "dropped", "polls", "purchases",
          "releases", "webhook_attempts", "webhook_failures")


@dataclass(frozen=True)
class Threshold:
    """A line a rule draws, set in the scenario's ``report:`` section under ``name``."""
    name: str
    default: int | float
    description: str
    kind: str = "count"          # "count" (an integer), "share" (a number) or "duration" (ms, written "2s")
    minimum: int | float | None = None
    maximum: int | float | None = None


class Finding:
    """One rule's variant for one key: how often, a bounded sample of evidence, and names (of
    ignored fields, probe kinds...) in order, as bounded."""
    __slots__ = ("count", "evidence", "names")

    def __init__(self, size: int | None):
        self.count = 0
        self.evidence: deque[Evidence] = deque(maxlen=size)
        self.names: dict[str, None] = {}

    def copy(self) -> Finding:
        twin = Finding(self.evidence.maxlen)
        twin.count, twin.names = self.count, dict(self.names)
        twin.evidence.extend(self.evidence)
        return twin


class Seen:
    """One tenant's observations: counts, each key's state (the fields the rules keep per key),
    each rule's own state, and the findings by (rule, key, variant)."""
    __slots__ = ("counts", "keys", "own", "findings", "limits")

    def __init__(self, limits: Limits, own: dict[str, Any]):
        self.counts = dict.fromkeys(COUNTS, 0)
        self.keys: dict[str | None, dict[str, Any]] = {}
        self.own = own
        self.findings: dict[tuple, Finding] = {}
        self.limits = limits

    def finding(self, rule: str, key: str | None, variant: Any = "") -> Finding:
        found = self.findings.get((rule, key, variant))
        if found is None:
            found = self.findings[(rule, key, variant)] = Finding(self.limits.report_evidence_per_rule)
        return found

    def note(self, rule: str, key: str | None, variant: Any, evidence: Evidence) -> Finding:
        """One more of a finding, with its evidence."""
        found = self.finding(rule, key, variant)
        found.count += 1
        found.evidence.append(evidence)
        return found


class Rule:
    """One rule: what it observes (``request``, ``webhook``, ``probe``; or, for a rule over the
    providers' state, ``report``), its thresholds, its advice, how a finding of it reads
    (``describe``) and its part of a snapshot (``per_key`` fields, ``export``/``restore``)."""
    id = ""
    advice = ""
    thresholds: tuple[Threshold, ...] = ()
    per_key: dict[str, Any] = {}     # its state per API key: snapshot field -> start value
    per_account = False              # its findings are about the account (webhooks), under no key of their own
    keeps: tuple[str, ...] = ()      # ids of findings it keeps besides its own (evidence it shows later)

    def fresh(self) -> Any:
        """Its state per tenant (None: it keeps none)."""
        return None

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        """One answered request of a known tenant; ``mine``: the key's state."""

    def webhook(self, seen: Seen, message_id: str, at_ms: int, *, ok: bool, first: bool, final: bool) -> None:
        """One delivery attempt (see Observer.webhook)."""

    def probe(self, seen: Seen, message_id: str, at_ms: int, kind: str, verdict: str,
              expect: str | None) -> None:
        """One webhook probe's verdict (see Observer.probe)."""

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str] | None:
        """A finding of it as (severity, summary); None: not one to show (evidence kept for later)."""
        return None

    def report(self, provider: Any, backend: Any, tenant: Any, observed: dict, thresholds: Thresholds,
               most: int) -> list[dict]:
        """Findings read from a provider's state rather than observed, as finding() makes them."""
        return []

    def advise(self, thresholds: Thresholds) -> str:
        return self.advice

    # -- its part of a snapshot -------------------------------------------------------------------

    def export_key(self, mine: dict[str, Any]) -> dict[str, Any]:
        return {name: mine[name] for name in self.per_key}

    def restore_key(self, mine: dict[str, Any], record: Record) -> None:
        """Reads its ``per_key`` fields back into ``mine`` (a rule that keeps some says how)."""

    def export(self, own: Any) -> dict[str, Any]:
        """Its own fields of the tenant's record."""
        return {}

    def restore(self, record: Record) -> Any:
        return self.fresh()


def seen_as(exchange: Exchange) -> Evidence:
    """The request as evidence."""
    return ("request", exchange.at_ms, exchange.method, exchange.path, None if exchange.dropped else exchange.status)


def finding(rule: Rule, severity: str, provider: str, key: str | None, summary: str, count: int,
            evidence, thresholds: Thresholds) -> dict:
    """A finding as the report shows it."""
    return {"rule": rule.id, "severity": severity, "provider": provider, "key": key, "summary": summary,
            "advice": rule.advise(thresholds), "count": count, "evidence": [shown(item) for item in evidence]}


def shown(item: Evidence) -> dict:
    if item[0] == "webhook":
        return {"at": item[1], "kind": "webhook", "id": item[2]}
    if item[0] == "number":
        return {"at": item[1], "kind": "request", "id": item[2]}
    _, at_ms, method, path, status = item
    return {"at": at_ms, "kind": "request", "method": method, "path": path,
            **({} if status is None else {"status": status})}


def body_hash(body: bytes) -> int:
    """Tells bodies apart (a repeat from another request), the same in every process, so that it
    means the same after a snapshot is restored elsewhere (Python's hash() of bytes does not)."""
    return zlib.crc32(body)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# What the observations' tuples hold, item by item (a type, or a tuple of types), as restored.
_EVIDENCE = {"request": (str, int, str, str, (int, type(None))), "webhook": (str, int, str), "number": (str, int, str)}


def fits(value: Any, shape: tuple) -> bool:
    return (isinstance(value, list) and len(value) == len(shape)
            and all(isinstance(item, kind) and not (kind is int and isinstance(item, bool))
                    for item, kind in zip(value, shape, strict=True)))


def shaped(record: Record, name: str, shape: tuple) -> tuple | None:
    value = record.raw(name, None)
    if value is None:
        return None
    if not fits(value, shape):
        raise record.fail(name, "not an observation of the shape this version keeps")
    return tuple(value)


def place_below(record: Record, below: str) -> Callable[[], str]:
    """A place below a record (``below``: ".evidence[0]"), for load_evidence: written out only
    for a message."""
    return lambda: record.path + below


@overload
def load_evidence(value: Any, where: Callable[[], str], *, optional: Literal[False] = False) -> Evidence: ...
@overload
def load_evidence(value: Any, where: Callable[[], str], *, optional: bool) -> Evidence | None: ...

def load_evidence(value: Any, where: Callable[[], str], *, optional: bool = False) -> Evidence | None:
    """An item of evidence as a snapshot holds it. ``where``: its place, worked out for a message."""
    if value is None and optional:
        return None
    if not (isinstance(value, list) and value and isinstance(value[0], str) and value[0] in _EVIDENCE
            and fits(value, _EVIDENCE[value[0]])
            and EARLIEST_MS <= value[1] <= END_OF_TIME_MS):
        raise SnapshotError(f"{where()}: not an item of evidence")
    return tuple(value)


def export_variant(variant: str | Limit) -> Any:
    """A finding's variant: text, or a rate-limit rule (the 429s of each)."""
    return {"rule": asdict(variant)} if isinstance(variant, Limit) else variant


def load_variant(record: Record) -> str | Limit:
    variant = record.raw("variant")
    if isinstance(variant, dict):
        return load_limit(Record(variant, record, "variant").raw("rule"), f"{record.path}.variant.rule")
    if not isinstance(variant, str):
        raise record.fail("variant", "expected text or a rate-limit rule")
    return variant


def load_limit(value: Any, where: str) -> Limit:
    """A rate-limit rule as asdict() wrote it: equal to the scenario's own (rules are values)."""
    record = Record(value, where)
    return Limit(limit=record.int("limit"), window_ms=record.int("window_ms"), scope=record.str("scope"),
                 algorithm=record.str("algorithm"), paths=tuple(record.strs("paths")))
