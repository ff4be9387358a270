"""What every provider's snapshot module (providers/*/snapshot.py) does alike on a restore: keep
the objects restored by id, for the timeline events that name them as arguments, and link each
object to its events once those exist."""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from mockserver.engine.records import Record
from mockserver.engine.timeline import Event

Held = TypeVar("Held")


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


def refer(noun: str, kind: type, obj) -> dict | None:
    """How an event's argument is written when it is a provider's object of ``kind``."""
    return {noun: obj.id} if isinstance(obj, kind) else None


def count(held: str, backend, tenant) -> tuple[int, int]:
    """A backend's accounts (of a tenant, or everyone's), and the objects they hold in ``held``."""
    accounts = [a for a in backend.accounts.values() if tenant is None or a.tenant == tenant]
    return len(accounts), sum(len(getattr(a, held)) for a in accounts)
