"""What every provider's snapshot module (providers/*/snapshot.py) does alike: write and read back
an object's plain fields (derived from its dataclass), keep the objects restored by id for the
timeline events that name them as arguments, and link each object to its events once those exist."""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from mockserver.engine.clock import instant
from mockserver.engine.records import Record
from mockserver.engine.timeline import Event


class Numbered(Protocol):
    """A provider's object a snapshot holds (a request, a number, an activation): it has a phone number."""
    @property
    def number(self) -> str: ...


class Identified(Protocol):
    """An object an event's argument names by its id."""
    @property
    def id(self) -> str: ...


Held = TypeVar("Held", bound=Numbered)


class Restored(Generic[Held]):
    """A provider's restore under way. ``noun`` names its objects in events' arguments
    ({"request": id}); ``link_events(object, its events record, events by seq)`` puts back the
    events an object holds."""

    def __init__(self, noun: str, link_events: Callable[[Held, Record, dict[int, Event]], None]):
        self.noun, self._link_events = noun, link_events
        self.objects: dict[str, Held] = {}
        self._links: list[tuple[Held, Record]] = []

    def add(self, object_id: str, held: Held, events: Record, record: Record) -> None:
        if object_id in self.objects:
            raise record.fail("id", f"two {self.noun}s have this id")
        self.objects[object_id] = held
        self._links.append((held, events))

    def resolve(self, value):
        """An event's argument: one of the objects by {noun: id} (LookupError if there is none),
        or a plain value."""
        if isinstance(value, dict):
            found = self.objects.get(value.get(self.noun)) if isinstance(value.get(self.noun), str) else None
            if found is None:
                raise LookupError(self.noun)
            return found
        return value

    def phone_numbers(self) -> list[str]:
        """The phone numbers the objects hold (as ``.number``): never to be handed out again."""
        return [held.number for held in self.objects.values()]

    def link(self, events: dict[int, Event]) -> None:
        for held, record in self._links:
            self._link_events(held, record, events)


def event_at(events: dict[int, Event], seq: int | None) -> Event | None:
    """The event a snapshot names by its number (None: it names none, or one that is not there)."""
    return None if seq is None else events.get(seq)


def refer(noun: str, kind: type[Identified], obj: object) -> dict[str, str] | None:
    """How an event's argument is written when it is a provider's object of ``kind``."""
    return {noun: obj.id} if isinstance(obj, kind) else None


def count(held: str, backend, tenant) -> tuple[int, int]:
    """A backend's accounts (of a tenant, or everyone's), and the objects they hold in ``held``."""
    accounts = [a for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return len(accounts), sum(len(getattr(a, held)) for a in accounts)


Plain = dict[str, tuple[type, bool]]


def plain_fields(cls: type) -> Plain:
    """The fields of a dataclass a snapshot writes as they are: text, whole numbers, true or false
    and amounts (written as text), each maybe null; name -> (type, may be null)."""
    hints, plain = typing.get_type_hints(cls), {}
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kinds = [kind for kind in args if kind is not type(None)]
        if len(kinds) == 1 and kinds[0] in (str, int, bool, Decimal):
            plain[field.name] = (kinds[0], len(kinds) < len(args))
    return plain


def export_plain(obj: object, plain: Plain) -> dict[str, Any]:
    return {name: str(value) if isinstance(value := getattr(obj, name), Decimal) else value for name in plain}


def read_plain(record: Record, plain: Plain, newer: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The plain fields back, each checked: a whole number that is always there is 0 or more (a
    count), and one named ``*_ms`` an instant the clock can show. ``newer``: fields that older
    snapshots lack, with the value their absence means."""
    values: dict[str, Any] = {}
    for name, (kind, optional) in plain.items():
        if newer and name in newer and record.raw(name, None) is None:
            values[name] = newer[name]
        elif kind is bool:
            values[name] = record.bool(name)
        elif kind is str:
            values[name] = record.str(name, optional=optional)
        elif kind is Decimal:
            values[name] = record.decimal(name, optional=optional)
        elif name.endswith("_ms"):
            values[name] = instant(record, name, optional=optional)
        else:
            values[name] = record.int(name, optional=optional, minimum=None if optional else 0)
    return values
