"""Hypothesis properties of the engine: events in order whatever the clock steps, money conserved."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.engine.clock import Clock
from mockserver.engine.ids import Codes, ObjectIds, PhoneNumbers
from mockserver.engine.timeline import Timeline
from mockserver.loading import load_text
from mockserver.providers.pvadeals.backend import PvaDeals
from mockserver.providers.pvadeals.errors import PvaDealsError

START = 1_769_640_146_452


@settings(max_examples=150, deadline=None)
@given(dues=st.lists(st.integers(0, 3_600_000), min_size=1, max_size=60),
       steps=st.lists(st.integers(0, 900_000), min_size=1, max_size=30))
def test_the_timeline_fires_in_time_order_whatever_the_advance_steps(dues, steps):
    clock = Clock(START, frozen=True)
    timeline = Timeline(clock)
    fired: list[int] = []
    for due in dues:
        timeline.schedule(START + due, "t", fired.append)
    for step in steps:
        clock.advance(step)
        timeline.run_due()
    clock.advance(3_600_000)
    timeline.run_due()
    assert fired == sorted(START + due for due in dues)


PVA = load_text("""name: money
pvadeals:
  accounts: [{key: API-a, credits: 5}]
  behaviors:
    - match: {service: 3Fun}
      sms: never
    - match: {}
      sms: [{after: 3s}]
      reuse: {price: 0.07}
""").pvadeals
OPERATIONS = st.lists(st.tuples(st.sampled_from(["buy", "flag", "reuse", "advance"]),
                                st.integers(0, len(PVA.services) - 1), st.integers(0, 30)), max_size=60)


@settings(max_examples=120, deadline=None)
@given(OPERATIONS)
def test_money_is_conserved(operations):
    """credits + spent - refunded == the starting credits, whatever clients do and time does."""
    clock = Clock(START, frozen=True)
    timeline = Timeline(clock)
    backend = PvaDeals(PVA, name="pvadeals", timeline=timeline, ids=ObjectIds(1), phones=PhoneNumbers(1), codes=Codes(1),
                       notify=lambda *args: None)
    account = backend.authenticate("API-a")
    spent = Decimal(0)
    for kind, pick, minutes in operations:
        requests = list(account.requests.values())
        try:
            if kind == "buy":
                before = account.credits
                backend.purchase(account, [(PVA.services[pick].id, "")], clock.now())
                spent += before - account.credits
            elif kind == "advance":
                clock.advance(minutes * 60_000)
                timeline.run_due()
            elif requests:
                target = requests[pick % len(requests)]
                before = account.credits
                (backend.flag if kind == "flag" else backend.reuse)(account, target.id, clock.now())
                spent += max(Decimal(0), before - account.credits)
        except PvaDealsError:
            pass
    refunded = sum((r.amount for r in account.requests.values() if r.status in ("TIMEOUT", "FLAGGED")), Decimal(0))
    assert account.credits >= 0
    assert account.credits + spent - refunded == Decimal(5)
