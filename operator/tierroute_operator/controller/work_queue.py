"""A deduplicating work queue of object keys, as in client-go's workqueue.

A key waits in the queue at most once; a key being processed is never handed to a second
worker, and if it is added meanwhile it is queued again when the first worker is done. So a
burst of events about one object costs one reconcile, and reconciles of one object never run
concurrently.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

K = TypeVar("K")


class WorkQueue(Generic[K]):
    """Keys to reconcile, each once, with delayed re-adds for retries."""

    def __init__(self) -> None:
        self._waiting: deque[K] = deque()
        self._queued: set[K] = set()
        self._processing: set[K] = set()
        self._again: set[K] = set()
        self._timers: dict[K, asyncio.TimerHandle] = {}
        self._available = asyncio.Event()

    def __len__(self) -> int:
        return len(self._waiting)

    @property
    def busy(self) -> int:
        """Keys being processed now."""
        return len(self._processing)

    def add(self, key: K) -> None:
        """Queue `key` unless it already waits; remember it if it is being processed."""
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        if key in self._processing:
            self._again.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._waiting.append(key)
        self._available.set()

    def add_after(self, key: K, delay_s: float) -> None:
        """Queue `key` after `delay_s` seconds (an earlier `add` makes it sooner)."""
        if key in self._queued or key in self._timers:
            return
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(max(delay_s, 0.0), self._fire, key)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    async def get(self) -> K:
        """The next key; the caller must call `done(key)` when finished with it."""
        while not self._waiting:
            self._available.clear()
            await self._available.wait()
        key = self._waiting.popleft()
        self._queued.discard(key)
        self._processing.add(key)
        return key

    def done(self, key: K) -> None:
        """Mark `key` processed; queue it again if it was added meanwhile."""
        self._processing.discard(key)
        if key in self._again:
            self._again.discard(key)
            self.add(key)

    def close(self) -> None:
        """Cancel pending delayed adds."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
