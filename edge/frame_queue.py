"""A bounded queue that drops its oldest item when full, so capture never waits on inference."""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DropOldestQueue(Generic[T]):
    def __init__(self, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}")
        self._items: deque[T] = deque()
        self._maxlen = maxlen
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, item: T) -> None:
        """Add ``item``; when full the oldest item is dropped and counted."""
        with self._cond:
            if len(self._items) >= self._maxlen:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._cond.notify_all()

    def put_wait(self, item: T, stop: threading.Event, timeout_s: float = 0.2) -> bool:
        """Wait for room instead of dropping (lock-step synthetic playback); False if stopped."""
        with self._cond:
            while len(self._items) >= self._maxlen:
                if stop.is_set():
                    return False
                self._cond.wait(timeout_s)
            self._items.append(item)
            self._cond.notify_all()
            return True

    def get(self, timeout_s: float | None = None) -> T | None:
        with self._cond:
            if not self._items:
                self._cond.wait(timeout_s)
            if not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
