"""The webhook outbox: delivery on worker threads, retries on the virtual clock, a log of every attempt.

Callers publish under the engine lock; that only queues work. The HTTP POST happens on a
worker thread with no lock held, so no API request ever waits on a slow or dead receiver.
Attempts to one URL go out one at a time, in the order they were queued (a lane per URL), so a
receiver sees number_purchased before sms_received even when the code is instant; a hanging
receiver holds up only its own lane. A failed attempt schedules the next one on the timeline,
at the virtual instant of the failed attempt plus the policy's delay.

The workers are shared fairly between tenants: at most ``webhook_workers`` attempts are under way
at once and at most ``webhook_workers_per_tenant`` of one tenant's, and a worker that comes free
takes its next lane from the tenants with work waiting, in turn. So tenants whose receivers all
hang cannot take every worker from the others, nor a tenant with many lanes from one with few.

A reset voids the attempts it makes moot: those queued are dropped when their turn comes, without
being sent, and the results of those under way are ignored. Voided attempts stop counting at
once, so settling (the control API's promise that due work is done) never waits on them.

Nothing about a message's URL or signing secret makes publishing raise: an attempt that cannot be
built, signed or sent is logged as a failed attempt, with the reason, and retried by the policy.

A message is plain data: what it signs with is its ``secrets`` (none: unsigned; two during a key
rotation, one signature each). The scenario's delivery chaos (chaos.py) is decided at publishing,
from the seed and the message's number in its stream (a plain int per provider and tenant): a
message held back goes out from a timeline event, a duplicate is a second attempt queued right
behind the first. Probes (probe.py) go out once each, never retried, and are logged as probes.
"""
from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from functools import partial

from mockserver.engine import chaos as chaos_
from mockserver.engine.chaos import Chaos
from mockserver.engine.clock import instant, wall_seconds
from mockserver.engine.delivery import Receiver, Resolver, Watchdog
from mockserver.engine.ids import TokenIds
from mockserver.engine.probe import signed_headers, verdict
from mockserver.engine.records import Record, TenantOf, check_int
from mockserver.engine.redaction import redacting_logger
from mockserver.engine.tenants import TenantKey
from mockserver.engine.timeline import Timeline
from mockserver.settings import DEFAULT_LIMITS, Limits

# How message ids (a Standard Webhooks receiver de-duplicates on them) are drawn, the scenario's
# webhooks.message_ids. "unique": from the system's randomness, so that no reset or restart sends
# an id a receiver has seen (and drops). "reproducible": from the seed, one stream per provider,
# the same on every run of the same requests.
UNIQUE_IDS, REPRODUCIBLE_IDS = "unique", "reproducible"
MESSAGE_ID_KINDS = (UNIQUE_IDS, REPRODUCIBLE_IDS)
DEFAULT_MESSAGE_IDS = UNIQUE_IDS
_ID_LENGTH = 24

_log = redacting_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5          # attempts after the first
    delay_ms: int = 5000
    timeout_ms: int = 5000


@dataclass
class Message:
    id: str
    tenant: TenantKey
    provider: str
    event: str
    url: str
    body: bytes
    created_ms: int
    policy: RetryPolicy
    secrets: tuple[str, ...] = ()   # Standard Webhooks signing secrets, one signature each; none: unsigned
    attempts: int = 0          # attempts started, retries and redeliveries alike: the next one's number
    held_ms: int = 0           # how long the scenario's reorder window held it back before its first attempt
    probe: str | None = None   # a probe's kind (probe.py): a delivery to test the receiver, not an event
    expect: str | None = None  # a probe's expected verdict: "defended" or "accepted"
    forge: str | None = None   # a probe's forgery of the headers (probe.FORGERIES)


@dataclass
class Attempt:
    message: Message
    number: int
    at_ms: int                 # virtual instant the attempt was due
    headers: dict
    status: int | None
    error: str | None
    duration_ms: float         # real time the receiver took
    duplicate: bool = False    # the scenario's duplicates sent it a second time (same id and body)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def verdict(self) -> str | None:
        """A probe's: "defended" (4xx), "accepted" (2xx) or "inconclusive"; None for other attempts."""
        return None if self.message.probe is None else verdict(self.status)


@dataclass(slots=True, eq=False)
class _Queued:
    """An attempt waiting in its lane, or under way."""
    message: Message
    number: int
    at_ms: int
    round_: int | None
    duplicate: bool = False
    # Set by a reset (holding the engine lock and the guard): the attempt is not sent if it has not
    # gone yet, its result is ignored if it has, and it no longer counts as work to wait for.
    void: bool = False


class _Lane:
    """The attempts to one URL, sent one at a time in the order queued, over its receiver's
    kept-alive connection (a burst of events to one receiver does not pay a TCP handshake each)."""
    __slots__ = ("url", "queued", "receiver", "under_way")

    def __init__(self, url: str, receiver: Receiver):
        self.url = url
        self.queued: deque[_Queued] = deque()
        self.receiver = receiver
        self.under_way = False     # a worker is sending its next attempt; the lane is out of line meanwhile


class _Worker:
    """An idle delivery thread: whoever gives it a turn (a lane and its next attempt) wakes it."""
    __slots__ = ("turn", "woken")

    def __init__(self, guard: threading.Lock):
        self.turn: tuple[_Lane, _Queued] | None = None
        self.woken = threading.Condition(guard)


class Outbox:
    def __init__(self, lock: threading.RLock, timeline: Timeline, *, limits: Limits = DEFAULT_LIMITS,
                 log_size: int = 10_000, user_agent: str = "mockserver-webhooks"):
        self._lock = lock
        self._timeline = timeline
        self._limits = limits
        self._watchdog = Watchdog()                # ends attempts that overrun their policy's timeout
        self._log: deque[Attempt] = deque(maxlen=log_size)
        self._user_agent = user_agent
        # Over the queues and counts below; held for bookkeeping only, never during I/O. Taken
        # under the engine lock (publish), never the other way round.
        self._guard = threading.Lock()
        self._progress = threading.Condition(self._guard)   # notified as attempts finish
        self._inflight: Counter[TenantKey] = Counter()   # tenant -> attempts queued or under way
        # (tenant, earliest instant a retry of it could be due) for each attempt queued or under way
        self._retry_bounds: Counter[tuple[TenantKey, int]] = Counter()
        self.finished = 0                          # attempts completed so far; settle() waits on it
        self._sending: set[_Queued] = set()        # attempts a worker has taken, until it is done with them
        self._resolver = Resolver(limits.webhook_dns_lookups)
        self._lanes: dict[str, _Lane] = {}         # url -> its lane, while attempts to it are queued or under way
        # tenant -> its lanes with attempts queued and none under way. The order is the tenants'
        # turns: a tenant served goes to the back.
        self._waiting: OrderedDict[str, deque[_Lane]] = OrderedDict()
        self._under_way: dict[str, int] = {}      # tenant -> attempts under way, when any
        self._idle_workers: list[_Worker] = []
        self._workers = 0                          # threads started and not ended
        self._worker_numbers = itertools.count(1)
        self._closed = False
        self.observer = None                       # told of every attempt's outcome (report/observe.py)
        self.reset(seed=0)

    def reset(self, seed: int | str, message_ids: str = DEFAULT_MESSAGE_IDS, chaos: Chaos = chaos_.NONE,
              origin_ms: int = 0) -> None:
        """Forget the log, and void every attempt queued or under way. Call under the engine lock.
        ``message_ids``: how new messages' ids are drawn (MESSAGE_ID_KINDS); ``chaos``: the
        scenario's delivery chaos, whose rotation window counts from ``origin_ms``."""
        if message_ids not in MESSAGE_ID_KINDS:
            raise ValueError(f"message_ids: one of {', '.join(MESSAGE_ID_KINDS)}, not {message_ids!r}")
        self._void(None)
        self._log.clear()
        self._seed, self._message_ids = seed, message_ids
        self._ids: dict[str, TokenIds] = {}        # provider -> its stream, when reproducible
        self.chaos, self._origin_ms = chaos, origin_ms
        self._published: dict[str, int] = {}       # str(tenant) -> messages published, for chaos decisions

    def forget(self, tenant: TenantKey) -> None:
        """One tenant's reset: its log goes, and its attempts queued or under way are voided.
        Call under the engine lock."""
        self._void(tenant)
        self._published.pop(str(tenant), None)
        kept = [a for a in self._log if a.message.tenant != tenant]
        self._log.clear()
        self._log.extend(kept)

    def _void(self, tenant: TenantKey | None) -> None:
        """Void the attempts of a tenant (None: everyone's) queued or under way: they stop counting
        now, and a worker sends none of those queued and records nothing of those under way (it
        checks under the engine lock, which the caller holds)."""
        with self._guard:
            voided = False
            for queued in itertools.chain(self._sending, *(lane.queued for lane in self._lanes.values())):
                if not queued.void and (tenant is None or queued.message.tenant == tenant):
                    self._uncount(queued)
                    queued.void = voided = True
            if voided:
                self._progress.notify_all()

    def new_message_id(self, provider: str) -> str:
        """A new message's id: never one sent before (unique), or the provider's next from the seed
        (reproducible). Either way drawn from no stream numbers or codes come from."""
        if self._message_ids == UNIQUE_IDS:
            return "msg_" + "".join(secrets.choice(TokenIds.ALPHABET) for _ in range(_ID_LENGTH))
        ids = self._ids.get(provider)
        if ids is None:
            ids = self._ids[provider] = self._id_stream(provider)
        return ids.new()

    def _id_stream(self, provider: str) -> TokenIds:
        """A provider's reproducible message ids, from the start (a snapshot sets where it stands)."""
        return TokenIds(f"{self._seed}:{provider}", "msg_", _ID_LENGTH)

    def signing_secrets(self, secret: str, at_ms: int) -> tuple[str, ...]:
        """What a message made at ``at_ms`` for an account with this secret is signed with: the
        secret, and the old one before it while the scenario's rotation lasts."""
        return chaos_.signing_secrets(self.chaos, secret, at_ms, self._origin_ms)

    def publish(self, message: Message) -> None:
        """Queue the first attempt now (or, held back by the scenario's reorder window, later).
        Call under the engine lock. Never raises: the API call that published has changed state
        already, and must answer for it."""
        duplicate = False
        if self.chaos.active:
            stream = str(message.tenant)
            number = self._published[stream] = self._published.get(stream, 0) + 1
            duplicate = chaos_.duplicated(self.chaos, self._seed, stream, number)
            message.held_ms = chaos_.hold_ms(self.chaos, self._seed, stream, number)
            if message.held_ms:
                self._timeline.schedule(message.created_ms + message.held_ms, message.tenant,
                                        partial(self._release, message, duplicate),
                                        label=f"{message.provider} webhook {message.event} held back")
                return
        self._release(message, duplicate, message.created_ms)

    def _release(self, message: Message, duplicate: bool, at_ms: int) -> None:
        """A message's first attempt, and its duplicate right behind it if it has one."""
        self._start(message, at_ms, round_=1)
        if duplicate:
            self._start(message, at_ms, round_=None, duplicate=True)

    def send_probe(self, message: Message) -> int:
        """Send a probe once, now, never retried. Call under the engine lock."""
        return self._start(message, message.created_ms, round_=None)

    def message(self, message_id: str) -> Message | None:
        """A message the log still holds an attempt of."""
        return next((a.message for a in self._log if a.message.id == message_id), None)

    def redeliver(self, message: Message, at_ms: int) -> int:
        """Send a message once more at ``at_ms``, as its next attempt number; a failure is logged
        but not retried, as a provider's "resend" button does. Call under the engine lock."""
        return self._start(message, at_ms, round_=None)

    def attempt(self, message_id: str, number: int) -> Attempt | None:
        return next((a for a in self._log if a.message.id == message_id and a.number == number), None)

    def _start(self, message: Message, at_ms: int, round_: int | None, duplicate: bool = False) -> int:
        """Queue an attempt; returns its number. ``round_`` counts the automatic attempts, which
        the policy bounds; a redelivery has none. Numbers are given here, when an attempt
        starts, so a redelivery and a retry already scheduled never share one."""
        message.attempts += 1
        number = message.attempts
        queued = _Queued(message, number, at_ms, round_, duplicate)
        try:
            turns_for_new_workers = self._queue(queued)
        except Exception as exc:               # a fault of ours: logged as a failed attempt, not raised
            _log.exception("webhook %s attempt %d to %s could not be queued", message.id, number, message.url)
            self._log.append(Attempt(message, number, at_ms, {}, None, f"could not queue: {_describe(exc)}", 0.0))
            return number
        self._start_workers(turns_for_new_workers)
        return number

    def _queue(self, queued: _Queued) -> list[tuple[_Lane, _Queued]]:
        """Put an attempt in its URL's lane, opening the lane if there is none; returns the turns
        that want a new worker thread. Counts the attempt only once nothing can fail."""
        message = queued.message
        with self._guard:
            if self._closed:
                return []
            lane = self._lanes.get(message.url)
            opened = lane is None
            if opened:                         # Receiver() does not raise for a URL it cannot post to
                receiver = Receiver(message.url, self._watchdog, answer_bytes=self._limits.webhook_answer_bytes,
                                    targets=self._limits.webhook_targets, resolver=self._resolver)
                lane = self._lanes[message.url] = _Lane(message.url, receiver)
            self._inflight[message.tenant] += 1
            self._retry_bounds[(message.tenant, queued.at_ms + message.policy.delay_ms)] += 1
            lane.queued.append(queued)         # it goes out after those already queued to this URL
            if not opened:
                return []
            self._wait(lane)
            return self._hand_out()

    # -- workers and turns (the methods called "holding the guard" expect self._guard held) ----

    def _wait(self, lane: _Lane) -> None:
        """Put a lane with attempts queued in line for a worker, under its next attempt's tenant
        (holding the guard)."""
        self._waiting.setdefault(lane.queued[0].message.tenant, deque()).append(lane)

    def _next_turn(self) -> tuple[_Lane, _Queued] | None:
        """The next lane to send from, and its attempt to send: the first lane of the first tenant
        in turn that is under its share of the workers (holding the guard)."""
        for tenant, lanes in self._waiting.items():  # noqa: B007 (the lane found is used after the break)
            if self._under_way.get(tenant, 0) < self._limits.webhook_workers_per_tenant:
                break
        else:
            return None
        lane = lanes.popleft()
        if lanes:
            self._waiting.move_to_end(tenant)
        else:
            del self._waiting[tenant]
        self._under_way[tenant] = self._under_way.get(tenant, 0) + 1
        lane.under_way = True
        return lane, self._take(lane)

    def _take(self, lane: _Lane) -> _Queued:
        """A lane's next attempt, for a worker to send (holding the guard)."""
        queued = lane.queued.popleft()
        self._sending.add(queued)
        return queued

    def _hand_out(self) -> list[tuple[_Lane, _Queued]]:
        """Give turns to idle workers while there are turns to give; returns those that want a
        new worker thread, started by the caller once it has released the guard (holding the guard)."""
        turns_for_new_workers = []
        while self._idle_workers or self._workers < self._limits.webhook_workers:
            turn = self._next_turn()
            if turn is None:
                break
            if self._idle_workers:
                worker = self._idle_workers.pop()
                worker.turn = turn
                worker.woken.notify()
            else:
                self._workers += 1
                turns_for_new_workers.append(turn)
        return turns_for_new_workers

    def _start_workers(self, turns: list[tuple[_Lane, _Queued]]) -> None:
        for turn in turns:
            threading.Thread(target=self._work, args=(turn,), name=f"webhook-{next(self._worker_numbers)}",
                             daemon=True).start()

    def _work(self, turn: tuple[_Lane, _Queued] | None) -> None:
        """A worker thread: one attempt per turn, then the next turn, until the outbox closes."""
        worker = _Worker(self._guard)
        while turn is not None:
            lane, queued = turn
            try:
                if not queued.void:            # a voided attempt that has not gone is dropped
                    self._deliver(lane.receiver, queued)
            except Exception:                  # a fault of ours: the worker goes on
                _log.exception("webhook delivery to %s failed", lane.url)
            retired, turns_for_new_workers = None, ()
            with self._guard:
                self._sending.discard(queued)
                self._done(queued)
                self._progress.notify_all()
                turn = self._same_lane_again(lane, queued.message.tenant)
                if turn is None:
                    retired = self._end_turn(lane, queued.message.tenant)
                    turn = self._next_turn()
                    if self._waiting:     # this tenant's lanes held back by its share may go now
                        turns_for_new_workers = self._hand_out()
            if retired is not None:
                retired.close()
            self._start_workers(turns_for_new_workers)
            if turn is None:
                turn = self._wait_for_turn(worker)

    def _wait_for_turn(self, worker: _Worker) -> tuple[_Lane, _Queued] | None:
        """Idle until given a turn; None once the outbox has closed (and the thread is to end)."""
        with self._guard:
            turn = self._next_turn()
            while turn is None and not self._closed:
                self._idle_workers.append(worker)
                worker.woken.wait()
                turn, worker.turn = worker.turn, None
            if turn is None:
                self._workers -= 1
            return turn

    def _same_lane_again(self, lane: _Lane, tenant: TenantKey) -> tuple[_Lane, _Queued] | None:
        """The lane's next attempt as the worker's next turn, when it is the same tenant's and no
        other lane waits for a worker: what taking turns would come to, without the line
        (holding the guard)."""
        if lane.queued and not self._waiting and lane.queued[0].message.tenant == tenant:
            return lane, self._take(lane)
        return None

    def _end_turn(self, lane: _Lane, tenant: TenantKey) -> Receiver | None:
        """Put a lane whose attempt is over back in line, or retire it when nothing is queued;
        returns the receiver of a retired lane, to close without the guard (holding the guard)."""
        if self._under_way[tenant] == 1:
            del self._under_way[tenant]
        else:
            self._under_way[tenant] -= 1
        lane.under_way = False
        if lane.queued:
            self._wait(lane)
            return None
        del self._lanes[lane.url]
        return lane.receiver

    def _deliver(self, receiver: Receiver, queued: _Queued) -> None:
        """Build, sign and send one attempt, and log its outcome (retrying by the policy). Whatever
        goes wrong before an answer, a secret that does not decode included, is a failed attempt
        with the reason, never a lost one."""
        message = queued.message
        headers = {"Content-Type": "application/json", "User-Agent": self._user_agent}
        started = time.perf_counter()
        try:
            if message.secrets:
                headers.update(signed_headers(message.secrets, message.id, wall_seconds(), message.body,
                                              message.forge))
        except Exception as exc:
            _log.warning("webhook %s attempt %d not sent: signing failed: %s", message.id, queued.number, exc)
            status, error = None, f"signing failed: {exc}" if str(exc) else f"signing failed: {_describe(exc)}"
        else:
            try:
                status, error = receiver.post(message.body, headers, message.policy.timeout_ms)
            except Exception as exc:          # a fault of ours, not the receiver's
                _log.exception("webhook %s attempt %d to %s failed", message.id, queued.number, message.url)
                status, error = None, f"request failed: {_describe(exc)}"
        duration_ms = (time.perf_counter() - started) * 1000
        with self._lock:
            if queued.void:
                return
            attempt = Attempt(message, queued.number, queued.at_ms, headers, status, error, duration_ms,
                              queued.duplicate)
            self._log.append(attempt)
            round_ = queued.round_
            if self.observer is not None:
                if message.probe is not None:
                    self.observer.probe(message.tenant, message.id, queued.at_ms, message.probe, attempt.verdict,
                                        message.expect)
                else:
                    self.observer.webhook(message.tenant, message.id, queued.at_ms, ok=error is None,
                                          first=round_ == 1,
                                          final=round_ is not None and round_ > message.policy.retries)
            if round_ is not None and error is not None and round_ <= message.policy.retries:
                self._timeline.schedule(
                    queued.at_ms + message.policy.delay_ms, message.tenant, partial(self._retry, message, round_ + 1),
                    label=f"{message.provider} webhook {message.event} retry {round_}")

    def _retry(self, message: Message, round_: int, at_ms: int) -> None:
        """A timeline event: the message's next automatic attempt, due at ``at_ms``."""
        self._start(message, at_ms, round_)

    def _done(self, queued: _Queued) -> None:
        """Book an attempt as over (holding the guard)."""
        if not queued.void:
            self._uncount(queued)
        self.finished += 1

    def _uncount(self, queued: _Queued) -> None:
        """An attempt no longer counts as queued or under way (holding the guard)."""
        tenant = queued.message.tenant
        self._inflight[tenant] -= 1
        if not self._inflight[tenant]:
            del self._inflight[tenant]
        bound = (tenant, queued.at_ms + queued.message.policy.delay_ms)
        self._retry_bounds[bound] -= 1
        if not self._retry_bounds[bound]:
            del self._retry_bounds[bound]

    # -- snapshots ---------------------------------------------------------------------------

    def export_state(self, tenant: TenantKey | None = None) -> dict:
        """The attempt log, the attempts queued or under way (a restore sends them again), the
        messages they are of (by id), and where reproducible message ids stand. Call under the
        engine lock. ``messages`` is open: a snapshot adds those its retry events refer to."""
        messages: dict[str, dict] = {}

        def ref(message: Message) -> str:
            if message.id not in messages:
                messages[message.id] = message_record(message)
            return message.id

        log = [{"message": ref(a.message), "number": a.number, "at_ms": a.at_ms, "headers": a.headers,
                "status": a.status, "error": a.error, "duration_ms": a.duration_ms, "duplicate": a.duplicate}
               for a in self._log if tenant is None or a.message.tenant == tenant]
        with self._guard:
            waiting = sorted((q for q in itertools.chain(self._sending, *(lane.queued for lane in self._lanes.values()))
                              if not q.void and (tenant is None or q.message.tenant == tenant)),
                             key=lambda q: (q.at_ms, q.message.created_ms, q.number))
        queued = [{"message": ref(q.message), "number": q.number, "at_ms": q.at_ms, "round": q.round_,
                   "duplicate": q.duplicate} for q in waiting]
        ids = {provider: stream.export_state() for provider, stream in self._ids.items()}
        published = {stream: count for stream, count in self._published.items()
                     if tenant is None or stream == str(tenant)}
        return {"log": log, "queued": queued, "messages": messages, "published": published,
                "origin_ms": self._origin_ms, "id_streams": None if tenant is not None else ids}

    def restore_state(self, record: Record, tenant_of: TenantOf,
                      tenant: TenantKey | None = None) -> dict[str, Message]:
        """Back to what export_state gave (one tenant's part, or all of it): the attempts queued
        or under way now are voided, and those the snapshot had are queued again. Returns the
        messages by id, for the retry events that refer to them. Call under the engine lock."""
        messages = {}
        for r in record.records("messages"):
            message = message_from(r, tenant_of)
            if tenant is None or message.tenant == tenant:
                messages[message.id] = message

        def message_of(r: Record) -> Message:
            found = messages.get(r.str("message"))
            if found is None:
                raise r.fail("message", "no such message in the snapshot's messages (or another tenant's)")
            return found

        log = [Attempt(message_of(r), r.int("number", minimum=1), instant(r, "at_ms"),
                       dict(r.mapping("headers", texts=True)), r.int("status", optional=True),
                       r.str("error", optional=True), r.float("duration_ms"), r.bool("duplicate"))
               for r in record.records("log")]
        queued = [_Queued(message_of(r), r.int("number", minimum=1), instant(r, "at_ms"), r.int("round", optional=True),
                          r.bool("duplicate")) for r in record.records("queued")]
        published = {}
        for stream, count in record.mapping("published").items():
            published[stream] = check_int(count, f"{record.path}.published", minimum=0)
        streams = {}
        if tenant is None and record.has("id_streams"):
            for provider, state in record.mapping("id_streams").items():
                streams[provider] = self._id_stream(provider)
                streams[provider].restore_state(state, f"{record.path}.id_streams.{provider}")
        if tenant is None:
            self._void(None)
            self._log.clear()
            self._ids, self._published, self._origin_ms = streams, published, instant(record, "origin_ms")
        else:
            self.forget(tenant)
            self._published.update({stream: n for stream, n in published.items() if stream == str(tenant)})
        self._log.extend(log)
        for attempt in queued:
            self._start_workers(self._queue(attempt))
        return messages

    # -- progress ----------------------------------------------------------------------------

    def retry_horizon(self, tenant: TenantKey | None = None) -> int | None:
        """No retry can fall due before this instant: events before it may run without waiting
        for the attempts under way. None when nothing is under way."""
        with self._guard:
            bounds = [at for (owner, at) in self._retry_bounds if tenant is None or owner == tenant]
        return min(bounds) if bounds else None

    def wait_progress(self, seen: int, timeout_s: float) -> None:
        """Until an attempt finishes after ``seen`` were finished, or the timeout."""
        with self._progress:
            self._progress.wait_for(lambda: self.finished != seen, timeout=max(0.0, timeout_s))

    def idle(self, tenant: TenantKey | None = None) -> bool:
        return (self._inflight[tenant] if tenant is not None else sum(self._inflight.values())) == 0

    def wait_idle(self, timeout_s: float, tenant: TenantKey | None = None) -> bool:
        """Until no attempt (of the tenant, or of anyone) is queued or under way."""
        with self._progress:
            return self._progress.wait_for(lambda: self.idle(tenant), timeout=max(0.0, timeout_s))

    def attempts(self, *, provider: str | None = None, event: str | None = None,
                 tenant: TenantKey | None = None) -> list[Attempt]:
        return [a for a in self._log
                if (provider is None or a.message.provider == provider)
                and (event is None or a.message.event == event)
                and (tenant is None or a.message.tenant == tenant)]

    def close(self) -> None:
        """Drop what is queued and end the idle workers; attempts under way end within their
        timeout, and their workers with them."""
        with self._guard:
            self._closed = True
            idle_receivers = []
            for url, lane in list(self._lanes.items()):
                for queued in lane.queued:
                    self._done(queued)
                lane.queued.clear()
                if not lane.under_way:
                    del self._lanes[url]
                    idle_receivers.append(lane.receiver)
            self._waiting.clear()
            for worker in self._idle_workers:
                worker.woken.notify()
            self._idle_workers.clear()
            self._progress.notify_all()
        for receiver in idle_receivers:
            receiver.close()
        self._watchdog.close()


def message_record(message: Message) -> dict:
    """A message as JSON: its body as text (the exact bytes come back, whatever they are)."""
    return {"id": message.id, "tenant": message.tenant, "provider": message.provider, "event": message.event,
            "url": message.url, "body": message.body.decode("utf-8", "surrogateescape"),
            "created_ms": message.created_ms, "policy": [message.policy.retries, message.policy.delay_ms,
                                                         message.policy.timeout_ms],
            "secrets": list(message.secrets), "attempts": message.attempts, "held_ms": message.held_ms,
            "probe": message.probe, "expect": message.expect, "forge": message.forge}


def message_from(r: Record, tenant_of: TenantOf) -> Message:
    policy = r.list("policy")
    if len(policy) != 3 or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in policy):
        raise r.fail("policy", "expected [retries, delay_ms, timeout_ms]")
    body = r.str("body").encode("utf-8", "surrogateescape")
    try:
        json.loads(body)            # what the log shows of it, and what receivers get, is JSON
    except ValueError:
        raise r.fail("body", "not JSON") from None
    return Message(id=r.str("id"), tenant=tenant_of(r, "tenant"), provider=r.str("provider"),
                   event=r.str("event"), url=r.str("url"), body=body,
                   created_ms=instant(r, "created_ms"), policy=RetryPolicy(*policy), secrets=tuple(r.strs("secrets")),
                   attempts=r.int("attempts", minimum=0), held_ms=r.int("held_ms", minimum=0),
                   probe=r.str("probe", optional=True), expect=r.str("expect", optional=True),
                   forge=r.str("forge", optional=True))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def encode_body(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in the given order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
