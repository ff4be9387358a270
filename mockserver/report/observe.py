"""What the sandbox saw a client do, for the client report (mockserver/report.py): per tenant,
aggregate counters and a bounded sample of evidence per finding, counted over the whole run (not
only the journal's last entries) and forgotten by a reset like everything else.

It is fed once per request by the journal's WSGI layer (``request``) and once per webhook attempt
by the outbox (``webhook``), so each call does a few dictionary lookups and additions: no
per-request structure is built but the evidence tuples of a finding, whose sample is bounded
(``Limits.report_evidence_per_rule``). Times are the tenant's virtual instants, given by the caller.
Which requests are polls, purchases or releases comes from the route's own declaration
(providers/contract.py Route.kind), so nothing here names a provider or a path."""
from __future__ import annotations

import threading
import zlib
from collections import deque
from dataclasses import asdict

from mockserver.engine.clock import EARLIEST_MS, END_OF_TIME_MS
from mockserver.engine.ratelimit import Rule
from mockserver.engine.records import Record, SnapshotError, TenantOf, check_int
from mockserver.engine.tenants import TenantKey
from mockserver.settings import DEFAULT_LIMITS, Limits

# Rule ids, as the report names them.
RATE_HEADROOM = "rate-headroom"
RETRY_AFTER_IGNORED = "retry-after-ignored"
POLLING_TOO_FAST = "polling-too-fast"
UNSAFE_RETRY = "unsafe-retry"
REFUSAL_LOOP = "refusal-loop"
NUMBERS_LEFT_TO_EXPIRE = "numbers-left-to-expire"
WEBHOOK_TROUBLE = "webhook-trouble"
LENIENT_REQUEST = "lenient-request"
WEBHOOK_RECEIVER = "webhook-receiver"

# Variants of a rule, each its own finding (a summary and severity of its own).
FAST, NEEDLESS = "fast", "needless"                       # polls
NO_KEY, NEW_KEY, NOT_IDEMPOTENT = "no-key", "new-key", "not-idempotent"   # unsafe retries
RETRIED, NEVER_ACCEPTED = "retried", "never-accepted"     # webhooks
IGNORED_FIELDS, TRAILING_SLASH = "ignored-fields", "trailing-slash"       # lenient requests
# webhook probes (engine/probe.py) whose verdict was not the expected one
ACCEPTS_FORGED, REFUSES_GENUINE, PROBE_INCONCLUSIVE = "accepts-forged", "refuses-genuine", "inconclusive"
RATE_LIMITED = "rate-limited"      # 429s per rate-limit rule: evidence for rate-headroom


class Finding:
    """One rule's variant for one key: how often, and a bounded sample of evidence. Evidence is
    ("request", at_ms, method, path, status or None) or ("webhook", at_ms, message id)."""
    __slots__ = ("count", "evidence", "names")

    def __init__(self, size: int):
        self.count = 0
        self.evidence: deque[tuple] = deque(maxlen=size)
        self.names: dict[str, None] = {}     # for ignored fields: their names, in order, bounded

    def copy(self) -> Finding:
        twin = Finding(self.evidence.maxlen)
        twin.count, twin.names = self.count, dict(self.names)
        twin.evidence.extend(self.evidence)
        return twin


class _KeyState:
    __slots__ = ("retry_until", "loop", "loop_run", "loop_first", "failed_purchase")

    def __init__(self) -> None:
        # A 429's Retry-After: (the rule that refused, when it ends in virtual ms), or None. Only
        # requests that rule counts are too early: others the sandbox admits, as the provider does.
        self.retry_until = None
        self.loop = None             # the last refused request's signature, and how often in a row
        self.loop_run = 0
        self.loop_first = None       # the first request of that run, as evidence
        # (path, body hash, whether the route takes a retry header, its value, evidence) of a
        # purchase that failed (5xx or a dropped connection), until the client repeats or moves on;
        # a purchase with another body is another purchase, not a retry
        self.failed_purchase = None


class _Poll:
    __slots__ = ("last_ms", "done", "after_done")

    def __init__(self, at_ms: int):
        self.last_ms, self.done, self.after_done = at_ms, False, 0


class Seen:
    """One tenant's observations."""
    __slots__ = ("counts", "keys", "polls", "findings", "probes")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(COUNTS, 0)
        self.keys: dict[str, _KeyState] = {}
        self.polls: dict[str, _Poll] = {}             # number id -> its polls, oldest first
        self.findings: dict[tuple, Finding] = {}      # (rule, key, variant) -> finding
        self.probes: dict[str, tuple] = {}            # probe kind -> its latest (variant or None, evidence)


class Snapshot:
    """What the report reads of one tenant: its counts and findings, copied."""
    __slots__ = ("counts", "findings")

    def __init__(self, counts: dict, findings: dict):
        self.counts, self.findings = counts, findings


COUNTS = ("requests", "rate_limited", "client_errors", "server_errors", "dropped", "polls", "purchases",
          "releases", "webhook_attempts", "webhook_failures")


class Observer:
    def __init__(self, limits: Limits = DEFAULT_LIMITS):
        self._guard = threading.Lock()
        self._tenants: dict[TenantKey, Seen] = {}
        self._evidence = limits.report_evidence_per_rule
        self._numbers = limits.report_numbers_per_tenant
        self.poll_interval_ms, self.extra_polls, self.refusal_loop = 2000, 0, 3

    def configure(self, *, poll_interval_ms: int, extra_polls: int, refusal_loop: int) -> None:
        self.poll_interval_ms, self.extra_polls, self.refusal_loop = poll_interval_ms, extra_polls, refusal_loop

    def forget(self, tenant: TenantKey | None = None) -> None:
        with self._guard:
            if tenant is None:
                self._tenants.clear()
            else:
                self._tenants.pop(tenant, None)

    def snapshot(self, tenant: TenantKey | None = None) -> dict[TenantKey, Snapshot]:
        """A copy of the observations of one tenant (or everyone's) as they are now: requests go on
        being observed while the report reads it."""
        with self._guard:
            tenants = self._tenants if tenant is None else {tenant: self._tenants[tenant]} \
                if tenant in self._tenants else {}
            return {owner: Snapshot(dict(seen.counts),
                                    {where: Finding.copy(found) for where, found in seen.findings.items()})
                    for owner, seen in tenants.items()}

    def _finding(self, seen: Seen, rule: str, key: str | None, variant: str = "") -> Finding:
        found = seen.findings.get((rule, key, variant))
        if found is None:
            found = seen.findings[(rule, key, variant)] = Finding(self._evidence)
        return found

    def _seen(self, tenant: TenantKey) -> Seen:
        seen = self._tenants.get(tenant)
        if seen is None:
            seen = self._tenants[tenant] = Seen()
        return seen

    # -- snapshots -----------------------------------------------------------------------------

    def export_state(self, tenant: TenantKey | None = None) -> list[dict]:
        """Everything observed (of one tenant, or everyone), as JSON values."""
        with self._guard:
            return [_export_seen(owner, seen) for owner, seen in self._tenants.items()
                    if tenant is None or owner == tenant]

    def restore_state(self, records, tenant_of: TenantOf,
                      tenant: TenantKey | None = None) -> None:
        restored = {}
        for record in records:
            owner = tenant_of(record, "tenant")
            restored[owner] = self._restore_seen(record)
        with self._guard:
            if tenant is None:
                self._tenants = restored
            else:
                self._tenants.pop(tenant, None)
                if tenant in restored:
                    self._tenants[tenant] = restored[tenant]

    def _restore_seen(self, record: Record) -> Seen:
        seen = Seen()
        counts = record.record("counts")
        seen.counts = {name: counts.int(name, minimum=0) for name in COUNTS}
        for r in record.records("keys"):
            state = seen.keys[r.str("key")] = _KeyState()
            retry = r.raw("retry_until", None)
            if retry is not None:
                if not (isinstance(retry, list) and len(retry) == 2):
                    raise r.fail("retry_until", "expected [rule, until_ms]")
                state.retry_until = (_rule(retry[0], f"{r.path}.retry_until[0]"),
                                     check_int(retry[1], f"{r.path}.retry_until[1]"))
            state.loop = _shaped(r, "loop", _SIGNATURE)
            state.loop_first = _evidence(r.raw("loop_first", None), lambda: f"{r.path}.loop_first", optional=True)
            state.loop_run = r.int("loop_run", minimum=0)
            failed = _shaped(r, "failed_purchase", _FAILED_PURCHASE)
            if failed is not None:
                failed = (*failed[:4], _evidence(list(failed[4]), lambda: f"{r.path}.failed_purchase[4]"))
            state.failed_purchase = failed
        for r in record.records("polls"):
            poll = seen.polls[r.str("id")] = _Poll(r.int("last_ms"))
            poll.done, poll.after_done = r.bool("done"), r.int("after_done", minimum=0)
        for kind, latest in record.mapping("probes").items():
            if not (isinstance(latest, list) and len(latest) == 2 and (latest[0] is None or isinstance(latest[0], str))):
                raise record.fail("probes", "expected [variant or null, evidence] per probe kind")
            seen.probes[kind] = (latest[0], _evidence(latest[1], lambda: f"{record.path}.probes.{kind}[1]"))
        for r in record.records("findings"):
            variant = r.raw("variant")
            if isinstance(variant, dict):
                variant = _rule(Record(variant, r, "variant").raw("rule"), f"{r.path}.variant.rule")
            if not isinstance(variant, (str, Rule)):
                raise r.fail("variant", "expected text or a rate-limit rule")
            found = seen.findings[(r.str("rule"), r.str("key", optional=True), variant)] = Finding(self._evidence)
            found.count = r.int("count", minimum=0)
            found.evidence.extend(_evidence(item, lambda i=i: f"{r.path}.evidence[{i}]")
                                  for i, item in enumerate(r.list("evidence")))
            found.names = dict.fromkeys(r.strs("names"))
        return seen



    def request(self, tenant: TenantKey, key: str, at_ms: int, method: str, path: str, query: str, status: int,
                route, target: str | None, body: bytes, retry_value: str | None, rejection, dropped: bool,
                done: bool, ignored: tuple, refused: bool = False) -> None:
        """One request of a known tenant, once answered. ``route``: the provider route that took it
        (its ``kind``, ``retry_header``), or None; ``target``: the id in its path; ``retry_value``:
        the value of the route's retry header as sent; ``rejection``: the rate limit's, for a 429;
        ``dropped``: the connection was broken on purpose (a fault); ``done``: a poll's answer showed
        the number finished; ``ignored``: body fields the API ignored; ``refused``: the provider
        refused it, whatever the status (sms-activate answers refusals 200). Positional, and the usual
        request (a 2xx of no kind, nothing pending) takes the short way: this runs for every one."""
        with self._guard:
            seen = self._tenants.get(tenant)
            if seen is None:
                seen = self._tenants[tenant] = Seen()
            counts = seen.counts
            counts["requests"] += 1
            state = seen.keys.get(key)
            if state is None:
                state = seen.keys[key] = _KeyState()
            evidence = None
            if state.retry_until is not None:
                rule, until_ms = state.retry_until
                if at_ms >= until_ms:
                    state.retry_until = None
                elif _counts(rule, path):
                    evidence = ("request", at_ms, method, path, None if dropped else status)
                    found = self._finding(seen, RETRY_AFTER_IGNORED, key)
                    found.count += 1
                    found.evidence.append(evidence)
            if status >= 400 or dropped:
                evidence = evidence or ("request", at_ms, method, path, None if dropped else status)
                self._answered_badly(seen, state, key, at_ms, method, path, query, status, body, rejection,
                                     dropped, evidence)
            elif refused:                  # a refusal answered 200 with a token: a loop of them is a loop
                evidence = evidence or ("request", at_ms, method, path, status)
                self._refused(seen, state, key, (method, path, query, _body_hash(body), status), evidence)
            elif state.loop is not None:
                state.loop, state.loop_run, state.loop_first = None, 0, None
            kind = route.kind if route is not None else None
            failed = state.failed_purchase
            if kind is None and failed is None and not ignored and (route is None or path[-1:] != "/"):
                return                     # the usual request: nothing more to note
            evidence = evidence or ("request", at_ms, method, path, None if dropped else status)
            if kind == "purchase":
                counts["purchases"] += 1
                self._purchase(seen, state, key, route, path, _body_hash(body), retry_value, status >= 500 or dropped,
                               evidence)
                if target is not None and (poll := seen.polls.get(target)) is not None:
                    poll.done, poll.after_done = False, 0      # re-armed (a reuse): polling it is due again
            elif failed is not None and not failed[2]:
                state.failed_purchase = None       # the client did something else first (looked it up)
            if kind == "poll" and target is not None and status < 400 and not refused:
                counts["polls"] += 1
                self._poll(seen, key, target, at_ms, done, evidence)
            elif kind == "release":
                counts["releases"] += 1
            if ignored:
                found = self._finding(seen, LENIENT_REQUEST, key, IGNORED_FIELDS)
                found.count += 1
                found.evidence.append(evidence)
                for name in ignored:
                    if len(found.names) < self._evidence:
                        found.names[name] = None
            if route is not None and path[-1:] == "/":
                found = self._finding(seen, LENIENT_REQUEST, key, TRAILING_SLASH)
                found.count += 1
                found.evidence.append(evidence)

    def _answered_badly(self, seen: Seen, state: _KeyState, key: str, at_ms: int, method: str, path: str,
                        query: str, status: int, body: bytes, rejection, dropped: bool, evidence: tuple) -> None:
        """A 4xx, a 5xx or a dropped connection: counted, a 429's Retry-After remembered, a
        refusal checked for a loop."""
        counts = seen.counts
        if status == 429:
            counts["rate_limited"] += 1
            if rejection is not None:
                until_ms = at_ms + rejection.retry_after_s * 1000
                if state.retry_until is None or until_ms >= state.retry_until[1]:
                    state.retry_until = (rejection.rule, until_ms)
                found = self._finding(seen, RATE_LIMITED, key, rejection.rule)
                found.count += 1
                found.evidence.append(evidence)
        elif status >= 500:
            counts["server_errors"] += 1
        elif status >= 400:
            counts["client_errors"] += 1
        if dropped:
            counts["dropped"] += 1
        if 400 <= status < 500 and status != 429:
            self._refused(seen, state, key, (method, path, query, _body_hash(body), status), evidence)
        elif state.loop is not None:
            state.loop, state.loop_run, state.loop_first = None, 0, None

    def _refused(self, seen: Seen, state: _KeyState, key: str, signature: tuple, evidence: tuple) -> None:
        if signature == state.loop:
            state.loop_run += 1
        else:
            state.loop, state.loop_run, state.loop_first = signature, 1, evidence
        if state.loop_run >= self.refusal_loop:
            found = self._finding(seen, REFUSAL_LOOP, key)
            if state.loop_run == self.refusal_loop:        # a loop counts once, however long it goes on
                found.count += 1
                found.evidence.append(state.loop_first)
            found.evidence.append(evidence)

    def _purchase(self, seen: Seen, state: _KeyState, key: str, route, path: str, body_hash: int,
                  value: str | None, failed: bool, evidence: tuple) -> None:
        previous = state.failed_purchase
        header = route.retry_header
        if previous is not None and previous[:2] == (path, body_hash):
            variant = (NOT_IDEMPOTENT if header is None else NO_KEY if value is None
                       else NEW_KEY if value != previous[3] else None)
            if variant is not None:
                found = self._finding(seen, UNSAFE_RETRY, key, variant)
                found.count += 1
                if header is not None:
                    found.names[header] = None      # the summary names the header
                found.evidence.append(previous[4])
                found.evidence.append(evidence)
        state.failed_purchase = (path, body_hash, header is not None, value, evidence) if failed else None

    def _poll(self, seen: Seen, key: str, target: str, at_ms: int, done: bool, evidence: tuple) -> None:
        polls = seen.polls
        poll = polls.get(target)
        if poll is None:
            if len(polls) >= self._numbers:
                del polls[next(iter(polls))]
            poll = polls[target] = _Poll(at_ms)
        else:
            variant = None
            if poll.done:
                poll.after_done += 1
                if poll.after_done > self.extra_polls:
                    variant = NEEDLESS
            elif at_ms - poll.last_ms < self.poll_interval_ms:
                variant = FAST
            if variant is not None:
                found = self._finding(seen, POLLING_TOO_FAST, key, variant)
                found.count += 1
                found.evidence.append(evidence)
            poll.last_ms = at_ms
        if done:
            poll.done = True

    # -- fed by the outbox, once per attempt ------------------------------------------------

    def webhook(self, tenant: TenantKey, message_id: str, at_ms: int, *, ok: bool, first: bool,
                final: bool) -> None:
        """One delivery attempt. ``first``: the message's first automatic attempt; ``final``: its
        last one (no retry follows a failure); both False for a redelivery asked for by hand."""
        with self._guard:
            seen = self._seen(tenant)
            seen.counts["webhook_attempts"] += 1
            if ok:
                return
            seen.counts["webhook_failures"] += 1
            variant = NEVER_ACCEPTED if final else RETRIED if first else None
            if variant is not None:
                found = self._finding(seen, WEBHOOK_TROUBLE, None, variant)
                found.count += 1
                found.evidence.append(("webhook", at_ms, message_id))

    def probe(self, tenant: TenantKey, message_id: str, at_ms: int, kind: str, verdict: str, expect: str) -> None:
        """One webhook probe's verdict (``expect``: the one it should have). Each kind's latest
        verdict counts, so probing a receiver again after fixing it clears what the fix fixed."""
        with self._guard:
            seen = self._seen(tenant)
            variant = (None if verdict == expect else REFUSES_GENUINE if expect == "accepted" else
                       ACCEPTS_FORGED if verdict == "accepted" else PROBE_INCONCLUSIVE)
            seen.probes[kind] = (variant, ("webhook", at_ms, message_id))
            for name in (ACCEPTS_FORGED, REFUSES_GENUINE, PROBE_INCONCLUSIVE):
                seen.findings.pop((WEBHOOK_RECEIVER, None, name), None)
            for name, (found_variant, evidence) in seen.probes.items():
                if found_variant is not None:
                    found = self._finding(seen, WEBHOOK_RECEIVER, None, found_variant)
                    found.count += 1
                    found.names[name] = None
                    found.evidence.append(evidence)


def _body_hash(body: bytes) -> int:
    """Tells bodies apart (a repeat from another request), the same in every process, so that it
    means the same after a snapshot is restored elsewhere (Python's hash() of bytes does not)."""
    return zlib.crc32(body)


def _counts(rule, path: str) -> bool:
    """Whether a rate-limit rule counts a request to ``path`` (the full path: a rule names paths
    under its provider's prefix)."""
    return not rule.paths or any(path.endswith(rule_path) for rule_path in rule.paths)


def _export_seen(owner: TenantKey, seen: Seen) -> dict:
    return {
        "tenant": owner, "counts": dict(seen.counts),
        "keys": [{"key": key, "loop": state.loop, "loop_run": state.loop_run, "loop_first": state.loop_first,
                  "failed_purchase": state.failed_purchase,
                  "retry_until": None if state.retry_until is None
                  else [asdict(state.retry_until[0]), state.retry_until[1]]}
                 for key, state in seen.keys.items()],
        "polls": [{"id": target, "last_ms": poll.last_ms, "done": poll.done, "after_done": poll.after_done}
                  for target, poll in seen.polls.items()],
        "probes": {kind: list(latest) for kind, latest in seen.probes.items()},
        "findings": [{"rule": rule, "key": key,
                      "variant": {"rule": asdict(variant)} if isinstance(variant, Rule) else variant,
                      "count": found.count, "evidence": list(found.evidence), "names": list(found.names)}
                     for (rule, key, variant), found in seen.findings.items()]}


# What the observations' tuples hold, item by item (a type, or a tuple of types), as restored.
_SIGNATURE = (str, str, str, int, int)                      # a refused request: method, path, query, body hash, status
_FAILED_PURCHASE = (str, int, bool, (str, type(None)), list)  # path, body hash, retry header?, its value, evidence
_EVIDENCE = {"request": (str, int, str, str, (int, type(None))), "webhook": (str, int, str), "number": (str, int, str)}


def _fits(value, shape) -> bool:
    return (isinstance(value, list) and len(value) == len(shape)
            and all(isinstance(item, kind) and not (kind is int and isinstance(item, bool))
                    for item, kind in zip(value, shape)))


def _shaped(record: Record, name: str, shape) -> tuple | None:
    value = record.raw(name, None)
    if value is None:
        return None
    if not _fits(value, shape):
        raise record.fail(name, "not an observation of the shape this version keeps")
    return tuple(value)


def _evidence(value, where, *, optional: bool = False) -> tuple | None:
    """An item of evidence: ["request", at_ms, method, path, status or null], ["webhook", at_ms,
    message id] or ["number", at_ms, number id]. ``where``: its place, worked out for a message."""
    if value is None and optional:
        return None
    if not (isinstance(value, list) and value and isinstance(value[0], str) and value[0] in _EVIDENCE
            and _fits(value, _EVIDENCE[value[0]])
            and EARLIEST_MS <= value[1] <= END_OF_TIME_MS):
        raise SnapshotError(f"{where()}: not an item of evidence")
    return tuple(value)


def _rule(value, where: str) -> Rule:
    """A rate-limit rule as asdict() wrote it: equal to the scenario's own (rules are values)."""
    record = Record(value, where)
    return Rule(limit=record.int("limit"), window_ms=record.int("window_ms"), scope=record.str("scope"),
                algorithm=record.str("algorithm"), paths=tuple(record.strs("paths")))
