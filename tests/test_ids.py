"""Phone numbers are drawn without Faker now, and must be the very numbers a Faker seeded alike
gave: users' tests may have written a seeded scenario's numbers down. Faker stays a test extra
for this comparison only."""
from __future__ import annotations

import random

from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.engine.ids import US_AREA_CODES, PhoneNumbers, numerify


def _faker(seed: str) -> Faker:
    faker = Faker("en_US")
    faker.seed_instance(f"{seed}:phone-numbers")
    return faker


def _faker_us(faker: Faker, area_code: str | None) -> str:
    """PhoneNumbers.us as it was written with Faker (without the check for numbers issued)."""
    while True:
        area = faker.random_element(US_AREA_CODES)
        area = area_code or area
        local = faker.numerify("$######")
        if not local.startswith("555"):
            return f"+1{area}{local}"


@settings(max_examples=30, deadline=None)
@given(seed=st.one_of(st.integers(0, 2 ** 40), st.text(max_size=12)),
       areas=st.lists(st.sampled_from([None, "313", "917"]), min_size=1, max_size=40))
def test_us_numbers_are_the_ones_faker_drew_for_the_same_seed(seed, areas):
    phones, faker = PhoneNumbers(seed), _faker(seed)
    issued = set()
    for area in areas:
        expected = _faker_us(faker, area)
        while expected in issued:          # the original drew again for a number already issued
            expected = _faker_us(faker, area)
        issued.add(expected)
        assert phones.us(area) == expected


@settings(max_examples=60, deadline=None)
@given(pattern=st.text(alphabet="#%$!@+-0123456789 ", max_size=24), seed=st.integers(0, 2 ** 32))
def test_numerify_draws_as_fakers_numerify(pattern, seed):
    faker = Faker("en_US")
    faker.seed_instance(seed)
    rng = random.Random(seed)
    for _ in range(3):
        assert numerify(rng, pattern) == faker.numerify(pattern)
    assert rng.getstate() == faker.random.getstate()


def test_a_pattern_gives_unique_numbers_in_its_shape():
    phones = PhoneNumbers(7)
    numbers = [phones.like("+44 7### $#####") for _ in range(200)]
    assert len(set(numbers)) == 200
    assert all(n.startswith("+44 7") and len(n) == 15 and n[9] in "23456789" for n in numbers)
