"""The course page's read model, computed once per course document content (per process).

What the page shows of the engine (decision, explanation, plan, screen, slots, history,
lab rows and plots) is a pure function of the stored course document (patient block and
events in force), the decision date, today's date and the day's flags, and of the
protocol files, which do not change while the process runs. The key is that content
itself, serialised (`orjson`, sorted keys): not a version number, so a write of any kind
(a new event, a correction, a retraction, a patient edit, a new measurement) changes the
key of the very next page, whatever the database backend or id allocation. A document
that cannot be serialised is computed and not kept.

Nothing here depends on the user or carries a CSRF token: the per-user parts of the page
(the entries' rights, orders, forms) are read on every request by `course_page`.
Cached values are shared between requests: callers copy before changing them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import orjson

__all__ = ["READ_MODELS", "ContentCache", "read_model_key"]

V = TypeVar("V")


class ContentCache(Generic[V]):
    """A bounded map from content keys (bytes) to computed values, least recently used out
    first (thread-safe). An empty key means "cannot be keyed": computed, never kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[bytes, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: bytes, compute: Callable[[], V]) -> V:
        """The value of `key`: from the cache, else computed (and kept if keyed)."""
        if key:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
                self.misses += 1
        value = compute()
        if key:
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forgets every value (tests)."""
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def info(self) -> dict[str, int]:
        """Hits, misses and entries."""
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "entries": len(self._items)}


READ_MODELS: ContentCache[dict[str, Any]] = ContentCache(64)
"""The course page's read models of this process (each some tens of kilobytes)."""


def read_model_key(document: dict[str, Any], on: str, today: str, flags: dict[str, Any]) -> bytes:
    """Everything the read model depends on, as bytes (b"" when it cannot be keyed)."""
    try:
        return orjson.dumps(
            [document, on, today, flags], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
        )
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        return b""
