"""Deterministic identifiers, phone numbers and verification codes.

Each generator draws from its own stream derived from the scenario seed, so adding a
purchase does not shift the codes, and the same scenario, seed and clock start give the
same ids, numbers and codes on every run.
"""
from __future__ import annotations

import random
import string

from faker import Faker

# Real geographic US area codes; 313 (Detroit) is the one the PVADeals docs show.
US_AREA_CODES = (
    "313", "212", "213", "214", "305", "312", "323", "347", "404", "415",
    "469", "512", "602", "617", "646", "702", "713", "718", "786", "832",
    "917", "929", "206", "303", "503", "619", "704", "720", "801", "813",
)

CODE_ALPHABETS = {
    "digits": string.digits,
    "alnum": string.ascii_uppercase + string.digits,
    "letters": string.ascii_uppercase,
}


class ObjectIds:
    """MongoDB-style ObjectIds: 4-byte virtual timestamp, 5-byte per-process value, 3-byte counter."""

    def __init__(self, seed: int | str):
        rng = random.Random(f"{seed}:object-ids")
        self._process = f"{rng.getrandbits(40):010x}"
        self._counter = rng.getrandbits(24)

    def new(self, now_ms: int) -> str:
        counter, self._counter = self._counter, (self._counter + 1) & 0xFFFFFF
        return f"{(now_ms // 1000) & 0xFFFFFFFF:08x}{self._process}{counter:06x}"


class PhoneNumbers:
    """Unique, valid-looking US numbers in E.164 from a seeded Faker."""

    def __init__(self, seed: int | str):
        self._faker = Faker("en_US")
        self._faker.seed_instance(f"{seed}:phone-numbers")
        self._issued: set[str] = set()

    def us(self) -> str:
        while True:
            area = self._faker.random_element(US_AREA_CODES)
            # NANP: the exchange starts 2-9 and is never 555 (reserved for fiction).
            local = self._faker.numerify("$######")
            if local.startswith("555"):
                continue
            number = f"+1{area}{local}"
            if number not in self._issued:
                self._issued.add(number)
                return number


class Codes:
    """Fresh verification codes from a seeded stream."""

    def __init__(self, seed: int | str):
        self._rng = random.Random(f"{seed}:codes")

    def new(self, length: int = 6, alphabet: str = "digits") -> str:
        symbols = CODE_ALPHABETS[alphabet]
        return "".join(self._rng.choice(symbols) for _ in range(length))
