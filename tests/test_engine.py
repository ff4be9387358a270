"""The engine's parts on their own: clock, timeline, durations, sorted pages, ids."""
from __future__ import annotations

import random

import pytest

from mockserver.engine.clock import Clock, ClockError, format_iso, parse_iso
from mockserver.engine.durations import parse_duration
from mockserver.engine.ids import ObjectIds
from mockserver.engine.pages import CursorNotFound, SortedIndex
from mockserver.engine.timeline import Timeline

START = parse_iso("2026-01-28T22:42:26.452Z")


def test_iso_round_trip_keeps_milliseconds():
    assert format_iso(START) == "2026-01-28T22:42:26.452Z"
    assert parse_iso("2026-01-28T23:42:26.452+01:00") == START
    assert parse_iso("2026-01-28T22:42:26.452") == START


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00.000Z", "0999-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z",
                                  "1970-01-01T00:00:00.000Z", "2024-02-29T12:00:00.001Z", "9999-12-31T23:59:59.999Z"])
def test_iso_times_keep_four_digit_years_and_milliseconds_at_the_edges(text):
    assert format_iso(parse_iso(text)) == text


@pytest.mark.parametrize("text, ms", [("500ms", 500), ("3s", 3000), ("20m", 1_200_000), ("1h", 3_600_000),
                                      ("1h30m", 5_400_000), ("1.5s", 1500), (2, 2000), (0.25, 250)])
def test_durations(text, ms):
    assert parse_duration(text) == ms


@pytest.mark.parametrize("bad", ["", "3", "s", "3x", "3s 4", "-3s", True, None, [1], float("inf"), float("nan"),
                                 1e308, "99999999999999h"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_tenant_offsets_move_one_tenant_only():
    clock = Clock(START, frozen=True)
    clock.advance(60_000, tenant="a")
    assert (clock.now(), clock.now("a"), clock.now("b")) == (START, START + 60_000, START)
    with pytest.raises(ClockError):
        clock.set(START - 1)


@pytest.mark.parametrize("seed", range(5))
def test_events_fire_in_time_order_whatever_the_advance_steps(seed):
    rng = random.Random(seed)
    clock = Clock(START, frozen=True)
    timeline = Timeline(clock)
    fired = []
    for _ in range(200):
        at = START + rng.randrange(0, 100_000)
        timeline.schedule(at, "t", lambda due, at=at: fired.append((due, at, clock.now())))
    # events that schedule more events in the past or future are still run in order
    timeline.schedule(START + 50_000, "t", lambda due: timeline.schedule(due + 1, "t", lambda d: fired.append((d, d, 0))))
    while len(fired) < 201:
        clock.advance(rng.randrange(0, 20_000))
        timeline.run_due()
    assert [due for due, _, _ in fired] == sorted(due for due, _, _ in fired)
    assert all(due == at for due, at, _ in fired)
    assert all(now >= due for due, _, now in fired if now)


@pytest.mark.parametrize("seed", range(3))
def test_cancelled_events_never_run_nor_count_whatever_their_number(seed):
    rng = random.Random(seed)
    clock = Clock(START, frozen=True)
    timeline = Timeline(clock)
    fired = []
    events = [timeline.schedule(START + rng.randrange(0, 100_000), rng.choice("ab"),
                                lambda due, n=n: fired.append(n), label=str(n)) for n in range(300)]
    clock.advance(30_000)
    timeline.run_due()
    ran = set(fired)
    cancelled = {n for n in rng.sample(range(300), 200)}      # some ran already: ignored
    timeline.cancel([events[n] for n in cancelled] + [None])
    timeline.cancel([events[n] for n in cancelled])             # twice: no change
    left = sorted(events[n] for n in set(range(300)) - cancelled - ran)
    assert timeline.pending() == left and timeline.count() == len(left)
    assert [e.label for e in timeline.pending("a")] == [e.label for e in left if e.tenant == "a"]
    assert timeline.ms_until_next() == left[0].at_ms - clock.now()
    clock.advance(100_000)
    timeline.run_due()
    assert fired[len(ran):] == [int(e.label) for e in left] and timeline.count() == 0


def test_sorted_index_pages_both_ways():
    index = SortedIndex()
    for key in [(5, "e"), (1, "a"), (3, "c"), (2, "b"), (4, "d")]:
        index.add(key)
    assert index.page(2).keys == [(1, "a"), (2, "b")]
    assert index.page(2, descending=True).keys == [(5, "e"), (4, "d")]
    later = index.page(2, after=(2, "b"))
    assert (later.keys, later.has_previous, later.has_next) == ([(3, "c"), (4, "d")], True, True)
    earlier = index.page(2, before=(2, "b"), descending=True)
    assert (earlier.keys, earlier.has_previous, earlier.has_next) == ([(4, "d"), (3, "c")], True, True)
    index.remove((3, "c"))
    assert index.page(10, after=(2, "b")).keys == [(4, "d"), (5, "e")]
    with pytest.raises(CursorNotFound):
        index.page(2, after=(3, "c"))


def test_object_ids_carry_the_clock_and_count_up():
    ids = ObjectIds(seed=7)
    first, second = ids.new(START), ids.new(START + 5000)
    assert first[:8] == "697a90d2" and second[:8] == "697a90d7"
    assert first[8:18] == second[8:18] and int(second[18:], 16) == int(first[18:], 16) + 1
    assert ObjectIds(seed=7).new(START) == first and ObjectIds(seed=8).new(START) != first
