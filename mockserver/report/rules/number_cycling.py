"""number-cycling: a key that cancels numbers and buys new ones for the same service and country
straight after, ``cycles`` times within ``cycle_window``, read from what each provider holds
(Provider.bought) when the report is made. It burns the provider's stock, and the real providers
limit accounts that do it."""
from __future__ import annotations

from typing import Any

from mockserver.engine.durations import format_duration
from mockserver.providers.contract import Bought
from mockserver.report.rule import Rule, Threshold, Thresholds, finding, plural

_Cycle = tuple[int, Bought, Bought]       # when it was cancelled, the number cancelled, the one bought after it


class NumberCycling(Rule):
    id = "number-cycling"
    advice = ("Keep a number until its code comes or it ends, and when you give up on one, do not buy the "
              "same service and country again at once: cancelling and buying again burns the provider's "
              "stock, and the real providers limit accounts that do it.")
    thresholds = (
        Threshold("cycles", 3, "Cancels each followed by a new purchase of the same service and country, this many "
                  "within cycle_window, are number cycling (rule number-cycling)", minimum=2, maximum=1000),
        Threshold("cycle_window", 600_000, "The span within which cycles count together; a purchase later than "
                  "this after a cancel is no cycle (rule number-cycling)", kind="duration"))

    def report(self, provider: Any, backend: Any, tenant: Any, observed: dict, thresholds: Thresholds,
               most: int) -> list[dict]:
        window, enough = thresholds["cycle_window"], thresholds["cycles"]
        held: dict[tuple[str, str], list[Bought]] = {}
        for number in provider.bought(backend, tenant):
            held.setdefault((number.key, number.offer), []).append(number)
        by_key: dict[str, list[_Cycle]] = {}
        offers: dict[str, list[str]] = {}
        for (key, offer), numbers in sorted(held.items()):
            cycling = _cycling(_cycles(numbers, window), window, enough)
            if cycling:
                by_key.setdefault(key, []).extend(cycling)
                offers.setdefault(key, []).append(offer)
        results = []
        for key, cycles in by_key.items():
            cycles.sort(key=lambda cycle: (cycle[0], cycle[1].id))
            summary = (f"{plural(len(cycles), 'cycle')} of cancelling a number and buying one again for the same "
                       f"service and country ({'; '.join(offers[key])}): {enough} or more within "
                       f"{format_duration(window)}")
            evidence = [item for at, cancelled, again in cycles
                        for item in (("number", at, cancelled.id), ("number", again.bought_ms, again.id))]
            results.append(finding(self, "warning", provider.name, key, summary, len(cycles), evidence[:most],
                                   thresholds))
        return results


def _cycles(numbers: list[Bought], window: int) -> list[_Cycle]:
    """Each cancel of one key's numbers for one offer (listed in the order they were bought), with
    the first purchase of it that came after the cancel (at the same instant or later) and within
    ``window``. A number bought at the very instant of the one cancelled is none: on a frozen clock
    the order of a purchase and a cancel at one instant is unknown, and numbers bought together
    and given back together are no cycle."""
    cycles = []
    for index, cancelled in enumerate(numbers):
        at = cancelled.released_ms
        if at is None:
            continue
        again = next((n for n in numbers[index + 1:]
                      if at <= n.bought_ms <= at + window and n.bought_ms > cancelled.bought_ms), None)
        if again is not None:
            cycles.append((at, cancelled, again))
    return cycles


def _cycling(cycles: list[_Cycle], window: int, enough: int) -> list[_Cycle]:
    """The cycles that are part of a run of ``enough`` or more whose cancels fall within ``window``."""
    cycles = sorted(cycles, key=lambda cycle: (cycle[0], cycle[1].id))
    marked = [False] * len(cycles)
    end = 0
    for start, (first, _, _) in enumerate(cycles):
        end = max(end, start)
        while end + 1 < len(cycles) and cycles[end + 1][0] - first <= window:
            end += 1
        if end - start + 1 >= enough:
            marked[start:end + 1] = [True] * (end - start + 1)
    return [cycle for cycle, counted in zip(cycles, marked, strict=True) if counted]
