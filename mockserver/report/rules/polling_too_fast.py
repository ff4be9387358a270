"""polling-too-fast: a number polled sooner than ``poll_interval`` after its previous poll, or
more than ``extra_polls`` times after its answer showed its code or its end."""
from __future__ import annotations

from typing import Any

from mockserver.engine.durations import format_duration
from mockserver.engine.exchange import Exchange
from mockserver.engine.records import Record
from mockserver.report.rule import Finding, Rule, Seen, Threshold, Thresholds, plural, seen_as

FAST, NEEDLESS = "fast", "needless"


class _Poll:
    __slots__ = ("last_ms", "done", "after_done")

    def __init__(self, at_ms: int):
        self.last_ms, self.done, self.after_done = at_ms, False, 0


class PollingTooFast(Rule):
    id = "polling-too-fast"
    advice = ("Poll each number at most every {interval} with backoff, stop once it shows its code or its end, "
              "or take the SMS from webhooks instead of polling.")
    thresholds = (
        Threshold("poll_interval", 2000, "Polls of one number closer together than this are too fast "
                  "(rule polling-too-fast)", kind="duration"),
        Threshold("extra_polls", 0, "Polls of a number tolerated after one already showed its code or its end "
                  "(rule polling-too-fast)", minimum=0, maximum=1000))

    def fresh(self) -> dict[str, _Poll]:
        return {}              # number id -> its polls, the one first polled longest ago first

    def request(self, seen: Seen, mine: dict[str, Any], exchange: Exchange, thresholds: Thresholds) -> None:
        target = exchange.target
        if target is None:
            return
        polls = seen.own[self.id]
        poll = polls.get(target)
        if exchange.kind == "purchase":
            if poll is not None:
                poll.done, poll.after_done = False, 0      # re-armed (a reuse): polling it is due again
            return
        if exchange.kind != "poll" or exchange.status >= 400 or exchange.refused:
            return
        at_ms = exchange.at_ms
        if poll is None:
            if len(polls) >= seen.limits.report_numbers_per_tenant:
                del polls[next(iter(polls))]
            poll = polls[target] = _Poll(at_ms)
        else:
            variant = None
            if poll.done:
                poll.after_done += 1
                if poll.after_done > thresholds["extra_polls"]:
                    variant = NEEDLESS
            elif at_ms - poll.last_ms < thresholds["poll_interval"]:
                variant = FAST
            if variant is not None:
                seen.note(self.id, exchange.key, variant, seen_as(exchange))
            poll.last_ms = at_ms
        if exchange.done:
            poll.done = True

    def describe(self, variant: Any, found: Finding, thresholds: Thresholds) -> tuple[str, str]:
        if variant == FAST:
            return "warning", (f"{plural(found.count, 'poll')} of a number less than "
                               f"{format_duration(thresholds['poll_interval'])} after the previous poll of it")
        return "warning", f"{plural(found.count, 'poll')} of numbers that had already shown their code or their end"

    def advise(self, thresholds: Thresholds) -> str:
        return self.advice.format(interval=format_duration(thresholds["poll_interval"]))

    def export(self, own: dict[str, _Poll]) -> dict[str, Any]:
        return {"polls": [{"id": target, "last_ms": poll.last_ms, "done": poll.done, "after_done": poll.after_done}
                          for target, poll in own.items()]}

    def restore(self, record: Record) -> dict[str, _Poll]:
        polls = {}
        for r in record.records("polls"):
            poll = polls[r.str("id")] = _Poll(r.int("last_ms"))
            poll.done, poll.after_done = r.bool("done"), r.int("after_done", minimum=0)
        return polls
