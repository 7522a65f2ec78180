"""The one cache shape used across document versions: a bounded least-recently-used
map from a key that identifies immutable inputs (a section, a section with its fence
line) to what was derived from them. Answers for one version live on the Document
itself (`Document.memo`); caches across the versions of one open document live on
its `Lineage` (`Document.shared`), so closing the document releases them.

An entry count alone does not bound memory: one entry may hold a 10 MB section. A
cache given a `weigh` function (roughly the bytes an entry keeps alive) also stays
under `max_weight`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    __slots__ = ("_items", "_weigh", "_weights", "max_weight", "size", "weight")

    def __init__(
        self, size: int, max_weight: int | None = None, weigh: Callable[[K, V], int] | None = None
    ) -> None:
        self.size = size
        self.max_weight = max_weight
        self._weigh = weigh
        self._items: OrderedDict[K, V] = OrderedDict()
        #: each entry's weight, kept only when the cache weighs its entries
        self._weights: dict[K, int] = {}
        self.weight = 0

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for `key`, computed (and kept) on a miss."""
        items = self._items
        found = items.get(key)
        if found is not None:
            items.move_to_end(key)
            return found
        made = compute()
        self.put(key, made)
        return made

    def put(self, key: K, value: V) -> None:
        items = self._items
        items[key] = value
        items.move_to_end(key)
        if self._weigh is not None:
            weight = self._weigh(key, value)
            self.weight += weight - self._weights.get(key, 0)
            self._weights[key] = weight
        while len(items) > self.size or (
            self.max_weight is not None and self.weight > self.max_weight and len(items) > 1
        ):
            dropped, _ = items.popitem(last=False)
            self.weight -= self._weights.pop(dropped, 0)

    def clear(self) -> None:
        self._items.clear()
        self._weights.clear()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._items)


class Lineage:
    """What the versions of one open document share: caches across versions (a
    keystroke changes one section, so what was derived from the others is reused).
    `Document.apply` hands it to the next version (and `Documents` to a full-text
    replacement), so it lives exactly as long as the document is open: closing the
    document drops its last version, and everything cached for it goes too."""

    __slots__ = ("_caches",)

    def __init__(self) -> None:
        self._caches: dict[str, Any] = {}

    def cache(self, name: str, make: Callable[[], Any]) -> Any:
        found = self._caches.get(name)
        if found is None:
            found = self._caches[name] = make()
        return found

    def __len__(self) -> int:
        """How many caches were made (for tests)."""
        return len(self._caches)


class Pass(Generic[K, V]):
    """One pass of a `Passes` cache: what it looks up is taken from the previous pass
    or computed, and becomes what the next pass can reuse."""

    __slots__ = ("_old", "made")

    def __init__(self, old: dict[K, V]) -> None:
        self._old = old
        self.made: dict[K, V] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        made = self.made
        found = made.get(key)
        if found is None:
            found = self._old.get(key)
            if found is None:
                found = compute()
            made[key] = found
        return found


class Passes(Generic[K, V]):
    """The cache of a pass over all of a document's sections (its outline, lenses,
    folds, their JSON): a pass reuses what the previous one made and keeps only what
    it used itself, so the cache holds one version's worth however many versions went
    by. A keystroke in a 4 MB section leaves no stale copies of it behind (an entry
    count would keep thousands), and nothing needs weighing."""

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        self._kept: dict[K, V] = {}

    def begin(self) -> Pass[K, V]:
        return Pass(self._kept)

    def end(self, done: Pass[K, V]) -> None:
        self._kept = done.made

    def __len__(self) -> int:
        return len(self._kept)
