"""The one cache shape used across document versions: a bounded least-recently-used
map from a key that identifies immutable inputs (a section's id, a section with its
fence line) to what was derived from them. Answers for one version live on the
Document itself (`Document.memo`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    __slots__ = ("_items", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for `key`, computed (and kept) on a miss."""
        items = self._items
        found = items.get(key)
        if found is not None:
            items.move_to_end(key)
            return found
        made = items[key] = compute()
        if len(items) > self.size:
            items.popitem(last=False)
        return made

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
