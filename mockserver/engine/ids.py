"""Deterministic identifiers, phone numbers and verification codes.

Each generator draws from its own stream derived from the scenario seed, so adding a
purchase does not shift the codes, and the same scenario, seed and clock start give the
same ids, numbers and codes on every run.
"""
from __future__ import annotations

import random
import string

from mockserver.engine.records import Record, SnapshotError

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

    def export_state(self) -> dict:
        return {"process": self._process, "counter": self._counter}

    def restore_state(self, record: Record) -> None:
        process, counter = record.str("process"), record.int("counter", minimum=0)
        if len(process) != 10 or any(c not in "0123456789abcdef" for c in process) or counter > 0xFFFFFF:
            raise SnapshotError(f"{record.path}: not an ObjectId stream")
        self._process, self._counter = process, counter


class PhoneNumbers:
    """Unique, valid-looking US numbers in E.164 from a seeded stream.

    The numbers are those a Faker seeded with the same seed gave (releases before 2026-12 drew
    them through Faker): one random.Random, seeded alike, drawn from in Faker's order (its
    ``random_element`` is one ``choice``, its ``numerify`` one ``randint`` per placeholder, ``#``
    placeholders first). Faker's own calls cost a tenth of a purchase and its import a tenth of a
    second; tests/test_ids.py checks the numbers against Faker's."""

    def __init__(self, seed: int | str):
        self._seed = seed
        self._rng: random.Random | None = None       # made on first use, so a snapshot can say "not drawn"
        self._issued: set[str] = set()

    @property
    def _stream(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(f"{self._seed}:phone-numbers")
        return self._rng

    def us(self, area_code: str | None = None) -> str:
        """A US number, in ``area_code`` if given. The area is drawn even then, so that asking for
        one does not shift the numbers that later purchases get."""
        rng = self._stream
        randint = rng.randint
        while True:
            drawn = rng.choice(US_AREA_CODES)
            area = area_code or drawn
            # NANP: the exchange starts 2-9 and is never 555 (reserved for fiction). numerify's
            # order: the six "#" digits, then the leading "$" one.
            line = "".join([str(randint(0, 9)) for _ in range(6)])
            local = f"{randint(2, 9)}{line}"
            if not local.startswith("555") and self._claim(f"+1{area}{local}"):
                return f"+1{area}{local}"

    def like(self, pattern: str) -> str:
        """A number from an E.164 pattern: ``#`` any digit, ``$`` a digit from 2 to 9 (and Faker's
        other placeholders: ``%`` 1 to 9, ``!`` a digit or nothing, ``@`` 1 to 9 or nothing)."""
        while True:
            number = numerify(self._stream, pattern)
            if self._claim(number):
                return number

    def _claim(self, number: str) -> bool:
        if number in self._issued:
            return False
        self._issued.add(number)
        return True

    def export_state(self) -> dict:
        """The numbers handed out, and where the stream stands (None: not drawn from yet)."""
        stream = None if self._rng is None else rng_state(self._rng)
        return {"stream": stream, "issued": sorted(self._issued)}

    def restore_state(self, record: Record) -> None:
        issued = set(record.strs("issued"))
        if record.has("stream"):
            set_rng_state(self._stream, record.raw("stream"), f"{record.path}.stream")
        else:
            self._rng = None
        self._issued = issued

    def claim(self, numbers) -> None:
        """Numbers restored into a tenant: never handed out again."""
        self._issued.update(numbers)


class TokenIds:
    """Opaque prefixed ids like ``num_k3x9...``, from a seeded stream."""

    ALPHABET = string.ascii_lowercase + string.digits

    def __init__(self, seed: int | str, prefix: str, length: int = 20):
        self._rng = random.Random(f"{seed}:{prefix}-ids")
        self._prefix = prefix
        self._length = length

    def new(self) -> str:
        return self._prefix + "".join(self._rng.choice(self.ALPHABET) for _ in range(self._length))

    def export_state(self) -> list:
        return rng_state(self._rng)

    def restore_state(self, value, where: str) -> None:
        set_rng_state(self._rng, value, where)


class Codes:
    """Fresh verification codes from a seeded stream."""

    def __init__(self, seed: int | str):
        self._rng = random.Random(f"{seed}:codes")

    def new(self, length: int = 6, alphabet: str = "digits") -> str:
        symbols = CODE_ALPHABETS[alphabet]
        return "".join(self._rng.choice(symbols) for _ in range(length))

    def export_state(self) -> list:
        return rng_state(self._rng)

    def restore_state(self, value, where: str) -> None:
        set_rng_state(self._rng, value, where)


def numerify(rng: random.Random, pattern: str) -> str:
    """``pattern`` with its placeholders drawn as Faker's numerify draws them, from ``rng``: every
    ``#`` (0-9) left to right, then every ``%`` (1-9), ``$`` (2-9), ``!`` (a digit 0-9 or nothing,
    even odds) and ``@`` (1-9 or nothing)."""
    chars = list(pattern)
    for placeholder, draw in _PLACEHOLDERS:
        for index, char in enumerate(chars):
            if char == placeholder:
                chars[index] = draw(rng)
    return "".join(chars)


_PLACEHOLDERS = (
    ("#", lambda rng: str(rng.randint(0, 9))),
    ("%", lambda rng: str(rng.randint(1, 9))),
    ("$", lambda rng: str(rng.randint(2, 9))),
    ("!", lambda rng: str(rng.randint(0, 9)) if rng.randint(0, 1) else ""),
    ("@", lambda rng: str(rng.randint(1, 9)) if rng.randint(0, 1) else ""),
)


# random.Random's state: a version, 624 words of the Mersenne Twister and its position, and a
# cached Gaussian (always None here: nothing draws one).
_MT_WORDS = 624


def rng_state(rng: random.Random) -> list:
    """Where a seeded stream stands, as JSON: restoring it draws the same values next."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_rng_state(rng: random.Random, value, where: str) -> None:
    ok = (isinstance(value, list) and len(value) == 3 and value[0] == 3 and value[2] is None
          and isinstance(value[1], list) and len(value[1]) == _MT_WORDS + 1
          and all(isinstance(word, int) and not isinstance(word, bool) and 0 <= word < 2 ** 32 for word in value[1])
          and value[1][-1] <= _MT_WORDS)
    if not ok:
        raise SnapshotError(f"{where}: not the state of a random stream")
    rng.setstate((3, tuple(value[1]), None))
