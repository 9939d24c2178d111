"""Keep Python's cyclic garbage collector off the request path.

Objects that live as long as the process — everything start-up allocates, and each routing
table with its index (and a learned router's artefact) once adopted — are moved out of the
collector's generations (`gc.freeze`), so no collection ever walks them again; requests
allocate many short-lived objects that reference counting frees, and form few cycles, so the
young generation is collected less often than Python's default (every 700 net allocations).

A frozen object is still freed by reference counting when its last reference goes: a replaced
table, which forms no reference cycle (tests/unit/gateway/test_heap.py), leaves nothing behind.
`GcPauses` times every collection for the `tierroute_gateway_gc_pause_seconds` histogram.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

YOUNG_THRESHOLD = 20_000
"""Net allocations of container objects between two collections of the young generation."""
OLDER_THRESHOLD = 20
"""Collections of one generation between two collections of the next."""


def settle_heap() -> None:
    """Collect what is garbage now, then freeze every surviving object out of future
    collections; cheap when called again, since frozen objects are not walked."""
    gc.collect()
    gc.freeze()


def tune_collector() -> None:
    """Collect the young generation every `YOUNG_THRESHOLD` net allocations."""
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)


class GcPauses:
    """Times each garbage collection and hands (generation, seconds) to `observe`."""

    def __init__(self, observe: Callable[[int, float], None]) -> None:
        self._observe = observe
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        """The `gc.callbacks` hook."""
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._observe(info["generation"], time.perf_counter() - self._started)

    def install(self) -> None:
        """Start timing collections."""
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        """Stop timing collections."""
        if self in gc.callbacks:
            gc.callbacks.remove(self)
