"""Records kept newest-first, so that a page costs O(log N + page), not O(N).

Nova and Cinder both list by ``created_at desc, id desc`` by default and page
with a marker (the id of the last item seen). A sorted list of
``(created_at, id)`` keys per index answers "the next ``limit`` items after
the marker" with one bisection and a short walk.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Record(Protocol):
    id: str
    created_at: datetime.datetime


R = TypeVar('R', bound=Record)
Key = tuple[datetime.datetime, str]


def sort_key(record: Record) -> Key:
    return (record.created_at, record.id)


class SortedKeys:
    """A list of keys sorted on demand: bulk loads append, reads sort once."""

    __slots__ = ('_keys', '_sorted')

    def __init__(self) -> None:
        self._keys: list[Key] = []
        self._sorted = True

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: Key) -> None:
        keys = self._keys
        if keys and key < keys[-1]:
            # Sorted again on the next read: timsort merges the short tail
            # in about linear time, cheaper than an insort per add.
            self._sorted = False
        keys.append(key)

    def extend(self, keys: Iterable[Key]) -> None:
        self._keys.extend(keys)
        self._sorted = False

    def remove(self, key: Key) -> None:
        keys = self._ordered()
        i = bisect.bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            del keys[i]

    def newest_first(self, before: Key | None = None) -> Iterator[Key]:
        keys = self._ordered()
        hi = len(keys) if before is None else bisect.bisect_left(keys, before)
        for i in range(hi - 1, -1, -1):
            yield keys[i]

    def _ordered(self) -> list[Key]:
        if not self._sorted:
            self._keys.sort()
            self._sorted = True
        return self._keys


class OrderedStore(Generic[R]):
    """Records by id, plus newest-first indexes on immutable attributes."""

    def __init__(self, indexed: tuple[str, ...] = ()) -> None:
        self._items: dict[str, R] = {}
        self._all = SortedKeys()
        self._indexed = indexed
        self._by: dict[tuple[str, Any], SortedKeys] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._items

    def get(self, record_id: str) -> R | None:
        return self._items.get(record_id)

    def values(self) -> Iterable[R]:
        return self._items.values()

    def add(self, record: R) -> None:
        self._items[record.id] = record
        key = sort_key(record)
        self._all.add(key)
        for attr in self._indexed:
            self._index(attr, getattr(record, attr)).add(key)

    def add_many(self, records: Iterable[R]) -> None:
        batch = list(records)
        for record in batch:
            self._items[record.id] = record
        self._all.extend(sort_key(r) for r in batch)
        for attr in self._indexed:
            groups: dict[Any, list[Key]] = {}
            for record in batch:
                groups.setdefault(getattr(record, attr), []).append(
                    sort_key(record))
            for value, keys in groups.items():
                self._index(attr, value).extend(keys)

    def remove(self, record: R) -> None:
        if self._items.pop(record.id, None) is None:
            return
        key = sort_key(record)
        self._all.remove(key)
        for attr in self._indexed:
            self._index(attr, getattr(record, attr)).remove(key)

    def newest_first(self, equal: dict[str, Any] | None = None,
                     after: R | None = None,
                     where: Callable[[R], bool] | None = None) -> Iterator[R]:
        """Records newest first, after ``after``, matching every filter.

        ``equal`` holds attribute equalities; the smallest matching index is
        walked and the other conditions are checked on each record.
        """
        equal = dict(equal or {})
        keys = self._all
        for attr, value in equal.items():
            if attr in self._indexed:
                candidate = self._by.get((attr, value))
                if candidate is None:
                    return
                if len(candidate) < len(keys):
                    keys = candidate
        before = sort_key(after) if after is not None else None
        for _created, record_id in keys.newest_first(before):
            record = self._items[record_id]
            if all(getattr(record, a) == v for a, v in equal.items()) and (
                    where is None or where(record)):
                yield record

    def _index(self, attr: str, value: Any) -> SortedKeys:
        keys = self._by.get((attr, value))
        if keys is None:
            keys = self._by[(attr, value)] = SortedKeys()
        return keys
