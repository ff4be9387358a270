"""Reading a snapshot document field by field: every value is checked for its type and range as it
is read, and a wrong one raises SnapshotError naming where it is (``providers.pvadeals.accounts[0].
credits``), so that a corrupt or hand-edited snapshot is refused with a message, never half applied
and never a 500. Messages name fields, not values: a snapshot may hold keys and secrets."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterator


class SnapshotError(ValueError):
    """A snapshot that cannot be restored; the message says where and why."""


class Record:
    """A JSON object of a snapshot and where it lies in the document."""
    __slots__ = ("_value", "path")

    def __init__(self, value, path: str = "snapshot"):
        if not isinstance(value, dict):
            raise SnapshotError(f"{path}: expected an object")
        self._value, self.path = value, path

    def has(self, name: str) -> bool:
        return self._value.get(name) is not None

    def raw(self, name: str, default=...):
        if name not in self._value:
            if default is ...:
                raise SnapshotError(f"{self._at(name)}: missing")
            return default
        return self._value[name]

    def _at(self, name) -> str:
        return f"{self.path}.{name}" if isinstance(name, str) else f"{self.path}[{name}]"

    def int(self, name: str, *, optional: bool = False, minimum: int | None = None) -> int | None:
        value = self.raw(name, None if optional else ...)
        if value is None and optional:
            return None
        return check_int(value, self._at(name), minimum)

    def float(self, name: str) -> float:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SnapshotError(f"{self._at(name)}: expected a number")
        return float(value)

    def str(self, name: str, *, optional: bool = False) -> str | None:
        value = self.raw(name, None if optional else ...)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise SnapshotError(f"{self._at(name)}: expected text")
        return value

    def bool(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise SnapshotError(f"{self._at(name)}: expected true or false")
        return value

    def decimal(self, name: str, *, optional: bool = False) -> Decimal | None:
        text = self.str(name, optional=optional)
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise SnapshotError(f"{self._at(name)}: expected an amount as text, e.g. \"12.50\"") from None
        if not value.is_finite():
            raise SnapshotError(f"{self._at(name)}: expected a finite amount")
        return value

    def record(self, name: str, *, optional: bool = False) -> "Record | None":
        value = self.raw(name, None if optional else ...)
        if value is None and optional:
            return None
        return Record(value, self._at(name))

    def mapping(self, name: str, *, texts: bool = False) -> dict:
        """A JSON object as it is (``texts``: every value text, e.g. headers)."""
        value = self.raw(name)
        if not isinstance(value, dict) or (texts and not all(isinstance(v, str) for v in value.values())):
            raise SnapshotError(f"{self._at(name)}: expected an object" + (" of texts" if texts else ""))
        return value

    def list(self, name: str) -> list:
        value = self.raw(name)
        if not isinstance(value, list):
            raise SnapshotError(f"{self._at(name)}: expected a list")
        return value

    def records(self, name: str) -> Iterator["Record"]:
        for index, item in enumerate(self.list(name)):
            yield Record(item, f"{self._at(name)}[{index}]")

    def ints(self, name: str) -> list[int]:
        return [check_int(item, f"{self._at(name)}[{index}]") for index, item in enumerate(self.list(name))]

    def strs(self, name: str) -> list[str]:
        items = self.list(name)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise SnapshotError(f"{self._at(name)}[{index}]: expected text")
        return items

    def pair(self, name: str) -> tuple[str, str]:
        """Two texts, e.g. a tenant: [provider, account]."""
        value = self.raw(name)
        return check_pair(value, self._at(name))

    def fail(self, name: str, why: str) -> SnapshotError:
        return SnapshotError(f"{self._at(name)}: {why}")


def check_int(value, where: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SnapshotError(f"{where}: expected a whole number")
    if minimum is not None and value < minimum:
        raise SnapshotError(f"{where}: expected at least {minimum}")
    return value


def check_pair(value, where: str) -> tuple[str, str]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)):
        raise SnapshotError(f"{where}: expected two texts")
    return value[0], value[1]


def frozen(value):
    """A JSON value with its lists turned back into tuples, at every depth: what was a tuple
    before it was written (evidence, signatures) compares equal to tuples again."""
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: frozen(item) for key, item in value.items()}
    return value
