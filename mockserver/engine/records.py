"""Reading a snapshot document field by field: every value is checked for its type and range as it
is read, and a wrong one raises SnapshotError naming where it is (``providers.pvadeals.accounts[0].
credits``), so that a corrupt or hand-edited snapshot is refused with a message, never half applied
and never a 500. Messages name fields, not values: a snapshot may hold keys and secrets."""
from __future__ import annotations

import builtins
from collections.abc import Callable, Hashable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload


class SnapshotError(ValueError):
    """A snapshot that cannot be restored; the message says where and why."""


# (record, field name) -> the tenant the field names. The engine keys state by tenant without
# knowing what one is; the snapshot document knows (mockserver/state/document.py).
TenantOf = Callable[["Record", str], Hashable]


# Amounts a snapshot may hold. A scenario's are bounded (Limits.max_money and max_money_places);
# purchases, refunds and renewals move balances only by such amounts, so these leave room for any
# history, and still keep every amount a finite JSON number with exact arithmetic.
_LARGEST_AMOUNT = 10 ** 15
_AMOUNT_PLACES = 12


class Record:
    """A JSON object of a snapshot and where it lies in the document. The place is written out
    only for a message: a snapshot of 1,000 numbers has some 50,000 fields, read on every restore."""
    __slots__ = ("_value", "_parent", "_key")

    def __init__(self, value, path: str | Record = "snapshot", key: str | int | None = None):
        self._value, self._parent, self._key = value, path, key
        if not isinstance(value, dict):
            raise SnapshotError(f"{self.path}: expected an object")

    @property
    def path(self) -> str:
        if self._key is None:
            return self._parent if isinstance(self._parent, str) else self._parent.path
        return self._parent.at(self._key) if isinstance(self._parent, Record) else f"{self._parent}[{self._key}]"

    def has(self, name: str) -> bool:
        return self._value.get(name) is not None

    def raw(self, name: str, default=...):
        if name not in self._value:
            if default is ...:
                raise SnapshotError(f"{self.at(name)}: missing")
            return default
        return self._value[name]

    def at(self, name) -> str:
        return f"{self.path}.{name}" if isinstance(name, str) else f"{self.path}[{name}]"

    # Record's readers are named after the types they read (int, str, bool, list), so inside the
    # class body those names are the methods: annotations name the builtins explicitly.
    @overload
    def int(self, name: builtins.str, *, optional: Literal[False] = False,
            minimum: builtins.int | None = None) -> builtins.int: ...
    @overload
    def int(self, name: builtins.str, *, optional: builtins.bool,
            minimum: builtins.int | None = None) -> builtins.int | None: ...

    def int(self, name: builtins.str, *, optional: builtins.bool = False,
            minimum: builtins.int | None = None) -> builtins.int | None:
        value = self._value.get(name)
        if type(value) is int and (minimum is None or value >= minimum):     # the usual case, first
            return value
        if value is None:
            if optional:
                return None
            raise SnapshotError(f"{self.at(name)}: " + ("expected a whole number" if name in self._value
                                                         else "missing"))
        return check_int(value, self.at(name), minimum)

    def float(self, name: builtins.str) -> builtins.float:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SnapshotError(f"{self.at(name)}: expected a number")
        return float(value)

    @overload
    def str(self, name: builtins.str, *, optional: Literal[False] = False) -> builtins.str: ...
    @overload
    def str(self, name: builtins.str, *, optional: builtins.bool) -> builtins.str | None: ...

    def str(self, name: builtins.str, *, optional: builtins.bool = False) -> builtins.str | None:
        value = self._value.get(name)
        if type(value) is str:
            return value
        if value is None:
            if optional:
                return None
            if name not in self._value:
                raise SnapshotError(f"{self.at(name)}: missing")
        raise SnapshotError(f"{self.at(name)}: expected text")

    def bool(self, name: builtins.str) -> builtins.bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise SnapshotError(f"{self.at(name)}: expected true or false")
        return value

    @overload
    def decimal(self, name: builtins.str, *, optional: Literal[False] = False) -> Decimal: ...
    @overload
    def decimal(self, name: builtins.str, *, optional: builtins.bool) -> Decimal | None: ...

    def decimal(self, name: builtins.str, *, optional: builtins.bool = False) -> Decimal | None:
        text = self.str(name, optional=optional)
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise SnapshotError(f"{self.at(name)}: expected an amount as text, e.g. \"12.50\"") from None
        exponent = value.as_tuple().exponent       # text ('n', 'N', 'F') only for a value not finite
        if not isinstance(exponent, builtins.int) or abs(value) > _LARGEST_AMOUNT or exponent < -_AMOUNT_PLACES:
            raise SnapshotError(f"{self.at(name)}: not an amount the sandbox could have made")
        return value

    @overload
    def record(self, name: builtins.str, *, optional: Literal[False] = False) -> Record: ...
    @overload
    def record(self, name: builtins.str, *, optional: builtins.bool) -> Record | None: ...

    def record(self, name: builtins.str, *, optional: builtins.bool = False) -> Record | None:
        value = self.raw(name, None if optional else ...)
        if value is None and optional:
            return None
        return Record(value, self, name)

    def mapping(self, name: builtins.str, *, texts: builtins.bool = False) -> dict[builtins.str, Any]:
        """A JSON object as it is (``texts``: every value text, e.g. headers)."""
        value = self.raw(name)
        if not isinstance(value, dict) or (texts and not all(isinstance(v, str) for v in value.values())):
            raise SnapshotError(f"{self.at(name)}: expected an object" + (" of texts" if texts else ""))
        return value

    def list(self, name: builtins.str) -> builtins.list[Any]:
        value = self.raw(name)
        if not isinstance(value, list):
            raise SnapshotError(f"{self.at(name)}: expected a list")
        return value

    def records(self, name: builtins.str) -> Iterator[Record]:
        items = self.list(name)
        if items:
            where = Record({}, self, name)       # the list's place, for its items' messages
            for index, item in enumerate(items):
                yield Record(item, where, index)

    def ints(self, name: builtins.str) -> builtins.list[builtins.int]:
        items = self.list(name)
        for index, item in enumerate(items):
            if type(item) is not int:
                check_int(item, f"{self.at(name)}[{index}]")
        return items

    def strs(self, name: builtins.str) -> builtins.list[builtins.str]:
        items = self.list(name)
        for index, item in enumerate(items):
            if type(item) is not str:
                raise SnapshotError(f"{self.at(name)}[{index}]: expected text")
        return items

    def pair(self, name: builtins.str) -> tuple[builtins.str, builtins.str]:
        """Two texts, e.g. a tenant: [provider, account]."""
        value = self._value.get(name)
        if type(value) is list and len(value) == 2 and type(value[0]) is str and type(value[1]) is str:
            return value[0], value[1]
        return check_pair(value, self.at(name))

    def fail(self, name: builtins.str, why: builtins.str) -> SnapshotError:
        return SnapshotError(f"{self.at(name)}: {why}")


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
