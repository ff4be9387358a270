"""A sorted index that serves cursor pages in O(log n + page size).

Keys are tuples ending in the item's unique id, so every key is unique and a cursor (an id)
finds its place by bisection whatever the sort field.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass


class CursorNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Page:
    keys: list[tuple]
    has_previous: bool
    has_next: bool


class SortedIndex:
    def __init__(self) -> None:
        self._keys: list[tuple] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: tuple) -> None:
        insort(self._keys, key)

    def remove(self, key: tuple) -> None:
        del self._keys[self._position(key)]

    def page(self, count: int, *, after: tuple | None = None, before: tuple | None = None,
             descending: bool = False, from_end: bool = False) -> Page:
        """Up to ``count`` keys, in ascending or descending order, from the keys between ``after``
        and ``before`` (either may be None): the first ones, or the last ones (the page that ends
        at ``before``, for paging backwards, or with ``from_end``: Relay's ``last``)."""
        size = len(self._keys)

        def view_position(key: tuple) -> int:
            index = self._position(key)
            return size - 1 - index if descending else index

        begin = view_position(after) + 1 if after is not None else 0
        end = view_position(before) if before is not None else size
        if before is not None or from_end:
            start, stop = max(begin, end - count), end
        else:
            start, stop = begin, min(end, begin + count)
        if descending:
            keys = self._keys[size - stop:size - start][::-1]
        else:
            keys = self._keys[start:stop]
        return Page(keys, has_previous=start > 0, has_next=stop < size)

    def _position(self, key: tuple) -> int:
        index = bisect_left(self._keys, key)
        if index == len(self._keys) or self._keys[index] != key:
            raise CursorNotFound(key)
        return index
