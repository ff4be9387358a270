"""The webhook outbox: delivery on worker threads, retries on the virtual clock, a log of every attempt.

Callers publish under the engine lock; that only queues work. The HTTP POST happens on a
worker thread with no lock held, so no API request ever waits on a slow or dead receiver.
Attempts to one URL go out one at a time, in the order they were queued (a lane per URL), so a
receiver sees number_purchased before sms_received even when the code is instant; a hanging
receiver holds up only its own lane. A failed attempt schedules the next one on the timeline,
at the virtual instant of the failed attempt plus the policy's delay.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from ..settings import DEFAULT_LIMITS, Limits
from .clock import wall_seconds
from .delivery import Receiver, Watchdog
from .ids import TokenIds
from .timeline import Timeline

# (message id, wall-clock unix seconds, exact body) -> extra headers, e.g. a signature.
Signer = Callable[[str, int, bytes], dict]


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5          # attempts after the first
    delay_ms: int = 5000
    timeout_ms: int = 5000


@dataclass
class Message:
    id: str
    tenant: str
    provider: str
    event: str
    url: str
    body: bytes
    created_ms: int
    policy: RetryPolicy
    sign: Signer | None = None
    attempts: int = 0          # attempts started, retries and redeliveries alike: the next one's number


@dataclass
class Attempt:
    message: Message
    number: int
    at_ms: int                 # virtual instant the attempt was due
    headers: dict
    status: int | None
    error: str | None
    duration_ms: float         # real time the receiver took

    @property
    def ok(self) -> bool:
        return self.error is None


class Outbox:
    def __init__(self, lock: threading.RLock, timeline: Timeline, *, limits: Limits = DEFAULT_LIMITS,
                 log_size: int = 10_000, user_agent: str = "mockserver-webhooks"):
        self._lock = lock
        self._timeline = timeline
        self._limits = limits
        self._pool = ThreadPoolExecutor(max_workers=limits.webhook_workers, thread_name_prefix="webhook")
        self._watchdog = Watchdog()                # ends attempts that overrun their policy's timeout
        self._log: deque[Attempt] = deque(maxlen=log_size)
        self._user_agent = user_agent
        self._idle = threading.Condition()
        self._inflight: Counter[str] = Counter()   # tenant -> attempts queued or under way
        # (tenant, earliest instant a retry of it could be due) for each attempt queued or under way
        self._retry_bounds: Counter[tuple[str, int]] = Counter()
        self.finished = 0                          # attempts completed so far; settle() waits on it
        self._epoch = 0
        self._tenant_epochs: Counter[str] = Counter()
        self._lanes: dict[str, deque] = {}      # url -> attempts waiting; present while a worker drains it
        self._closed = False
        self.reset(seed=0)

    def reset(self, seed: int | str) -> None:
        """Forget the log and ignore the results of attempts already under way."""
        self._epoch += 1
        self._log.clear()
        self._ids = TokenIds(seed, "msg_", 24)

    def forget(self, tenant: str) -> None:
        """One tenant's reset: its log goes, and results of its attempts under way are ignored."""
        self._tenant_epochs[tenant] += 1
        kept = [a for a in self._log if a.message.tenant != tenant]
        self._log.clear()
        self._log.extend(kept)

    def new_message_id(self) -> str:
        return self._ids.new()

    def publish(self, message: Message) -> None:
        """Queue the first attempt now. Call under the engine lock."""
        self._start(message, message.created_ms, round_=1)

    def message(self, message_id: str) -> Message | None:
        """A message the log still holds an attempt of."""
        return next((a.message for a in self._log if a.message.id == message_id), None)

    def redeliver(self, message: Message, at_ms: int) -> int:
        """Send a message once more at ``at_ms``, as its next attempt number; a failure is logged
        but not retried, as a provider's "resend" button does. Call under the engine lock."""
        return self._start(message, at_ms, round_=None)

    def attempt(self, message_id: str, number: int) -> Attempt | None:
        return next((a for a in self._log if a.message.id == message_id and a.number == number), None)

    def _start(self, message: Message, at_ms: int, round_: int | None) -> int:
        """Queue an attempt; returns its number. ``round_`` counts the automatic attempts, which
        the policy bounds; a redelivery has none. Numbers are given here, when an attempt
        starts, so a redelivery and a retry already scheduled never share one."""
        message.attempts += 1
        number = message.attempts
        job = (message, number, at_ms, (self._epoch, self._tenant_epochs[message.tenant]), round_)
        with self._idle:
            self._inflight[message.tenant] += 1
            self._retry_bounds[(message.tenant, at_ms + message.policy.delay_ms)] += 1
            lane = self._lanes.get(message.url)
            if lane is not None:
                lane.append(job)
                return number
            self._lanes[message.url] = deque([job])
        self._pool.submit(self._drain, message.url)
        return number

    def _drain(self, url: str) -> None:
        # One kept-alive connection per lane while it drains: a burst of events to one receiver
        # does not pay a TCP handshake each. Only this thread uses it.
        receiver = Receiver(url, self._watchdog, answer_bytes=self._limits.webhook_answer_bytes)
        try:
            while True:
                with self._idle:
                    lane = self._lanes[url]
                    if self._closed:          # shutting down: what is still queued is dropped
                        for message, _, at_ms, _, _ in lane:
                            self._done(message, at_ms)
                        lane.clear()
                    if not lane:
                        del self._lanes[url]
                        self._idle.notify_all()
                        return
                    job = lane.popleft()
                self._deliver(receiver, *job)
        finally:
            receiver.close()

    def _deliver(self, receiver: Receiver, message: Message, number: int, at_ms: int,
                 epoch: tuple[int, int], round_: int | None) -> None:
        try:
            headers = {"Content-Type": "application/json", "User-Agent": self._user_agent}
            if message.sign is not None:
                headers.update(message.sign(message.id, wall_seconds(), message.body))
            started = time.perf_counter()
            status, error = receiver.post(message.body, headers, message.policy.timeout_ms)
            duration_ms = (time.perf_counter() - started) * 1000
            with self._lock:
                if epoch != (self._epoch, self._tenant_epochs[message.tenant]):
                    return
                self._log.append(Attempt(message, number, at_ms, headers, status, error, duration_ms))
                if round_ is not None and error is not None and round_ <= message.policy.retries:
                    self._timeline.schedule(
                        at_ms + message.policy.delay_ms, message.tenant,
                        lambda due: self._start(message, due, round_ + 1),
                        label=f"{message.provider} webhook {message.event} retry {round_}")
        finally:
            with self._idle:
                self._done(message, at_ms)
                self._idle.notify_all()

    def _done(self, message: Message, at_ms: int) -> None:
        """Book an attempt as over (call holding self._idle)."""
        self._inflight[message.tenant] -= 1
        bound = (message.tenant, at_ms + message.policy.delay_ms)
        self._retry_bounds[bound] -= 1
        if not self._retry_bounds[bound]:
            del self._retry_bounds[bound]
        self.finished += 1

    def retry_horizon(self, tenant: str | None = None) -> int | None:
        """No retry can fall due before this instant: events before it may run without waiting
        for the attempts under way. None when nothing is under way."""
        with self._idle:
            bounds = [at for (owner, at) in self._retry_bounds if tenant is None or owner == tenant]
        return min(bounds) if bounds else None

    def wait_progress(self, seen: int, timeout_s: float) -> None:
        """Until an attempt finishes after ``seen`` were finished, or the timeout."""
        with self._idle:
            self._idle.wait_for(lambda: self.finished != seen, timeout=max(0.0, timeout_s))

    def idle(self, tenant: str | None = None) -> bool:
        return (self._inflight[tenant] if tenant is not None else sum(self._inflight.values())) == 0

    def wait_idle(self, timeout_s: float, tenant: str | None = None) -> bool:
        """Until no attempt (of the tenant, or of anyone) is queued or under way."""
        with self._idle:
            return self._idle.wait_for(lambda: self.idle(tenant), timeout=max(0.0, timeout_s))

    def attempts(self, *, provider: str | None = None, event: str | None = None,
                 tenant: str | None = None) -> list[Attempt]:
        return [a for a in self._log
                if (provider is None or a.message.provider == provider)
                and (event is None or a.message.event == event)
                and (tenant is None or a.message.tenant == tenant)]

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._watchdog.close()


def encode_body(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in the given order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
