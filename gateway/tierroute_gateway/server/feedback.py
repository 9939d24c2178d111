"""Recent request ids and the model that answered each, so feedback can name the model."""

from __future__ import annotations

from collections import deque


class RecentAnswers:
    """A bounded map request id → model; the oldest entries fall out first, a slice at a time.

    Entries go into the newest of a few small dicts (`capacity / slices` entries each); when it
    is full, a new one is started and, past `capacity` entries in all, the oldest dropped
    whole: at most `capacity` ids are kept, and at least the newest `capacity - 2 * capacity /
    slices` (rounded up) of those remembered. No dict grows past `capacity / slices`, so
    no insert ever pays for rebuilding the whole map: a single ordered map of 50,000 entries
    with one eviction per insert rebuilt itself every ~125,000 requests, an 8 ms pause of the
    event loop on the benchmark machine (perf/RESULTS.md).
    """

    def __init__(self, capacity: int = 50_000, slices: int = 16) -> None:
        self._per_slice = max(1, -(-capacity // max(1, slices)))
        kept_slices = max(1, capacity // self._per_slice)
        self._slices: deque[dict[str, str]] = deque([{}], maxlen=kept_slices)

    def remember(self, request_id: str, model: str) -> None:
        """Note which model answered a request."""
        newest = self._slices[-1]
        if len(newest) >= self._per_slice:
            newest = {}
            self._slices.append(newest)  # the deque's bound drops the oldest slice
        newest[request_id] = model

    def model_of(self, request_id: str) -> str | None:
        """The model that answered `request_id`, if it is still remembered (newest first)."""
        for entries in reversed(self._slices):
            model = entries.get(request_id)
            if model is not None:
                return model
        return None
